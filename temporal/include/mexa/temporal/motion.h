// temporal::motion_curve, apex spotting and MEGC interval spotting.
//
// Motion of frame t = weighted mean squared grey difference between frame t
// and a reference frame (the onset for annotated clips; frame t - k, a
// sliding reference, for long videos), after removing the global translation
// between the two (phase correlation), so slow head drift does not count as
// expression. Weights emphasise brows, eyes and mouth (face_region_weights);
// eyes can be masked out for spotting (blinks), as SOFTNet does.
//
// Stateless functions, thread-safe.
//
//   auto weights = mexa::temporal::face_region_weights(size, {});
//   auto curve = mexa::temporal::motion_curve(frames, {.reference = onset}, weights);
//   int64_t apex = mexa::temporal::spot_apex(curve, onset, offset);
#pragma once

#include "mexa/temporal/global_shift.h"

#include <opencv2/core.hpp>

#include <cstdint>
#include <optional>
#include <vector>

namespace mexa::temporal {

struct RegionWeights {
  float brows = 1.0f;
  float eyes = 1.0f;   ///< 0 masks the eyes (blinks) for spotting
  float mouth = 1.0f;
  float rest = 0.25f;  ///< the rest of the face crop
  /// Size of the eye regions (1 = the eye itself). Spotting masks eyes with a
  /// larger region (about 2): a blink moves the skin well around the eye.
  float eye_size = 1.0f;
};

/// Weight map (CV_32F, mean 1) for an aligned, face-cropped image: regions at
/// the canonical positions of brows, eyes and mouth, or — when 68 landmarks
/// (iBUG order) are given — around those landmarks.
cv::Mat face_region_weights(cv::Size size, const RegionWeights& weights,
                            const std::vector<cv::Point2f>& landmarks = {});

struct MotionOptions {
  int64_t reference = 0;       ///< fixed reference frame (e.g. the onset)
  int sliding = 0;             ///< > 0: compare frame t with frame t - sliding instead
  bool compensate_global = true;
  double blur_sigma = 1.0;     ///< Gaussian pre-blur against sensor noise
};

/// One value per frame (frames are grey, same size). Sliding mode: the first
/// `sliding` frames compare with frame 0.
std::vector<float> motion_curve(const std::vector<cv::Mat>& frames, const MotionOptions& options,
                                const cv::Mat& weights = {});

/// Streaming form of the sliding-reference curve for long videos: memory
/// holds the last `sliding` frames only. push() returns the motion of the
/// frame just given (frame t against frame t - sliding; the first frames
/// against frame 0). Not thread-safe.
class SlidingMotion {
 public:
  SlidingMotion(const MotionOptions& options, cv::Mat weights = {});
  float push(const cv::Mat& gray);

 private:
  MotionOptions options_;
  cv::Mat weights_;
  cv::Mat window_;
  std::vector<std::optional<ShiftFrame>> ring_;  // the last `sliding` + 1 prepared frames
  int64_t count_ = 0;
};

/// Apex of [onset, offset]: the frame where the (3-frame averaged) curve peaks.
int64_t spot_apex(const std::vector<float>& curve, int64_t onset, int64_t offset);

struct Interval {
  int64_t onset = 0, apex = 0, offset = 0;
  float score = 0;
};

/// Transient score for spotting: min(d(t, t-k), d(t, t+k)) from the sliding
/// curve s (s[t] = d(t, t-k), so d(t, t+k) = s[t+k]). High only where frame t
/// differs from both sides — a movement that comes and goes within ~2k frames
/// — and low on steps (the onset of a long macro-expression, a head turn).
/// The last k frames score 0.
std::vector<float> transient_score(const std::vector<float>& sliding, int k);

struct SpotOptions {
  double p = 0.55;  ///< threshold = mean + p * (max - mean)
  int k = 10;       ///< peaks at least k frames apart; interval = [peak - k, peak + k]
};

/// MEGC-style spotting on a per-frame score (SOFTNet's rule).
std::vector<Interval> spot_intervals(const std::vector<float>& score, const SpotOptions& options);

struct SpottingMetric {
  int tp = 0, fp = 0, fn = 0;
  double precision = 0, recall = 0, f1 = 0;
};

/// Intersection over union of two frame intervals (inclusive ends).
double interval_iou(const Interval& a, const Interval& b);

/// MEGC: a prediction is a true positive when its IoU with a not yet matched
/// ground-truth interval is >= 0.5; FN = ground truths - TP. Accumulate over
/// videos with add().
SpottingMetric spotting_metric(const std::vector<Interval>& predicted, const std::vector<Interval>& truth);
SpottingMetric add(const SpottingMetric& a, const SpottingMetric& b);

}  // namespace mexa::temporal
