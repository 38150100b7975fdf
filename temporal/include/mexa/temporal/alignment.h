// temporal::FaceAlignment: the one transform a clip is cut with. Taken once per
// clip on a documented frame — the annotated onset, else the first frame with
// a face — and shared by everything cut from that clip: the per-frame motion
// crops (VideoAnalyser), the model input (ClipLoader) and optical flow. It is
// kept in unit coordinates (frame -> canonical face in the unit square), so
// crops of any size (64 for motion, the model's 32, flow's 128) are the same
// alignment at another resolution.
//
//   mexa::temporal::FaceAlignment a = mexa::temporal::align_on(tracker, onset_rgb, onset_index);
//   cv::Mat crop = a.cut(frame_grey, {64, 64});  // warped, or resized whole without a face
#pragma once

#include <opencv2/core.hpp>

#include <cstdint>

namespace mexa::temporal {

class FaceTracker;
struct FaceObservation;

struct FaceAlignment {
  int64_t frame = -1;  ///< the frame it was taken on; -1: none taken (see face)
  bool face = false;   ///< false: no face there (or no detector): every frame is resized whole
  cv::Mat unit;        ///< 2x3 CV_64F, frame -> canonical face in [0, 1]^2; empty without a face

  /// The transform for a crop of `size` (empty without a face).
  cv::Mat to(cv::Size size) const;
  /// `image` cut to `size`: warped by the face transform (bilinear, replicated
  /// border), or, without a face, the whole frame resized (area averaging).
  cv::Mat cut(const cv::Mat& image, cv::Size size) const;
};

/// The alignment on one frame (RGB): the largest face the tracker's detector
/// finds there (a fresh detection, independent of tracking history, so the
/// same frame gives the same alignment in training and in scoring), or
/// face = false when there is none.
FaceAlignment align_on(FaceTracker& tracker, const cv::Mat& rgb, int64_t frame);

/// Least-squares similarity (rotation, uniform scale, translation; no
/// reflection) taking `from` to `to`, as 2x3 CV_64F. Closed form, so it is
/// deterministic and scales with the target points.
cv::Mat fit_similarity(const std::vector<cv::Point2f>& from, const std::vector<cv::Point2f>& to);

}  // namespace mexa::temporal
