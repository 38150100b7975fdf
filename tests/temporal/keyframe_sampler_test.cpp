// temporal::sample_keyframes: exact indices, including the edge cases.
#include <gtest/gtest.h>

#include <stdexcept>

#include "mexa/temporal/keyframe_sampler.h"

namespace mexa::temporal {
namespace {

using V = std::vector<int64_t>;

V run(Sampling s, int t, ClipSpan span, std::vector<float> motion = {}) {
  SampleSpec spec;
  spec.strategy = s;
  spec.frames = t;
  return sample_keyframes(spec, span, motion);
}

TEST(Keyframes, UniformIncludesBothEnds) {
  EXPECT_EQ(run(Sampling::Uniform, 5, {10, 15, 30}), (V{10, 15, 20, 25, 30}));
  EXPECT_EQ(run(Sampling::Uniform, 4, {0, -1, 9}), (V{0, 3, 6, 9}));
  EXPECT_EQ(run(Sampling::Uniform, 1, {0, -1, 9}), (V{4}));
}

TEST(Keyframes, TMoreThanClipLengthRepeatsFrames) {
  EXPECT_EQ(run(Sampling::Interpolate, 8, {5, 6, 8}), (V{5, 5, 6, 6, 7, 7, 8, 8}));
  EXPECT_EQ(run(Sampling::Uniform, 6, {0, 1, 2}), (V{0, 0, 1, 1, 2, 2}));
}

TEST(Keyframes, OnsetEqualsOffsetAndOneFrameClips) {
  EXPECT_EQ(run(Sampling::Uniform, 4, {7, 7, 7}), (V{7, 7, 7, 7}));
  EXPECT_EQ(run(Sampling::ApexWindow, 3, {7, -1, 7}), (V{7, 7, 7}));
  EXPECT_EQ(run(Sampling::Triplet, 3, {7, 7, 7}), (V{7, 7, 7}));
  EXPECT_EQ(run(Sampling::MotionAdaptive, 2, {0, 0, 0}, {0.5f}), (V{0, 0}));
}

TEST(Keyframes, TripletIsOnsetApexOffset) {
  EXPECT_EQ(run(Sampling::Triplet, 3, {3, 11, 40}), (V{3, 11, 40}));
  EXPECT_EQ(run(Sampling::Triplet, 3, {3, -1, 40}), (V{3, 21, 40}));  // no apex: the middle
  EXPECT_THROW(run(Sampling::Triplet, 4, {3, 11, 40}), std::invalid_argument);
}

TEST(Keyframes, ApexWindowCentresAndStaysInside) {
  EXPECT_EQ(run(Sampling::ApexWindow, 5, {0, 20, 40}), (V{18, 19, 20, 21, 22}));
  EXPECT_EQ(run(Sampling::ApexWindow, 4, {0, 20, 40}), (V{19, 20, 21, 22}));
  EXPECT_EQ(run(Sampling::ApexWindow, 5, {10, 10, 40}), (V{10, 11, 12, 13, 14}));  // apex at the onset
  EXPECT_EQ(run(Sampling::ApexWindow, 5, {10, 40, 40}), (V{36, 37, 38, 39, 40}));  // apex at the offset
  EXPECT_EQ(run(Sampling::ApexWindow, 5, {10, 11, 12}), (V{10, 11, 11, 12, 12}));  // shorter than T
}

TEST(Keyframes, MotionAdaptiveIsDenserWhereMotionChanges) {
  // Flat, then a steep rise over frames 10..14, then flat.
  std::vector<float> motion(30, 0.0f);
  for (int i = 10; i < 30; ++i) motion[static_cast<size_t>(i)] = i < 15 ? (i - 9) * 2.0f : 10.0f;
  const V got = run(Sampling::MotionAdaptive, 8, {0, 14, 29}, motion);
  ASSERT_EQ(got.size(), 8u);
  EXPECT_EQ(got.front(), 0);
  EXPECT_EQ(got.back(), 29);
  int inside_rise = 0;
  for (auto i : got) inside_rise += i >= 10 && i <= 14;
  EXPECT_GE(inside_rise, 4) << "most frames where the curve rises";
  EXPECT_TRUE(std::is_sorted(got.begin(), got.end()));
  // A flat curve degrades to evenly spaced frames.
  EXPECT_EQ(run(Sampling::MotionAdaptive, 4, {0, -1, 9}, std::vector<float>(10, 1.0f)), (V{0, 3, 6, 9}));
  EXPECT_THROW(run(Sampling::MotionAdaptive, 4, {0, -1, 9}, {}), std::invalid_argument);
}

TEST(Keyframes, JitterIsSeededBoundedAndSorted) {
  SampleSpec spec;
  spec.frames = 8;
  spec.jitter = 2;
  spec.seed = 42;
  const ClipSpan span{0, 20, 40};
  const V a = sample_keyframes(spec, span), b = sample_keyframes(spec, span);
  EXPECT_EQ(a, b);
  spec.seed = 43;
  EXPECT_NE(sample_keyframes(spec, span), a);
  spec.jitter = 0;
  const V plain = sample_keyframes(spec, span);
  ASSERT_EQ(a.size(), plain.size());
  EXPECT_TRUE(std::is_sorted(a.begin(), a.end()));
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_GE(a[i], 0);
    EXPECT_LE(a[i], 40);
  }
}

TEST(Keyframes, InvalidSpansAreRejected) {
  EXPECT_THROW(run(Sampling::Uniform, 4, {10, -1, 5}), std::invalid_argument);
  EXPECT_THROW(run(Sampling::Uniform, 4, {0, 50, 40}), std::invalid_argument);
  EXPECT_THROW(run(Sampling::Uniform, 0, {0, -1, 40}), std::invalid_argument);
  EXPECT_THROW(parse_sampling("random"), std::invalid_argument);
  EXPECT_EQ(parse_sampling("apex-window"), Sampling::ApexWindow);
}

}  // namespace
}  // namespace mexa::temporal
