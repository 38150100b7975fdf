// engine/src/scn_guard: SCN's guarded relabelling on hand-made logits.
#include <gtest/gtest.h>

#include "../../engine/src/scn_guard.h"

namespace mexa::engine {
namespace {

ScnEpochClip clip(int64_t index, int label, float importance, std::vector<float> logits, int current = -1) {
  return {index, label, current < 0 ? label : current, importance, std::move(logits)};
}

TEST(ScnGuard, RelabelsOnlyLowImportanceClipsTheModelConfidentlyDisagreesWith) {
  std::vector<ScnEpochClip> clips;
  // 10 clips of class 0; the model says class 1 for clips 0-2 (margin ~0.9).
  for (int i = 0; i < 10; ++i)
    clips.push_back(clip(i, 0, i < 3 ? 0.1f : 0.9f, i < 3 ? std::vector<float>{0, 3} : std::vector<float>{3, 0}));
  clips[1].importance = 0.95f;  // high importance: left alone
  const ScnPlan plan = plan_relabels(clips, {10, 10}, {.delta = 0.2, .ratio = 0.7, .class_cap = 1.0, .cosine_head = false});
  EXPECT_EQ(plan.scale, 1.0) << "a linear head's softmax as it is";
  ASSERT_EQ(plan.changes.size(), 2u);
  EXPECT_EQ(plan.changes[0].index, 0);
  EXPECT_EQ(plan.changes[1].index, 2);
  EXPECT_EQ(plan.changes[0].from, 0);
  EXPECT_EQ(plan.changes[0].to, 1);
}

TEST(ScnGuard, MarginBelowDeltaKeepsTheLabel) {
  // softmax(0.3, 0) = (0.574, 0.426): class 0 wins; softmax(0, 0.3): 1 beats 0 by 0.149 < 0.2.
  const std::vector<ScnEpochClip> clips{clip(0, 0, 0.0f, {0, 0.3f}), clip(1, 0, 1.0f, {1, 0})};
  EXPECT_TRUE(plan_relabels(clips, {2, 0}, {.delta = 0.2, .ratio = 0.5, .class_cap = 1.0}).changes.empty());
}

TEST(ScnGuard, CapsEachClassPerEpochLargestMarginsFirst) {
  std::vector<ScnEpochClip> clips;
  for (int i = 0; i < 40; ++i) clips.push_back(clip(i, 0, 0.0f, {0, 1.0f + 0.1f * static_cast<float>(i)}));
  const ScnPlan plan = plan_relabels(clips, {40, 0}, {.delta = 0.2, .ratio = 0.0, .class_cap = 0.05});
  ASSERT_EQ(plan.changes.size(), 2u) << "5 % of 40 clips";
  EXPECT_EQ(plan.changes[0].index, 38);
  EXPECT_EQ(plan.changes[1].index, 39);
}

TEST(ScnGuard, UndoesARelabelWhenTheModelChangesItsMind) {
  const std::vector<ScnEpochClip> clips{
      clip(0, 0, 0.5f, {2, 0}, /*current=*/1),   // now prefers the original: undone
      clip(1, 0, 0.5f, {0, 2}, /*current=*/1),   // still prefers the new label: kept
      clip(2, 0, 0.5f, {0, 0.1f}, /*current=*/1)  // prefers it by less than delta: undone
  };
  const ScnPlan plan = plan_relabels(clips, {3, 0}, {.delta = 0.2, .ratio = 1.0, .class_cap = 0.0});
  ASSERT_EQ(plan.changes.size(), 2u);
  EXPECT_EQ(plan.changes[0].index, 0);
  EXPECT_EQ(plan.changes[0].from, 1);
  EXPECT_EQ(plan.changes[0].to, 0);
  EXPECT_EQ(plan.changes[1].index, 2);
}

TEST(ScnGuard, CosineHeadProbabilitiesAreCalibratedNotScaledByS) {
  // Cosines of a half-right model: the top class is right on 6 of 10 clips
  // with cosine gaps of 0.1. s = 30 would call every one of them 95 % sure.
  std::vector<ScnEpochClip> clips;
  for (int i = 0; i < 10; ++i) clips.push_back(clip(i, i < 6 ? 0 : 1, 0.0f, {0.2f, 0.1f}));
  const ScnPlan plan = plan_relabels(clips, {6, 4}, {.delta = 0.2, .ratio = 0.0, .class_cap = 1.0, .cosine_head = true});
  EXPECT_LT(expected_calibration_error(clips, plan.scale), expected_calibration_error(clips, 30.0));
  EXPECT_LT(plan.scale, 30.0);
  // Calibrated, p(0) ~ 0.6 and p(1) ~ 0.4: a margin of ~0.2 at most, so nothing moves.
  EXPECT_TRUE(plan.changes.empty());
}

TEST(ScnGuard, CalibrationErrorArithmetic) {
  // Two clips, both with confidence softmax(1, 0)[0] = 0.7311 in one bin; one right.
  const std::vector<ScnEpochClip> clips{clip(0, 0, 0, {1, 0}), clip(1, 1, 0, {1, 0})};
  EXPECT_NEAR(expected_calibration_error(clips, 1.0), std::abs(2 * 0.7310585786 - 1) / 2, 1e-9);
}

}  // namespace
}  // namespace mexa::engine
