#include "mexa/temporal/video_analysis.h"

#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cmath>

#include "mexa/io/errors.h"
#include "mexa/io/video_reader.h"
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
    t.landmarks = true;  // alignment uses them
    t.crop_size = {options.motion_size, options.motion_size};
    impl_->tracker = std::make_unique<FaceTracker>(t);
  }
}

int spotting_k(double fps, const VideoAnalysisOptions& o) {
  const long frames = std::lround((fps > 0 ? fps : 200) * o.expected_me_seconds);
  return std::max(2, static_cast<int>((frames + 1) / 2));
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
  if (impl_->tracker) impl_->tracker->reset();  // tracks belong to one video
  VideoAnalysis out;
  out.fps = reader.info().avg_frame_rate.value();
  const int k = spotting_k(out.fps, o);
  const cv::Size motion_size(o.motion_size, o.motion_size);
  // A long video is a clip (not spotted) when the caller gives its whole span.
  const bool annotated = annotated_span.onset >= 0 && annotated_span.offset >= annotated_span.onset;

  std::vector<cv::Mat> crops;  // short videos: every crop; dropped on the switch to long mode
  std::vector<cv::Mat> span_crops;  // annotated span of a long video: its crops only
  std::unique_ptr<SlidingMotion> sliding;
  cv::Mat transform;  // frame -> canonical crop, from the first frame with a face
  bool any_face = false;
  io::Frame frame;
  while (reader.next(frame)) {
    FrameAnalysis f;
    f.index = frame.index();
    f.time = frame.time_s();
    cv::Mat image = to_mat(frame);
    if (sink) sink(f.index, image);
    cv::Mat gray;
    if (impl_->tracker) {
      cv::Mat bgr;
      cv::cvtColor(image, bgr, cv::COLOR_RGB2BGR);
      const auto faces = impl_->tracker->track(bgr);
      if (!faces.empty() && faces[0].success) {
        f.box = faces[0].box;
        f.confidence = faces[0].confidence;
        f.success = true;
        f.face_id = faces[0].face_id;
        if (o.landmarks) f.landmarks = faces[0].landmarks;
        if (transform.empty()) transform = impl_->tracker->alignment(faces[0]);
        any_face = true;
      }
      cv::cvtColor(image, gray, cv::COLOR_RGB2GRAY);
    } else {
      f.box = cv::Rect2f(0, 0, static_cast<float>(image.cols), static_cast<float>(image.rows));
      f.confidence = 1;
      f.success = true;
      f.face_id = 0;
      gray = image;
      any_face = true;
    }
    cv::Mat crop;
    if (!transform.empty())
      cv::warpAffine(gray, crop, transform, motion_size, cv::INTER_LINEAR, cv::BORDER_REPLICATE);
    else
      cv::resize(gray, crop, motion_size, 0, 0, cv::INTER_AREA);
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
  }
  const auto n = static_cast<int64_t>(out.frames.size());
  if (n == 0) throw DecodeError(path, "no frames");
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
