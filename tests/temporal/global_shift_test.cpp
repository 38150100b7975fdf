// temporal::ShiftFrame / estimate_shift: the cached alignment gives the
// values OpenCV's phaseCorrelate + findTransformECC + warpAffine give.
#include <gtest/gtest.h>

#include <opencv2/imgproc.hpp>
#include <opencv2/video/tracking.hpp>

#include "mexa/temporal/global_shift.h"

namespace mexa::temporal {
namespace {

/// Smooth random texture with a local bump that moves (a "micro-expression")
/// and a global sub-pixel shift of (dx, dy).
cv::Mat scene(cv::Size size, uint64_t seed, double dx, double dy, float bump) {
  cv::Mat small(size.height / 6 + 2, size.width / 6 + 2, CV_32F);
  cv::RNG rng(seed);
  rng.fill(small, cv::RNG::UNIFORM, 40, 220);
  cv::Mat big;
  cv::resize(small, big, size, 0, 0, cv::INTER_CUBIC);
  cv::circle(big, {size.width / 2, size.height * 3 / 4}, size.width / 8, cv::Scalar(120 + bump), cv::FILLED,
             cv::LINE_AA);
  cv::GaussianBlur(big, big, cv::Size(0, 0), 1.0);
  cv::Mat out;
  const cv::Mat m = (cv::Mat_<double>(2, 3) << 1, 0, dx, 0, 1, dy);
  cv::warpAffine(big, out, m, size, cv::INTER_CUBIC, cv::BORDER_REFLECT);
  return out;
}

struct Case {
  double dx, dy;
  float bump;
  int size;
};

class AgainstOpenCv : public ::testing::TestWithParam<Case> {};

TEST_P(AgainstOpenCv, PhaseCorrelationEccAndAlignedDifferenceMatch) {
  const Case c = GetParam();
  const cv::Size size(c.size, c.size);
  const cv::Mat a = scene(size, 7, 0, 0, 0), b = scene(size, 7, c.dx, c.dy, c.bump);
  const cv::Mat window = hann_window(size);
  const ShiftFrame fa(a.clone(), window), fb(b.clone(), window);

  const cv::Point2d cv_phase = cv::phaseCorrelate(a.clone(), b.clone(), window);
  const Shift phase = phase_shift(fa, fb);
  EXPECT_NEAR(phase.x, cv_phase.x, 1e-5);
  EXPECT_NEAR(phase.y, cv_phase.y, 1e-5);

  cv::Mat warp = (cv::Mat_<float>(2, 3) << 1, 0, static_cast<float>(cv_phase.x), 0, 1, static_cast<float>(cv_phase.y));
  bool cv_converged = true;
  try {
    cv::findTransformECC(a, b, warp, cv::MOTION_TRANSLATION,
                         cv::TermCriteria(cv::TermCriteria::COUNT | cv::TermCriteria::EPS, 30, 1e-4), cv::noArray(), 1);
  } catch (const cv::Exception&) {
    cv_converged = false;
  }
  Shift ecc = phase;
  EXPECT_EQ(refine_shift(fa, fb, ecc), cv_converged);
  EXPECT_NEAR(ecc.x, warp.at<float>(0, 2), 1e-5);
  EXPECT_NEAR(ecc.y, warp.at<float>(1, 2), 1e-5);

  cv::Mat aligned, weights(size, CV_32F);
  cv::randu(weights, 0.5, 1.5);
  cv::warpAffine(b, aligned, warp, size, cv::INTER_LINEAR | cv::WARP_INVERSE_MAP, cv::BORDER_REPLICATE);
  cv::Mat diff = aligned - a;
  const double expected = cv::mean(diff.mul(diff).mul(weights))[0];
  const Shift cv_shift{warp.at<float>(0, 2), warp.at<float>(1, 2)};
  EXPECT_NEAR(aligned_mse(fa, fb, cv_shift, weights), expected, 1e-4 * expected + 5e-4);
  // Unaligned difference: the same as with no shift at all.
  const cv::Mat d0 = b - a;
  EXPECT_NEAR(aligned_mse(fa, fb, {}, {}), cv::mean(d0.mul(d0))[0], 1e-4 * cv::mean(d0.mul(d0))[0]);
}

INSTANTIATE_TEST_SUITE_P(Shifts, AgainstOpenCv,
                         ::testing::Values(Case{0.0, 0.0, 0, 64}, Case{0.4, -0.7, 0, 64}, Case{1.3, 0.2, 25, 64},
                                           Case{-2.2, 1.6, 40, 64}, Case{0.8, 0.9, 10, 128},
                                           Case{-0.3, 2.4, 60, 128}, Case{0.6, -0.2, 5, 48}));

TEST(GlobalShift, LargeShiftsAreMotionNotDrift) {
  const cv::Size size(64, 64);
  const cv::Mat window = hann_window(size);
  const ShiftFrame a(scene(size, 3, 0, 0, 0), window), b(scene(size, 3, 5.0, 0.0, 0), window);
  bool aligned = true;
  const Shift s = estimate_shift(a, b, &aligned);
  EXPECT_FALSE(aligned);
  EXPECT_EQ(s.x, 0.0f);
  EXPECT_EQ(s.y, 0.0f);
}

TEST(GlobalShift, WithoutWindowNothingIsAligned) {
  const cv::Size size(32, 32);
  const ShiftFrame a(scene(size, 3, 0, 0, 0), {}), b(scene(size, 3, 1.0, 0.0, 0), {});
  bool aligned = true;
  estimate_shift(a, b, &aligned);
  EXPECT_FALSE(aligned);
  EXPECT_TRUE(a.spectrum().empty());
}

TEST(GlobalShift, ShiftsBeyondThePaddingAreSampledLikeWarpAffine) {
  const cv::Size size(40, 40);
  const cv::Mat a = scene(size, 5, 0, 0, 0), b = scene(size, 5, 0, 0, 0);
  const ShiftFrame fa(a.clone(), hann_window(size)), fb(b.clone(), hann_window(size));
  const cv::Mat warp = (cv::Mat_<float>(2, 3) << 1, 0, 12.3f, 0, 1, -10.6f);
  cv::Mat aligned;
  cv::warpAffine(b, aligned, warp, size, cv::INTER_LINEAR | cv::WARP_INVERSE_MAP, cv::BORDER_REPLICATE);
  cv::Mat diff = aligned - a;
  const double expected = cv::mean(diff.mul(diff))[0];
  EXPECT_NEAR(aligned_mse(fa, fb, {12.3f, -10.6f}, {}), expected, 1e-4 * expected);
}

}  // namespace
}  // namespace mexa::temporal
