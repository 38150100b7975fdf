#include "mexa/temporal/clip_loader.h"

#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>
#include <map>
#include <random>
#include <set>

#include "mexa/io/errors.h"
#include "mexa/io/video_reader.h"
#include "mexa/temporal/flow_image.h"
#include "mexa/temporal/frame_image.h"
#include "mexa/temporal/motion.h"

namespace mexa::temporal {

struct ClipLoader::Impl {
  ClipSpec spec;
  std::unique_ptr<FaceTracker> tracker;  // null with FaceDetector::None
};

namespace {
/// Frames are aligned and sized to this: the model's size, or the flow's work size.
cv::Size work_size(const ClipSpec& spec) {
  return computes_flow(spec) ? cv::Size(kFlowWorkSize, kFlowWorkSize) : cv::Size(spec.width, spec.height);
}
}  // namespace

std::string input_kind_name(const ClipSpec& spec) { return input_kind_name(spec.kind); }

ClipLoader::ClipLoader(ClipSpec spec) : impl_(std::make_unique<Impl>()) {
  if (spec.channels != 1 && spec.channels != 3) throw std::invalid_argument("channels must be 1 or 3");
  if (spec.frames < 1 || spec.height < 8 || spec.width < 8) throw std::invalid_argument("clip spec too small");
  if (!(spec.std > 0)) throw std::invalid_argument("normalisation std must be positive");
  if (spec.sampling == Sampling::Triplet && spec.frames != 3)
    throw std::invalid_argument("triplet sampling gives 3 frames (onset, apex, offset): --frames must be 3, not " +
                                std::to_string(spec.frames));
  const bool flow = spec.kind == InputKind::Flow || spec.kind == InputKind::FlowImage;
  if (flow && spec.channels != 3) throw std::invalid_argument("flow input is 3 channels (u, v, strain)");
  if (flow && spec.frames != 1 && spec.kind == InputKind::FlowImage)
    throw std::invalid_argument("a flow image is one onset -> apex field: --frames must be 1");
  impl_->spec = spec;
  if (spec.face != FaceDetector::None) {
    FaceTrackerOptions options;
    options.detector = spec.face;  // alignments are in unit coordinates (alignment.h): no crop size here
    options.min_face = spec.min_face;
    impl_->tracker = std::make_unique<FaceTracker>(options);
  }
}

ClipLoader::~ClipLoader() = default;
ClipLoader::ClipLoader(ClipLoader&&) noexcept = default;
ClipLoader& ClipLoader::operator=(ClipLoader&&) noexcept = default;
const ClipSpec& ClipLoader::spec() const { return impl_->spec; }

namespace {

/// The frame as the model sees it before normalisation: grey or RGB, cut by
/// the clip's alignment to the work size, 8 bits. Flow is computed on grey.
cv::Mat size_frame(cv::Mat image, const FaceAlignment& alignment, const ClipSpec& spec) {
  if (image.channels() == 3 && (spec.channels == 1 || computes_flow(spec))) cv::cvtColor(image, image, cv::COLOR_RGB2GRAY);
  return alignment.cut(image, work_size(spec));
}

/// Flow features as [3, T, H, W] (u, v, strain): onset -> each later index of
/// `indices` (indices[0] is the onset; flow_indices gives them).
void assemble_flow(const std::map<int64_t, cv::Mat>& sized, const std::vector<int64_t>& indices, const ClipSpec& spec,
                   ClipSample& sample) {
  const size_t plane = static_cast<size_t>(spec.height) * spec.width;
  const size_t t = indices.size() - 1;
  sample.shape = {3, static_cast<int64_t>(t), spec.height, spec.width};
  sample.data.resize(3 * t * plane);
  for (size_t k = 0; k < t; ++k) {
    const FlowFeatures f =
        flow_features(sized.at(indices[0]), sized.at(indices[k + 1]), spec.flow_method, cv::Size(spec.width, spec.height),
                      spec.flow_norm);
    std::vector<cv::Mat> planes;
    cv::split(f.stacked, planes);
    for (size_t ch = 0; ch < 3; ++ch) {
      const cv::Mat p = planes[ch].isContinuous() ? planes[ch] : planes[ch].clone();
      std::copy(p.ptr<float>(), p.ptr<float>() + plane,
                sample.data.begin() + static_cast<std::ptrdiff_t>((ch * t + k) * plane));
    }
  }
}

/// Sized frames (one per sampled index) -> [C, T, H, W] floats: augmentation
/// (one draw for the clip), [0, 1], normalisation, optional onset difference.
void assemble(const std::vector<cv::Mat>& sized_frames, const cv::Mat& sized_onset, const ClipSpec& spec, uint64_t seed,
              ClipSample& sample) {
  const int c = spec.channels, t = spec.frames, h = spec.height, w = spec.width;
  // Augmentation: one similarity transform (and maybe a mirror) for all frames, after sizing.
  const Augmentation& a = spec.augment;
  std::mt19937_64 rng(seed ^ 0xA5A5A5A5ull);
  std::uniform_real_distribution<float> unit(-1.0f, 1.0f);
  const bool flip = a.flip_probability > 0 && (unit(rng) + 1) / 2 < a.flip_probability;
  cv::Mat augment;
  if (a.max_shift > 0 || a.max_rotation > 0 || a.max_scale > 0) {
    augment = cv::getRotationMatrix2D(cv::Point2f(w / 2.0f, h / 2.0f), a.max_rotation * unit(rng), 1 + a.max_scale * unit(rng));
    augment.at<double>(0, 2) += a.max_shift * w * unit(rng);
    augment.at<double>(1, 2) += a.max_shift * h * unit(rng);
  }
  auto values_of = [&](const cv::Mat& frame) {
    cv::Mat sized = frame;
    if (!augment.empty()) {
      cv::Mat moved;  // warpAffine cannot work in place
      cv::warpAffine(sized, moved, augment, sized.size(), cv::INTER_LINEAR, cv::BORDER_REFLECT);
      sized = moved;
    }
    if (flip) {
      cv::Mat mirrored;
      cv::flip(sized, mirrored, 1);
      sized = mirrored;
    }
    cv::Mat values;
    sized.convertTo(values, CV_32F, 1.0 / 255.0);
    // (x - mean) / std on every channel, in the order of arithmetic OpenCV's
    // `(values - mean) / std` used (same floats). That expression relied on
    // OpenCV applying a scalar to every channel of a multi-channel Mat, which
    // it warns may change (opencv issue 16739) and printed on every RGB run.
    const double scale = 1.0 / static_cast<double>(spec.std);
    values.convertTo(values, CV_32F, scale, -static_cast<double>(spec.mean) * scale);
    return values;
  };
  const bool difference = spec.kind == InputKind::OnsetDifference;
  const cv::Mat onset_values = difference ? values_of(sized_onset) : cv::Mat();
  sample.shape = {c, t, h, w};
  sample.data.resize(static_cast<size_t>(c) * t * h * w);
  for (int k = 0; k < t; ++k) {
    cv::Mat values = values_of(sized_frames[static_cast<size_t>(k)]);
    if (difference) values -= onset_values;
    std::vector<cv::Mat> planes;
    cv::split(values, planes);
    for (int ch = 0; ch < c; ++ch) {
      float* out = sample.data.data() + (static_cast<size_t>(ch) * t + k) * h * w;
      const cv::Mat plane = planes[static_cast<size_t>(ch)].isContinuous() ? planes[static_cast<size_t>(ch)]
                                                                             : planes[static_cast<size_t>(ch)].clone();
      std::copy(plane.ptr<float>(), plane.ptr<float>() + static_cast<size_t>(h) * w, out);
    }
  }
}

/// A flow image (flow_image.h) as [3, 1, H, W]: resized to H x W when it is
/// not (INTER_AREA), pixels / 255, then (x - mean) / std.
ClipSample load_flow_image(const std::string& path, const ClipSpec& spec) {
  cv::Mat rgb = read_flow_image(path);
  if (rgb.cols != spec.width || rgb.rows != spec.height) {
    cv::Mat sized;
    cv::resize(rgb, sized, cv::Size(spec.width, spec.height), 0, 0, cv::INTER_AREA);
    rgb = sized;
  }
  cv::Mat values;  // (x / 255 - mean) / std on every channel
  rgb.convertTo(values, CV_32F, 1.0 / (255.0 * spec.std), -spec.mean / spec.std);
  std::vector<cv::Mat> planes;
  cv::split(values, planes);
  ClipSample sample;
  const size_t plane = static_cast<size_t>(spec.height) * spec.width;
  sample.shape = {3, 1, spec.height, spec.width};
  sample.data.resize(3 * plane);
  for (size_t ch = 0; ch < 3; ++ch) {
    const cv::Mat p = planes[ch].isContinuous() ? planes[ch] : planes[ch].clone();
    std::copy(p.ptr<float>(), p.ptr<float>() + plane, sample.data.begin() + static_cast<std::ptrdiff_t>(ch * plane));
  }
  sample.indices = {0};
  return sample;
}

}  // namespace

/// Decodes frames [first, last] once; each frame `keep` accepts goes through
/// a Collector (aligned on the first kept frame — the onset for load() — and
/// sized to the model's input at once, so only small frames are held).
std::map<int64_t, cv::Mat> ClipLoader::decode_sized(const std::string& path, int64_t first, int64_t last,
                                                     const std::function<bool(int64_t)>& keep, FaceAlignment& alignment) {
  io::VideoReaderOptions options;
  options.pixel_format = pixel_format();
  options.first_frame = first;
  options.last_frame = last;
  options.frame_folder_fps = impl_->spec.folder_fps;
  io::VideoReader reader(path, options);
  Collector collector(*this, first, last, std::numeric_limits<int64_t>::max());
  io::Frame frame;
  while (reader.next(frame))
    if (keep(frame.index())) collector.push(frame.index(), to_mat(frame));
  alignment = collector.alignment_;
  return std::move(collector.sized_);
}

/// Throws DecodeError naming the first of `wanted` that the video did not have.
static void require_frames(const std::string& path, const std::map<int64_t, cv::Mat>& sized,
                           const std::vector<int64_t>& wanted) {
  for (int64_t index : wanted)
    if (!sized.count(index)) throw DecodeError(path, "frame " + std::to_string(index) + " is beyond the end of the clip");
}

void ClipLoader::cut_with(const std::string& path, const FaceAlignment& alignment, ClipSample& sample) const {
  sample.alignment = alignment;
  sample.face_found = alignment.face || !impl_->tracker;  // no detector: the frame is the face
  if (!sample.face_found && impl_->spec.require_face)
    throw DataError(path, "no face found on frame " + std::to_string(alignment.frame) +
                              " (the clip's alignment frame; --require-face)");
}

FaceAlignment ClipLoader::align(const cv::Mat& image, int64_t index) {
  if (impl_->tracker) return align_on(*impl_->tracker, image, index);
  FaceAlignment whole;  // FaceDetector::None: the frame is the face
  whole.frame = index;
  return whole;
}

namespace {

/// Motion-adaptive sampling's curve: motion of every sized frame of [onset,
/// offset] against the onset (zeros before it), indexed by clip frame.
std::vector<float> span_motion(const std::map<int64_t, cv::Mat>& sized, const ClipSpan& span) {
  std::vector<cv::Mat> grey;
  for (int64_t i = span.onset; i <= span.offset; ++i) {
    const cv::Mat& f = sized.at(i);
    cv::Mat g;
    if (f.channels() == 3)
      cv::cvtColor(f, g, cv::COLOR_RGB2GRAY);
    else
      g = f;
    grey.push_back(g);
  }
  const auto curve = motion_curve(grey, MotionOptions{.reference = 0});
  std::vector<float> motion(static_cast<size_t>(span.offset + 1), 0.0f);
  std::copy(curve.begin(), curve.end(), motion.begin() + span.onset);
  return motion;
}

std::vector<int64_t> every_frame(const ClipSpan& span) {
  std::vector<int64_t> out;
  for (int64_t i = span.onset; i <= span.offset; ++i) out.push_back(i);
  return out;
}

SampleSpec sample_spec(const ClipSpec& spec, uint64_t seed) {
  SampleSpec sampling;
  sampling.strategy = spec.sampling;
  sampling.frames = spec.frames;
  sampling.jitter = spec.jitter;
  sampling.seed = seed;
  return sampling;
}

/// Flow's apex: the annotated one, else the middle of the span; DataError outside the span.
int64_t flow_apex(const std::string& path, const ClipSpan& span) {
  const int64_t apex = span.apex >= 0 ? span.apex : span.onset + (span.offset - span.onset) / 2;
  if (apex < span.onset || apex > span.offset)
    throw DataError(path, "apex " + std::to_string(apex) + " outside the span [" + std::to_string(span.onset) + ", " +
                              std::to_string(span.offset) + "]");
  return apex;
}

/// The frames flow input needs: the onset, then `pairs` targets centred on
/// the apex, `step` = (apex - onset) / (pairs + 1) apart (at least 1), kept
/// inside (onset, offset]. One pair is onset -> apex (STSTNet's input).
std::vector<int64_t> flow_indices(const std::string& path, const ClipSpan& span, int pairs) {
  const int64_t apex = flow_apex(path, span);
  std::vector<int64_t> indices{span.onset};
  const double step = std::max(1.0, static_cast<double>(apex - span.onset) / (pairs + 1));
  for (int k = 0; k < pairs; ++k) {
    const auto target = apex + static_cast<int64_t>(std::lround((k - (pairs - 1) / 2.0) * step));
    indices.push_back(std::clamp(target, std::min(span.onset + 1, span.offset), span.offset));
  }
  return indices;
}

}  // namespace

io::PixelFormat ClipLoader::pixel_format() const {
  const ClipSpec& spec = impl_->spec;
  return (spec.channels == 3 && !computes_flow(spec)) || impl_->tracker ? io::PixelFormat::Rgb24 : io::PixelFormat::Gray8;
}

std::set<int64_t> ClipLoader::needed_frames(const std::string& path, const ClipSpan& span, uint64_t seed) const {
  const ClipSpec& spec = impl_->spec;
  if (computes_flow(spec)) {
    const auto indices = flow_indices(path, span, spec.frames);
    return {indices.begin(), indices.end()};
  }
  if (spec.sampling == Sampling::MotionAdaptive) {  // the curve needs every frame of the span
    const auto all = every_frame(span);
    return {all.begin(), all.end()};
  }
  const auto indices = sample_keyframes(sample_spec(spec, seed), span);
  std::set<int64_t> wanted(indices.begin(), indices.end());
  wanted.insert(span.onset);  // the alignment frame
  return wanted;
}

ClipSample ClipLoader::from_sized(const std::string& path, const ClipSpan& span, uint64_t seed,
                                  const std::map<int64_t, cv::Mat>& sized, const FaceAlignment& alignment) const {
  const ClipSpec& spec = impl_->spec;
  ClipSample sample;
  cut_with(path, alignment, sample);
  if (spec.kind == InputKind::FlowImage) throw std::logic_error("ClipLoader: a flow image has no frames to collect");
  if (computes_flow(spec)) {  // onset -> apex-centred flow is the model's input
    sample.indices = flow_indices(path, span, spec.frames);
    require_frames(path, sized, sample.indices);
    assemble_flow(sized, sample.indices, spec, sample);
    return sample;
  }
  if (spec.sampling == Sampling::MotionAdaptive) {
    require_frames(path, sized, every_frame(span));
    sample.indices = sample_keyframes(sample_spec(spec, seed), span, span_motion(sized, span));
  } else {
    sample.indices = sample_keyframes(sample_spec(spec, seed), span);
    std::vector<int64_t> wanted(sample.indices);
    wanted.push_back(span.onset);
    require_frames(path, sized, wanted);
  }
  std::vector<cv::Mat> frames;
  for (int64_t i : sample.indices) frames.push_back(sized.at(i));
  assemble(frames, sized.at(span.onset), spec, seed, sample);
  return sample;
}

ClipSample ClipLoader::load(const std::string& path, const ClipSpan& span, uint64_t seed) {
  if (impl_->spec.kind == InputKind::FlowImage) return load_flow_image(path, impl_->spec);
  const std::set<int64_t> wanted = needed_frames(path, span, seed);
  // Decode [onset, last needed] (to the offset unless flow needs less).
  const int64_t last = computes_flow(impl_->spec) ? *wanted.rbegin() : std::max(span.offset, *wanted.rbegin());
  FaceAlignment alignment;
  const auto sized =
      decode_sized(path, *wanted.begin(), last, [&](int64_t i) { return wanted.count(i) > 0; }, alignment);
  return from_sized(path, span, seed, sized, alignment);
}

ClipLoader::Collector::Collector(ClipLoader& loader, int64_t first, int64_t last, int64_t max_frames)
    : loader_(loader), first_(first), last_(last), max_frames_(max_frames) {}

void ClipLoader::Collector::push(int64_t index, const cv::Mat& frame, const FaceAlignment* clip_alignment) {
  if (overflowed_ || index < first_ || (last_ >= 0 && index > last_)) return;
  if (!aligned_) {
    // The caller's alignment when it was taken within the kept frames (the
    // onset, or an unannotated clip's first face); else the first kept frame's.
    alignment_ = clip_alignment && clip_alignment->frame >= first_ ? *clip_alignment : loader_.align(frame, index);
    aligned_ = true;
  }
  sized_[index] = size_frame(frame, alignment_, loader_.impl_->spec);  // a new Mat: decoders reuse frame buffers
  if (static_cast<int64_t>(sized_.size()) > max_frames_) {
    overflowed_ = true;
    sized_.clear();
  }
}

ClipSample ClipLoader::Collector::finish(const std::string& path, const ClipSpan& span, uint64_t seed) const {
  if (overflowed_) throw std::logic_error("ClipLoader::Collector::finish after overflow");
  return loader_.from_sized(path, span, seed, sized_, alignment_);
}

ClipLoader::Windows ClipLoader::open_windows(const std::string& path, std::vector<ClipSpan> windows) {
  Windows out;
  out.spec_ = impl_->spec;
  out.spec_.augment = {};  // scoring: no augmentation
  if (windows.empty()) return out;
  const ClipSpec& spec = out.spec_;
  if (spec.kind == InputKind::FlowImage) throw DataError(path, "a flow image is one clip: it has no windows to score");
  SampleSpec sampling;
  sampling.strategy = spec.sampling;
  sampling.frames = spec.frames;
  const bool motion = spec.sampling == Sampling::MotionAdaptive;
  std::set<int64_t> wanted;
  for (const auto& span : windows) {
    if (computes_flow(spec)) {
      out.indices_.push_back(flow_indices(path, span, spec.frames));
    } else if (motion) {
      out.indices_.emplace_back();
      for (int64_t i = span.onset; i <= span.offset; ++i) wanted.insert(i);
    } else {
      out.indices_.push_back(sample_keyframes(sampling, span));
      wanted.insert(span.onset);
    }
    wanted.insert(out.indices_.back().begin(), out.indices_.back().end());
  }
  // One transform for every window, from the earliest frame; frames sized once, shared by windows.
  FaceAlignment alignment;
  out.sized_ = decode_sized(path, *wanted.begin(), *wanted.rbegin(),
                            [&](int64_t i) { return wanted.count(i) > 0; }, alignment);
  require_frames(path, out.sized_, {wanted.begin(), wanted.end()});
  cut_with(path, alignment, out.cut_);
  out.spans_ = std::move(windows);
  // The costly parts happen here, on the caller's (worker's) thread: a flow
  // window's input (a few KB, less than its frames) is computed now, and
  // motion-adaptive sampling's curve; take() then only assembles frames.
  if (computes_flow(spec)) {
    for (size_t k = 0; k < out.spans_.size(); ++k) {
      ClipSample& s = out.flow_.emplace_back(out.cut_);
      s.indices = out.indices_[k];
      assemble_flow(out.sized_, s.indices, spec, s);
    }
    out.sized_.clear();
  } else if (motion) {
    for (size_t k = 0; k < out.spans_.size(); ++k)
      out.indices_[k] = sample_keyframes(sampling, out.spans_[k], span_motion(out.sized_, out.spans_[k]));
  }
  return out;
}

std::vector<ClipSample> ClipLoader::Windows::take(size_t first, size_t count) const {
  const size_t end = std::min(spans_.size(), first + std::min(count, spans_.size()));
  std::vector<ClipSample> samples;
  for (size_t k = first; k < end; ++k) {
    if (computes_flow(spec_)) {
      samples.push_back(flow_[k]);
      continue;
    }
    ClipSample s = cut_;
    s.indices = indices_[k];
    std::vector<cv::Mat> frames;
    for (int64_t i : s.indices) frames.push_back(sized_.at(i));
    assemble(frames, sized_.at(spans_[k].onset), spec_, 0, s);
    samples.push_back(std::move(s));
  }
  return samples;
}

std::vector<ClipSample> ClipLoader::load_windows(const std::string& path, const std::vector<ClipSpan>& windows) {
  const Windows w = open_windows(path, windows);
  return w.take(0, w.size());
}

}  // namespace mexa::temporal
