// temporal::analyse_video: one pass over a video (or frame folder) giving what
// the results file stores per frame — face box, confidence, success, optional
// landmarks, motion — and the micro-expression timing: the annotated
// onset/apex/offset completed by spotting (apex of the motion curve), or, for
// long videos, spotted intervals.
//
// Memory stays bounded whatever the length: short videos (up to
// max_short_frames) keep one small grey crop per frame for the motion curve
// against the reference frame; longer ones switch to the streaming
// sliding-window curve (SlidingMotion), holding only the last k crops, and
// are spotted for intervals — unless the caller gives an annotated span
// (a manifest row of a long video): then the span's crops alone are kept and
// its apex is taken or spotted as in a short clip.
//
// Every motion crop is cut with the clip's one alignment (alignment.h), taken
// on the annotated onset, else on the first frame with a face; frames before
// it wait until it is known, up to max_align_buffer_bytes (per analyser, so
// per worker): past that, the rows align on the first waiting face, or cut
// faceless waiting frames whole, with a warning. The FrameSink gets the same
// alignment, so the model input is cut exactly as the per-frame rows.
//
// Not thread-safe (holds a FaceTracker): one analyser per worker thread.
//
//   mexa::temporal::VideoAnalyser analyser({.face = FaceDetector::None});
//   auto a = analyser.analyse("clip.mp4", {.onset = 10, .apex = -1, .offset = 60});
//   use(a.apex, a.apex_spotted, a.frames[i].motion);
#pragma once

#include <opencv2/core.hpp>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "mexa/io/video_reader.h"
#include "mexa/temporal/alignment.h"
#include "mexa/temporal/face_tracker.h"
#include "mexa/temporal/motion.h"

namespace mexa::temporal {

struct VideoAnalysisOptions {
  FaceDetector face = FaceDetector::None;  ///< None: the whole frame is the face (pre-cropped clips)
  int min_face = 0;                        ///< smallest face side in pixels; 0: the detector's own
  bool landmarks = false;                  ///< keep 68 landmarks per frame (needs a detector)
  int motion_size = 64;                    ///< side of the grey crop the motion curve is computed on
  int64_t max_short_frames = 3000;         ///< longer videos are streamed (and spotted when not annotated)
  // Spotting (long videos without an annotated span) — the defaults that
  // docs/temporal-accuracy.md measures, through this very class:
  double expected_me_seconds = 0.25;       ///< k = (round(fps * this) + 1) / 2 frames (SOFTNet's rule, >= 2)
  RegionWeights spot_weights{.eyes = 0.0f, .eye_size = 2.0f};  ///< blinks masked: eyes and the skin around them
  SpotOptions spot;                        ///< threshold p on the transient score (k is set from the fps)
  RegionWeights apex_weights;              ///< short clips: the motion curve against the onset
  double folder_fps = 0;                   ///< frame rate for frame folders (0: FFmpeg's default)
  /// Declared frame rates outside [min_fps, max_fps] are damage, not data:
  /// warned about and treated as unknown (0; spotting then assumes 200 fps).
  double min_fps = 0.5;
  double max_fps = 100000;
  /// Frames decoded before the alignment frame (the onset, or the first face)
  /// wait for it, up to this many bytes; past that the clip aligns on the
  /// first waiting face (or cuts the faceless waiting frames whole).
  size_t max_align_buffer_bytes = size_t{256} << 20;
};

struct AnnotatedSpan {
  int64_t onset = -1, apex = -1, offset = -1;  ///< -1: not annotated
};

struct FrameAnalysis {
  int64_t index = 0;
  double time = 0;
  cv::Rect2f box;  ///< pixels
  float confidence = 0;
  bool success = false;
  int face_id = -1;  ///< the tracker's face id; -1 without a face
  float motion = 0;
  std::vector<cv::Point2f> landmarks;  ///< 68 points when asked for and found
};

struct VideoAnalysis {
  std::vector<FrameAnalysis> frames;  ///< motion: against the onset (short clips) or frame t - k (long videos)
  double fps = 0;
  bool long_video = false;  ///< more than max_short_frames: streamed, motion is the sliding curve
  /// true: onset/apex/offset describe one movement (every short clip, and long
  /// videos with an annotated span); false: long video, see `intervals`.
  bool has_span = true;
  // The movement: annotated values where given, spotted otherwise.
  int64_t onset = 0, apex = 0, offset = 0;
  bool apex_spotted = false;
  std::vector<Interval> intervals;  ///< long videos without a span: spotted intervals
  int spot_k = 0;                   ///< long videos: the k of the sliding curve and of spotting
  bool face_found = true;           ///< false: no face in any frame (detector on)
  /// The one transform every motion crop was cut with, and where it was taken:
  /// the annotated onset, else the first frame with a face (face = false: none there).
  FaceAlignment alignment;
};

/// Spotting's k for a frame rate: (round(fps * expected_me_seconds) + 1) / 2, at least 2.
int spotting_k(double fps, const VideoAnalysisOptions& options);

/// The frame rate a video declares (average, else FFmpeg's r_frame_rate), or 0
/// when neither is within [options.min_fps, options.max_fps] (warned, naming `path`).
double plausible_fps(const io::StreamInfo& info, const std::string& path, const VideoAnalysisOptions& options);

/// Receives every decoded frame in order (index, image in the analyser's pixel
/// format, the clip's alignment) once the alignment is known: a caller that
/// needs the frames too (the model input) takes them here instead of decoding
/// the video again, and cuts them with the same alignment.
using FrameSink = std::function<void(int64_t index, const cv::Mat& image, const FaceAlignment& alignment)>;

class VideoAnalyser {
 public:
  explicit VideoAnalyser(VideoAnalysisOptions options);
  ~VideoAnalyser();
  VideoAnalyser(VideoAnalyser&&) noexcept;
  VideoAnalyser& operator=(VideoAnalyser&&) noexcept;

  /// Throws DecodeError naming the file when it cannot be read, DataError
  /// when the annotation lies outside the video.
  VideoAnalysis analyse(const std::string& path, const AnnotatedSpan& annotated = {}, const FrameSink& sink = {});

  /// What analyse() decodes to: RGB with a face detector, else grey.
  io::PixelFormat pixel_format() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace mexa::temporal
