// temporal::ShiftFrame / estimate_shift: the global translation between two
// smoothed grey frames, as the motion curve removes it before comparing them.
//
// The estimate is the one OpenCV gives with cv::phaseCorrelate (Hann window)
// followed by cv::findTransformECC (MOTION_TRANSLATION, 30 iterations, eps
// 1e-4, no pre-blur), computed the same way step by step, but with everything
// that depends on one frame alone done once per frame: its windowed spectrum,
// its gradients and its padded copies. A frame is prepared once and then
// compared with any number of others (the sliding curve uses every frame
// twice: once as the frame, once as the reference).
//
//   const cv::Mat window = hann_window(size);
//   ShiftFrame a(smoothed_a, window), b(smoothed_b, window);
//   const Shift s = estimate_shift(a, b);         // b(x + s) ~ a(x)
//   const float mse = aligned_mse(a, b, s, weights);
#pragma once

#include <opencv2/core.hpp>

namespace mexa::temporal {

/// Hann window for phase correlation (CV_32F).
cv::Mat hann_window(cv::Size size);

/// One smoothed grey frame (CV_32F) with its per-frame work done.
class ShiftFrame {
 public:
  /// `window` empty: no global alignment is wanted, only the image is kept.
  ShiftFrame(cv::Mat smoothed, const cv::Mat& window);

  const cv::Mat& image() const { return image_; }
  const cv::Mat& spectrum() const { return spectrum_; }
  /// The image less its mean, as ECC's sums read it, and that mean.
  const cv::Mat& centred() const { return centred_; }
  double mean() const { return mean_; }
  /// Copies padded by `pad()` pixels: with zeros as ECC's warps read them
  /// (the centred image, whose zero is -mean(); x and y gradients), and with
  /// replicated edges (the image, for the final alignment).
  const cv::Mat& zero_padded() const { return zero_padded_; }
  const cv::Mat& gx_padded() const { return gx_padded_; }
  const cv::Mat& gy_padded() const { return gy_padded_; }
  const cv::Mat& edge_padded() const { return edge_padded_; }
  int pad() const { return pad_; }

 private:
  cv::Mat image_, spectrum_, centred_, zero_padded_, gx_padded_, gy_padded_, edge_padded_;
  double mean_ = 0;
  int pad_ = 0;
};

struct Shift {
  float x = 0, y = 0;
};

/// Phase correlation between `reference` and `frame` (both prepared with the
/// same window): the same value as cv::phaseCorrelate(reference, frame, window).
Shift phase_shift(const ShiftFrame& reference, const ShiftFrame& frame);

/// ECC refinement of `shift` (translation only), the same iterations as
/// cv::findTransformECC. Returns false when ECC stops without converging
/// (flat or uncorrelated images); `shift` then holds its last estimate, as
/// the warp matrix does after OpenCV's exception.
bool refine_shift(const ShiftFrame& reference, const ShiftFrame& frame, Shift& shift);

/// Phase correlation, then ECC unless the shift is 3 px or more (larger
/// shifts are real motion, not drift). `aligned` tells whether a shift was
/// kept at all.
Shift estimate_shift(const ShiftFrame& reference, const ShiftFrame& frame, bool* aligned = nullptr);

/// Weighted mean squared difference between `reference` and `frame` sampled
/// at x + shift (bilinear, edges replicated: cv::warpAffine with
/// WARP_INVERSE_MAP and BORDER_REPLICATE). `weights` may be empty.
float aligned_mse(const ShiftFrame& reference, const ShiftFrame& frame, Shift shift, const cv::Mat& weights);

}  // namespace mexa::temporal
