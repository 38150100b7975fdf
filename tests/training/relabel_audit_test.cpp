// The relabelling audit's arithmetic on a hand-made fold: which relabels
// restored a true label, which broke a clean one, the change matrix, the
// importance AUC, and the pooled run figures.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "mexa/training/relabel_audit.h"

namespace mexa::training {
namespace {

// Classes 0..2. Training clips 0..5 (6 and 7 are the validation fold's).
// Clips 1, 3 and 4 are noisy (label != truth).
const std::vector<int> kLabels = {0, 1, 2, 2, 0, 1, 0, 2};
const std::vector<int> kTruth = {0, 0, 2, 1, 1, 1, 0, 2};
const std::vector<int64_t> kTrain = {0, 1, 2, 3, 4, 5};

RelabelAudit hand_made() {
  const std::vector<engine::Relabel> relabelled = {
      {1, 1, 0, 3},  // noisy, restored (1 -> 0, truth 0)
      {3, 2, 0, 4},  // noisy, moved to another wrong class (2 -> 0, truth 1)
      {5, 1, 2, 4},  // clean, broken (1 -> 2)
      {2, 2, 2, 5},  // undone: back on its own label, not a relabel
      {7, 2, 0, 5},  // not a training clip of this fold
  };
  // The noisy clips 1, 3, 4 have the three lowest weights but one: clip 2 (clean) sits between them.
  const std::vector<std::pair<int64_t, float>> importance = {{0, 0.9f}, {1, 0.1f}, {2, 0.3f},
                                                             {3, 0.2f}, {4, 0.4f}, {5, 0.8f}};
  // RUL's uncertainty: the noisy clips 1, 3, 4 are the three most uncertain.
  const std::vector<std::pair<int64_t, float>> uncertainty = {{0, 0.1f}, {1, 0.9f}, {2, 0.2f},
                                                              {3, 0.7f}, {4, 0.8f}, {5, 0.3f}};
  return audit_relabels(kTrain, kLabels, kTruth, relabelled, importance, 3, uncertainty);
}

TEST(RelabelAudit, CountsRestoredBrokenAndChanges) {
  const RelabelAudit a = hand_made();
  EXPECT_EQ(a.training, 6);
  EXPECT_EQ(a.noisy, 3);
  EXPECT_EQ(a.relabelled, 3);
  EXPECT_EQ(a.restored, 1);
  EXPECT_EQ(a.broken, 1);
  EXPECT_DOUBLE_EQ(a.precision(), 1.0 / 3);
  EXPECT_DOUBLE_EQ(a.recall(), 1.0 / 3);
  const std::vector<std::vector<int64_t>> changes = {{0, 0, 0}, {1, 0, 1}, {1, 0, 0}};
  EXPECT_EQ(a.changes, changes);
  // 9 (noisy, clean) pairs; the noisy clip with weight 0.4 ranks below the clean one with 0.3: 8 of 9 right.
  EXPECT_NEAR(a.importance_auc, 8.0 / 9, 1e-12);
  EXPECT_DOUBLE_EQ(a.uncertainty_auc, 1.0);
  EXPECT_LT(audit_relabels(kTrain, kLabels, kTruth, {}, {}, 3).uncertainty_auc, 0) << "no --rul: not measured";
}

TEST(RelabelAudit, RocAucCountsTiesHalfAndNeedsBothClasses) {
  EXPECT_DOUBLE_EQ(roc_auc({1, 2, 3, 4}, {0, 0, 1, 1}), 1.0);
  EXPECT_DOUBLE_EQ(roc_auc({4, 3, 2, 1}, {0, 0, 1, 1}), 0.0);
  EXPECT_DOUBLE_EQ(roc_auc({1, 1, 1, 1}, {0, 1, 0, 1}), 0.5);
  EXPECT_DOUBLE_EQ(roc_auc({1, 2, 2, 3}, {0, 1, 0, 1}), 0.875);  // 4 pairs: 1 + 0.5 + 1 + 1
  EXPECT_LT(roc_auc({1, 2}, {1, 1}), 0);                         // no negatives: not measurable
}

TEST(RelabelAudit, JsonRoundTripsAndPoolsFolds) {
  const std::vector<std::string> classes = {"anger", "disgust", "fear"};
  const RelabelAudit a = hand_made();
  const RelabelAudit back = audit_from_json(audit_to_json(a, classes), classes);
  EXPECT_EQ(back.relabelled, a.relabelled);
  EXPECT_EQ(back.restored, a.restored);
  EXPECT_EQ(back.changes, a.changes);
  EXPECT_DOUBLE_EQ(back.importance_auc, a.importance_auc);
  EXPECT_DOUBLE_EQ(back.uncertainty_auc, a.uncertainty_auc);

  RelabelAudit none;  // a fold where nothing moved and the AUC could not be measured
  none.training = 4, none.noisy = 1;
  const auto run = audit_json({{"s01", a}, {"s02", none}}, classes, "true_emotion");
  const auto& pooled = run.at("pooled");
  EXPECT_EQ(pooled.at("training_clips"), 10);
  EXPECT_EQ(pooled.at("noisy"), 4);
  EXPECT_EQ(pooled.at("relabelled"), 3);
  EXPECT_DOUBLE_EQ(pooled.at("recall").get<double>(), 1.0 / 4);
  EXPECT_NEAR(pooled.at("scn_importance_auc").get<double>(), 8.0 / 9, 1e-12);  // the measurable fold only
  EXPECT_TRUE(run.at("folds").at("s02").at("scn_importance_auc").is_null());
  EXPECT_DOUBLE_EQ(pooled.at("rul_uncertainty_auc").get<double>(), 1.0);
  EXPECT_EQ(run.at("truth"), "true_emotion");
}

}  // namespace
}  // namespace mexa::training
