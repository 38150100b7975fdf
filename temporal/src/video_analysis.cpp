#include "mexa/temporal/video_analysis.h"

#include <opencv2/imgproc.hpp>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cmath>

#include "mexa/io/errors.h"
#include "mexa/io/video_reader.h"
#include "mexa/temporal/alignment.h"
#include "mexa/temporal/frame_image.h"

namespace mexa::temporal {

struct VideoAnalyser::Impl {
  VideoAnalysisOptions options;
  std::unique_ptr<FaceTracker> tracker;
};

VideoAnalyser::VideoAnalyser(VideoAnalysisOptions options) : impl_(std::make_unique<Impl>()) {
  if (options.motion_size < 16) throw std::invalid_argument("motion_size must be at least 16");
  impl_->options = options;
  if (options.face != FaceDetector::None) {
    FaceTrackerOptions t;
    t.detector = options.face;
    t.min_face = options.min_face;
    t.landmarks = true;  // alignment uses them
    impl_->tracker = std::make_unique<FaceTracker>(t);
  }
}

int spotting_k(double fps, const VideoAnalysisOptions& o) {
  const long frames = std::lround((fps > 0 ? fps : 200) * o.expected_me_seconds);
  return std::max(2, static_cast<int>((frames + 1) / 2));
}

double plausible_fps(const io::StreamInfo& info, const std::string& path, const VideoAnalysisOptions& o) {
  const auto plausible = [&](double fps) { return std::isfinite(fps) && fps >= o.min_fps && fps <= o.max_fps; };
  const double average = info.avg_frame_rate.value(), real = info.real_frame_rate.value();
  if (plausible(average)) return average;
  if (plausible(real)) return real;  // e.g. MPEG-TS, which declares no average
  if (average != 0 || real != 0)
    spdlog::warn("{}: the declared frame rate ({:g} fps) is implausible (outside {:g}-{:g}); treated as unknown", path,
                 average != 0 ? average : real, o.min_fps, o.max_fps);
  return 0;
}

VideoAnalyser::~VideoAnalyser() = default;
VideoAnalyser::VideoAnalyser(VideoAnalyser&&) noexcept = default;
VideoAnalyser& VideoAnalyser::operator=(VideoAnalyser&&) noexcept = default;

io::PixelFormat VideoAnalyser::pixel_format() const {
  return impl_->tracker ? io::PixelFormat::Rgb24 : io::PixelFormat::Gray8;
}

namespace {

/// One decode of one video: each frame's face, the clip's one alignment
/// (alignment.h: on the annotated onset, else on the first frame with a
/// face; frames before it wait, up to max_align_buffer_bytes, and are cut
/// once it is known), and each frame's crop for the motion curve.
class FramePass {
 public:
  FramePass(const VideoAnalysisOptions& o, FaceTracker* tracker, const AnnotatedSpan& span, const FrameSink& sink,
            const std::string& path, int k, VideoAnalysis& out)
      : o_(o), tracker_(tracker), span_(span), sink_(sink), path_(path), k_(k), out_(out),
        motion_size_(o.motion_size, o.motion_size),
        annotated_(span.onset >= 0 && span.offset >= span.onset),
        onset_given_(span.onset >= 0) {
    if (!tracker_) {  // no detector: the whole frame is the face, from the start
      out_.alignment.frame = onset_given_ ? span_.onset : 0;
      aligned_ = true;
    }
  }

  /// One decoded frame.
  void add(FrameAnalysis f, const cv::Mat& image) {
    detect(f, image);
    if (aligned_) {
      settle_waiting();
      settle(std::move(f), image);
      return;
    }
    waiting_bytes_ += image.total() * image.elemSize();
    waiting_.push_back({std::move(f), image.clone()});  // a copy: decoders reuse frame buffers
    if (waiting_bytes_ > o_.max_align_buffer_bytes) overflow();
  }

  /// No face (or no onset) to align on: the waiting frames are cut whole.
  void finish() { settle_waiting(); }

  bool any_face() const { return any_face_; }
  const std::vector<cv::Mat>& crops() const { return crops_; }            ///< short videos: every frame's
  const std::vector<cv::Mat>& span_crops() const { return span_crops_; }  ///< long videos: the annotated span's

 private:
  struct Waiting {
    FrameAnalysis row;
    cv::Mat image;
  };

  void detect(FrameAnalysis& f, const cv::Mat& image) {
    if (!tracker_) {
      f.box = cv::Rect2f(0, 0, static_cast<float>(image.cols), static_cast<float>(image.rows));
      f.confidence = 1;
      f.success = true;
      f.face_id = 0;
      any_face_ = true;
      return;
    }
    cv::Mat bgr;
    cv::cvtColor(image, bgr, cv::COLOR_RGB2BGR);
    const auto faces = tracker_->track(bgr);
    if (!faces.empty() && faces[0].success) {
      f.box = faces[0].box;
      f.confidence = faces[0].confidence;
      f.success = true;
      f.face_id = faces[0].face_id;
      if (o_.landmarks) f.landmarks = faces[0].landmarks;
      any_face_ = true;
    }
    if (!aligned_ && (onset_given_ ? f.index == span_.onset : f.success)) {
      out_.alignment = align_on(*tracker_, image, f.index);
      aligned_ = true;
    }
  }

  /// The onset (or a face) is further in than memory allows waiting for:
  /// align on the first waiting frame with a face, if any; else cut the
  /// waiting frames whole (they have no face) and wait on.
  void overflow() {
    const auto first_face = std::find_if(waiting_.begin(), waiting_.end(), [](const Waiting& w) { return w.row.success; });
    if (first_face != waiting_.end()) {
      out_.alignment = align_on(*tracker_, first_face->image, first_face->row.index);
      aligned_ = true;
    }
    if (!warned_)
      spdlog::warn("{}: {} MiB of frames decoded before {}; the per-frame rows are aligned on {}", path_,
                   o_.max_align_buffer_bytes >> 20, onset_given_ ? "the annotated onset" : "the first face",
                   aligned_ ? "frame " + std::to_string(out_.alignment.frame) : std::string("the whole frame until a face"));
    warned_ = true;
    settle_waiting();
  }

  void settle_waiting() {
    for (auto& w : waiting_) settle(std::move(w.row), w.image);
    waiting_.clear();
    waiting_bytes_ = 0;
  }

  /// A frame whose alignment is known: to the sink, cut, into the motion curve.
  void settle(FrameAnalysis f, const cv::Mat& image) {
    if (sink_) sink_(f.index, image, out_.alignment);
    cv::Mat gray;
    if (image.channels() == 3)
      cv::cvtColor(image, gray, cv::COLOR_RGB2GRAY);
    else
      gray = image;
    cv::Mat crop = out_.alignment.cut(gray, motion_size_);
    if (!sliding_ && static_cast<int64_t>(crops_.size()) >= o_.max_short_frames) start_sliding();
    if (sliding_) {
      f.motion = sliding_->push(crop);
      if (in_span(f.index)) span_crops_.push_back(crop);
    } else {
      crops_.push_back(crop);  // a fresh Mat each frame: no copy needed
    }
    out_.frames.push_back(std::move(f));
  }

  /// Too long for a clip: stream from here on (replaying what was kept).
  void start_sliding() {
    sliding_ = std::make_unique<SlidingMotion>(MotionOptions{.sliding = k_},
                                               face_region_weights(motion_size_, o_.spot_weights));
    for (size_t i = 0; i < crops_.size(); ++i) {
      out_.frames[i].motion = sliding_->push(crops_[i]);
      if (in_span(static_cast<int64_t>(i))) span_crops_.push_back(crops_[i]);
    }
    crops_.clear();
    crops_.shrink_to_fit();
    out_.long_video = true;
  }

  bool in_span(int64_t index) const { return annotated_ && index >= span_.onset && index <= span_.offset; }

  const VideoAnalysisOptions& o_;
  FaceTracker* tracker_;
  const AnnotatedSpan& span_;
  const FrameSink& sink_;
  const std::string& path_;
  const int k_;
  VideoAnalysis& out_;
  const cv::Size motion_size_;
  const bool annotated_, onset_given_;  ///< a long video is a clip (not spotted) when its whole span is given
  bool aligned_ = false, any_face_ = false, warned_ = false;  // warned: the budget warning, once per video
  std::vector<Waiting> waiting_;
  size_t waiting_bytes_ = 0;
  std::vector<cv::Mat> crops_, span_crops_;
  std::unique_ptr<SlidingMotion> sliding_;
};

/// A long video without an annotated span: intervals spotted on the sliding curve.
void spot_long_video(VideoAnalysis& out, int k, const VideoAnalysisOptions& o) {
  const auto n = static_cast<int64_t>(out.frames.size());
  std::vector<float> curve(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) curve[static_cast<size_t>(i)] = out.frames[static_cast<size_t>(i)].motion;
  SpotOptions spot = o.spot;
  spot.k = k;
  out.intervals = spot_intervals(transient_score(curve, k), spot);
  out.has_span = false;
  out.onset = 0;
  out.offset = n - 1;
  out.apex = out.intervals.empty() ? 0 : out.intervals.front().apex;
  out.apex_spotted = true;
}

/// One movement: motion against the onset (or first) frame, apex at its peak unless annotated.
void one_movement(VideoAnalysis& out, const AnnotatedSpan& span, const FramePass& pass, const std::string& path,
                  const VideoAnalysisOptions& o) {
  const auto n = static_cast<int64_t>(out.frames.size());
  out.onset = span.onset >= 0 ? span.onset : 0;
  out.offset = span.offset >= 0 ? span.offset : n - 1;
  if (out.onset >= n || out.offset >= n || out.offset < out.onset)
    throw DataError(path, "annotated span [" + std::to_string(out.onset) + ", " + std::to_string(out.offset) +
                              "] does not fit the video's " + std::to_string(n) + " frames");
  const cv::Mat weights = face_region_weights(cv::Size(o.motion_size, o.motion_size), o.apex_weights);
  std::vector<float> span_curve;  // index 0 = the onset
  if (out.long_video) {
    // Per-frame motion stays the sliding curve; the span gets its own, against its onset.
    span_curve = motion_curve(pass.span_crops(), MotionOptions{.reference = 0}, weights);
  } else {
    const auto curve = motion_curve(pass.crops(), MotionOptions{.reference = out.onset}, weights);
    for (int64_t i = 0; i < n; ++i) out.frames[static_cast<size_t>(i)].motion = curve[static_cast<size_t>(i)];
    span_curve.assign(curve.begin() + out.onset, curve.begin() + out.offset + 1);
  }
  if (span.apex >= out.onset && span.apex <= out.offset) {
    out.apex = span.apex;
  } else {
    out.apex = out.onset + spot_apex(span_curve, 0, out.offset - out.onset);
    out.apex_spotted = true;
  }
}

}  // namespace

VideoAnalysis VideoAnalyser::analyse(const std::string& path, const AnnotatedSpan& annotated_span, const FrameSink& sink) {
  const auto& o = impl_->options;
  io::VideoReaderOptions ro;
  ro.pixel_format = pixel_format();
  ro.frame_folder_fps = o.folder_fps;
  io::VideoReader reader(path, ro);
  FaceTracker* tracker = impl_->tracker.get();
  if (tracker) tracker->reset();  // tracks belong to one video
  VideoAnalysis out;
  out.fps = plausible_fps(reader.info(), path, o);
  const int k = spotting_k(out.fps, o);
  FramePass pass(o, tracker, annotated_span, sink, path, k, out);
  io::Frame frame;
  while (reader.next(frame)) {
    FrameAnalysis f;
    f.index = frame.index();
    f.time = frame.time_s();
    pass.add(std::move(f), to_mat(frame));
  }
  pass.finish();
  const auto n = static_cast<int64_t>(out.frames.size());
  if (n == 0) throw DecodeError(path, "no frames");
  if (n == 1) throw DecodeError(path, "1 frame: a micro-expression needs at least 2 (an onset and an apex)");
  out.face_found = pass.any_face();
  out.spot_k = out.long_video ? k : 0;
  const bool annotated = annotated_span.onset >= 0 && annotated_span.offset >= annotated_span.onset;
  if (out.long_video && !annotated)
    spot_long_video(out, k, o);
  else
    one_movement(out, annotated_span, pass, path, o);
  return out;
}

}  // namespace mexa::temporal
