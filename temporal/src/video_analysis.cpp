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
  const cv::Size motion_size(o.motion_size, o.motion_size);
  // A long video is a clip (not spotted) when the caller gives its whole span.
  const bool annotated = annotated_span.onset >= 0 && annotated_span.offset >= annotated_span.onset;

  std::vector<cv::Mat> crops;  // short videos: every crop; dropped on the switch to long mode
  std::vector<cv::Mat> span_crops;  // annotated span of a long video: its crops only
  std::unique_ptr<SlidingMotion> sliding;
  bool any_face = false;

  // The clip's one alignment (alignment.h): on the annotated onset, else on
  // the first frame with a face. Frames before it wait (in `waiting`, up to
  // max_align_buffer_bytes) and are cut once it is known.
  FaceAlignment& alignment = out.alignment;
  bool aligned = false;
  const bool onset_given = annotated_span.onset >= 0;  // aligns on it even without an offset, as ClipLoader does
  if (!tracker) {  // no detector: the whole frame is the face, from the start
    alignment.frame = onset_given ? annotated_span.onset : 0;
    aligned = true;
  }
  struct Waiting {
    FrameAnalysis row;
    cv::Mat image;
  };
  std::vector<Waiting> waiting;
  size_t waiting_bytes = 0;
  bool warned = false;  // the budget warning, once per video

  // A frame whose alignment is known: to the sink, cut, into the motion curve.
  auto settle = [&](FrameAnalysis f, const cv::Mat& image) {
    if (sink) sink(f.index, image, alignment);
    cv::Mat gray;
    if (image.channels() == 3)
      cv::cvtColor(image, gray, cv::COLOR_RGB2GRAY);
    else
      gray = image;
    cv::Mat crop = alignment.cut(gray, motion_size);
    if (!sliding && static_cast<int64_t>(crops.size()) >= o.max_short_frames) {
      // Too long for a clip: stream from here on (replaying what was kept).
      sliding = std::make_unique<SlidingMotion>(MotionOptions{.sliding = k},
                                                face_region_weights(motion_size, o.spot_weights));
      for (size_t i = 0; i < crops.size(); ++i) {
        out.frames[i].motion = sliding->push(crops[i]);
        if (annotated && static_cast<int64_t>(i) >= annotated_span.onset && static_cast<int64_t>(i) <= annotated_span.offset)
          span_crops.push_back(crops[i]);
      }
      crops.clear();
      crops.shrink_to_fit();
      out.long_video = true;
    }
    if (sliding) {
      f.motion = sliding->push(crop);
      if (annotated && f.index >= annotated_span.onset && f.index <= annotated_span.offset) span_crops.push_back(crop);
    } else
      crops.push_back(crop);  // a fresh Mat each frame: no copy needed
    out.frames.push_back(std::move(f));
  };
  auto settle_waiting = [&] {
    for (auto& w : waiting) settle(std::move(w.row), w.image);
    waiting.clear();
    waiting_bytes = 0;
  };

  io::Frame frame;
  while (reader.next(frame)) {
    FrameAnalysis f;
    f.index = frame.index();
    f.time = frame.time_s();
    const cv::Mat image = to_mat(frame);
    if (tracker) {
      cv::Mat bgr;
      cv::cvtColor(image, bgr, cv::COLOR_RGB2BGR);
      const auto faces = tracker->track(bgr);
      if (!faces.empty() && faces[0].success) {
        f.box = faces[0].box;
        f.confidence = faces[0].confidence;
        f.success = true;
        f.face_id = faces[0].face_id;
        if (o.landmarks) f.landmarks = faces[0].landmarks;
        any_face = true;
      }
      if (!aligned && (onset_given ? f.index == annotated_span.onset : f.success)) {
        alignment = align_on(*tracker, image, f.index);
        aligned = true;
      }
    } else {
      f.box = cv::Rect2f(0, 0, static_cast<float>(image.cols), static_cast<float>(image.rows));
      f.confidence = 1;
      f.success = true;
      f.face_id = 0;
      any_face = true;
    }
    if (aligned) {
      settle_waiting();
      settle(std::move(f), image);
      continue;
    }
    waiting_bytes += image.total() * image.elemSize();
    waiting.push_back({std::move(f), image.clone()});  // a copy: decoders reuse frame buffers
    if (waiting_bytes > o.max_align_buffer_bytes) {
      // The onset (or a face) is further in than memory allows waiting for:
      // align on the first waiting frame with a face, if any; else cut the
      // waiting frames whole (they have no face) and wait on.
      const auto first_face = std::find_if(waiting.begin(), waiting.end(), [](const Waiting& w) { return w.row.success; });
      if (first_face != waiting.end()) {
        alignment = align_on(*tracker, first_face->image, first_face->row.index);
        aligned = true;
      }
      if (!warned)
        spdlog::warn("{}: {} MiB of frames decoded before {}; the per-frame rows are aligned on {}", path,
                     o.max_align_buffer_bytes >> 20, onset_given ? "the annotated onset" : "the first face",
                     aligned ? "frame " + std::to_string(alignment.frame) : std::string("the whole frame until a face"));
      warned = true;
      settle_waiting();
    }
  }
  settle_waiting();  // no face (or no onset) to align on: these are cut whole
  const auto n = static_cast<int64_t>(out.frames.size());
  if (n == 0) throw DecodeError(path, "no frames");
  if (n == 1) throw DecodeError(path, "1 frame: a micro-expression needs at least 2 (an onset and an apex)");
  out.face_found = any_face;

  out.spot_k = out.long_video ? k : 0;
  if (out.long_video && !annotated) {
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
    return out;
  }

  // One movement: motion against the onset (or first) frame, apex at its peak.
  out.onset = annotated_span.onset >= 0 ? annotated_span.onset : 0;
  out.offset = annotated_span.offset >= 0 ? annotated_span.offset : n - 1;
  if (out.onset >= n || out.offset >= n || out.offset < out.onset)
    throw DataError(path, "annotated span [" + std::to_string(out.onset) + ", " + std::to_string(out.offset) +
                              "] does not fit the video's " + std::to_string(n) + " frames");
  const cv::Mat weights = face_region_weights(motion_size, o.apex_weights);
  std::vector<float> span_curve;  // index 0 = the onset
  if (out.long_video) {
    // Per-frame motion stays the sliding curve; the span gets its own, against its onset.
    span_curve = motion_curve(span_crops, MotionOptions{.reference = 0}, weights);
  } else {
    const auto curve = motion_curve(crops, MotionOptions{.reference = out.onset}, weights);
    for (int64_t i = 0; i < n; ++i) out.frames[static_cast<size_t>(i)].motion = curve[static_cast<size_t>(i)];
    span_curve.assign(curve.begin() + out.onset, curve.begin() + out.offset + 1);
  }
  if (annotated_span.apex >= out.onset && annotated_span.apex <= out.offset) {
    out.apex = annotated_span.apex;
  } else {
    out.apex = out.onset + spot_apex(span_curve, 0, out.offset - out.onset);
    out.apex_spotted = true;
  }
  return out;
}

}  // namespace mexa::temporal
