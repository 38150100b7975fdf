// temporal: optical flow features, motion curves, apex spotting, MEGC spotting metric.
#include <gtest/gtest.h>

#include <opencv2/imgproc.hpp>
#include <random>

#include "mexa/temporal/motion.h"
#include "mexa/temporal/optical_flow.h"

namespace mexa::temporal {
namespace {

/// A textured grey image (smooth random blobs), like skin under a camera.
cv::Mat texture(cv::Size size, uint64_t seed) {
  cv::Mat small(size.height / 6 + 2, size.width / 6 + 2, CV_32F);
  cv::RNG rng(seed);
  rng.fill(small, cv::RNG::UNIFORM, 40, 220);
  cv::Mat big;
  cv::resize(small, big, size, 0, 0, cv::INTER_CUBIC);
  cv::GaussianBlur(big, big, cv::Size(0, 0), 1.5);
  return big;
}

cv::Mat shifted(const cv::Mat& image, double dx, double dy) {
  cv::Mat out;
  const cv::Mat m = (cv::Mat_<double>(2, 3) << 1, 0, dx, 0, 1, dy);
  cv::warpAffine(image, out, m, image.size(), cv::INTER_CUBIC, cv::BORDER_REFLECT);
  return out;
}

}  // namespace

// Readable parameter names in test output (and ctest's test names).
void PrintTo(FlowMethod method, std::ostream* os) {
  *os << (method == FlowMethod::TvL1 ? "TvL1" : method == FlowMethod::Farneback ? "Farneback" : "Dis");
}

namespace {

class FlowMethods : public ::testing::TestWithParam<FlowMethod> {};

TEST_P(FlowMethods, RecoverAGlobalTranslationWithoutStrain) {
  const cv::Mat a = texture({96, 96}, 3);
  const cv::Mat b = shifted(a, 1.5, -0.75);
  const cv::Mat flow = dense_flow(a, b, GetParam());
  const cv::Rect inner(16, 16, 64, 64);  // away from the borders
  const cv::Scalar mean = cv::mean(flow(inner));
  EXPECT_NEAR(mean[0], 1.5, 0.2);
  EXPECT_NEAR(mean[1], -0.75, 0.2);
  EXPECT_LT(cv::mean(optical_strain(flow)(inner))[0], 0.1);
}

TEST_P(FlowMethods, FeaturesAre28x28x3AndNormalised) {
  const cv::Mat a = texture({128, 128}, 5);
  cv::Mat b;
  // Zoom by 3 % about the centre: flow grows outwards, strain is about 0.03 everywhere.
  const cv::Mat zoom = cv::getRotationMatrix2D({64, 64}, 0, 1.03);
  cv::warpAffine(a, b, zoom, a.size(), cv::INTER_CUBIC, cv::BORDER_REFLECT);
  const FlowFeatures f = flow_features(a, b, GetParam());
  ASSERT_EQ(f.stacked.type(), CV_32FC3);
  ASSERT_EQ(f.stacked.size(), cv::Size(28, 28));
  double lo, hi;
  cv::minMaxLoc(f.stacked.reshape(1), &lo, &hi);
  EXPECT_GE(lo, -1.0 - 1e-6);
  EXPECT_LE(hi, 1.0 + 1e-6);
  EXPECT_GT(f.max_flow, 1.0f);    // 3 % of 64 px at the edge: ~2 px
  EXPECT_GT(f.max_strain, 0.01f);
  cv::Mat channels[3];
  cv::split(f.stacked, channels);
  // u grows from left to right across the image.
  EXPECT_LT(cv::mean(channels[0](cv::Rect(2, 10, 6, 8)))[0], -0.2);
  EXPECT_GT(cv::mean(channels[0](cv::Rect(20, 10, 6, 8)))[0], 0.2);
}

INSTANTIATE_TEST_SUITE_P(All, FlowMethods, ::testing::Values(FlowMethod::TvL1, FlowMethod::Farneback, FlowMethod::Dis),
                         [](const auto& info) {
                           return std::string(info.param == FlowMethod::TvL1        ? "TvL1"
                                              : info.param == FlowMethod::Farneback ? "Farneback"
                                                                                    : "Dis");
                         });

TEST(Flow, NoMotionGivesZerosNotNaN) {
  const cv::Mat a = texture({64, 64}, 9);
  const FlowFeatures f = flow_features(a, a, FlowMethod::Farneback);
  EXPECT_LT(cv::norm(f.stacked.reshape(1), cv::NORM_INF), 1.0 + 1e-6);
  EXPECT_FALSE(cv::checkRange(f.stacked) == false);
  EXPECT_THROW(parse_flow_method("lk"), std::invalid_argument);
}

/// Frames where a local bump rises to `apex` then falls; the whole image also drifts.
std::vector<cv::Mat> expression_clip(int n, int onset, int apex, int offset, double drift_px) {
  const cv::Mat base = texture({128, 128}, 11);
  std::vector<cv::Mat> frames;
  for (int t = 0; t < n; ++t) {
    double k = 0;
    if (t > onset && t <= apex) k = double(t - onset) / (apex - onset);
    if (t > apex && t < offset) k = double(offset - t) / (offset - apex);
    cv::Mat map_x(base.size(), CV_32F), map_y(base.size(), CV_32F);
    for (int y = 0; y < 128; ++y)
      for (int x = 0; x < 128; ++x) {
        const double w = std::exp(-((x - 64) * (x - 64) + (y - 96) * (y - 96)) / (2.0 * 10 * 10));  // "mouth"
        map_x.at<float>(y, x) = static_cast<float>(x);
        map_y.at<float>(y, x) = static_cast<float>(y - 3.0 * k * w);
      }
    cv::Mat frame;
    cv::remap(base, frame, map_x, map_y, cv::INTER_LINEAR, cv::BORDER_REFLECT);
    frames.push_back(shifted(frame, drift_px * t / n, 0.5 * drift_px * t / n));
  }
  return frames;
}

TEST(Motion, CurvePeaksAtTheApexDespiteHeadDrift) {
  const auto frames = expression_clip(60, 10, 30, 50, /*drift_px=*/1.5);
  const cv::Mat weights = face_region_weights({128, 128}, {});
  const auto compensated = motion_curve(frames, {.reference = 10}, weights);
  EXPECT_EQ(spot_apex(compensated, 10, 50), 30);
  EXPECT_EQ(compensated[10], 0.0f);
  // The drift alone (frame 59, expression over) is small once compensated...
  EXPECT_LT(compensated[59], 0.2 * compensated[30]);
  // ...and dominates without compensation.
  const auto raw = motion_curve(frames, {.reference = 10, .compensate_global = false}, weights);
  EXPECT_GT(raw[59], raw[30]);
}

TEST(Motion, RegionWeightsHaveMeanOneAndMaskEyes) {
  const cv::Mat w = face_region_weights({128, 128}, {.eyes = 0.0f});
  EXPECT_NEAR(cv::mean(w)[0], 1.0, 1e-4);
  EXPECT_EQ(w.at<float>(51, 45), 0.0f);  // left eye centre (0.35, 0.40)
  EXPECT_GT(w.at<float>(96, 64), w.at<float>(10, 5));  // mouth above the rest
}

TEST(Spotting, MegcRuleFindsPeaksAtLeastKApart) {
  std::vector<float> score(200, 1.0f);
  auto bump = [&](int at, float h) {
    for (int d = -4; d <= 4; ++d) score[static_cast<size_t>(at + d)] += h * (1.0f - std::abs(d) / 5.0f);
  };
  bump(40, 10);
  bump(46, 8);  // within k of the first: suppressed
  bump(120, 9);
  bump(170, 2);  // below the threshold
  const auto found = spot_intervals(score, {.p = 0.55, .k = 10});
  ASSERT_EQ(found.size(), 2u);
  EXPECT_EQ(found[0].apex, 40);
  EXPECT_EQ(found[0].onset, 30);
  EXPECT_EQ(found[0].offset, 50);
  EXPECT_EQ(found[1].apex, 120);
}

TEST(Spotting, TransientScoreKeepsBumpsAndDropsSteps) {
  // Sliding curve (k = 3) of a step at frame 10 and a bump at frame 30.
  std::vector<float> s(50, 0.0f);
  for (int t = 10; t < 13; ++t) s[static_cast<size_t>(t)] = 5;  // after a step only d(t, t-k) rises
  s[30] = 4;                                                       // bump: d(30, 27) ...
  s[33] = 4;                                                       // ... and d(33, 30) = d(30, 33)
  const auto score = transient_score(s, 3);
  EXPECT_EQ(score[30], 4.0f);
  for (int t = 8; t < 14; ++t) EXPECT_EQ(score[static_cast<size_t>(t)], 0.0f) << t;
  EXPECT_EQ(score[48], 0.0f);  // the last k frames have no right side
}

TEST(Spotting, MetricCountsIouAtLeastHalf) {
  EXPECT_DOUBLE_EQ(interval_iou({0, 5, 9}, {5, 7, 14}), 5.0 / 15.0);
  EXPECT_DOUBLE_EQ(interval_iou({0, 5, 9}, {0, 5, 9}), 1.0);
  EXPECT_DOUBLE_EQ(interval_iou({0, 5, 9}, {10, 12, 14}), 0.0);
  const std::vector<Interval> truth{{10, 15, 20}, {100, 105, 110}, {200, 205, 210}};
  const std::vector<Interval> predicted{{12, 16, 22},    // IoU 9/13: TP
                                        {14, 18, 24},    // same truth already matched: FP
                                        {104, 110, 116}, // IoU 7/17 < 0.5: FP
                                        {300, 305, 310}};
  const SpottingMetric m = spotting_metric(predicted, truth);
  EXPECT_EQ(m.tp, 1);
  EXPECT_EQ(m.fp, 3);
  EXPECT_EQ(m.fn, 2);
  EXPECT_DOUBLE_EQ(m.precision, 0.25);
  EXPECT_DOUBLE_EQ(m.recall, 1.0 / 3.0);
  EXPECT_NEAR(m.f1, 2 * 0.25 / 3 / (0.25 + 1.0 / 3), 1e-12);
  const SpottingMetric both = add(m, spotting_metric({{0, 1, 2}}, {{0, 1, 2}}));
  EXPECT_EQ(both.tp, 2);
  EXPECT_EQ(both.fn, 2);
}

}  // namespace
}  // namespace mexa::temporal
