// engine::ImbalanceLoss: each loss on one small example whose expected value
// was computed by hand (NumPy, written here) from the formula in losses.h.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "mexa/engine/losses.h"

namespace mexa::engine {
namespace {

// Three samples, three classes with 100, 10 and 1 training samples.
const std::vector<int64_t> kCounts{100, 10, 1};

torch::Tensor logits() { return torch::tensor({{2.0f, 0.0f, -1.0f}, {0.5f, 1.5f, 0.0f}, {0.2f, -0.3f, 0.9f}}); }
torch::Tensor targets() { return torch::tensor({0, 1, 2}, torch::kLong); }

double value(LossConfig config, int epoch = 0) {
  return ImbalanceLoss(config, kCounts)(logits(), targets(), epoch).item<double>();
}

TEST(Losses, CrossEntropyAndWeightedCrossEntropy) {
  EXPECT_NEAR(value({.kind = LossKind::CrossEntropy}), 0.4069223682219027, 1e-6);
  // Inverse-frequency weights, weighted mean: sum w_y ce / sum w_y.
  EXPECT_NEAR(value({.kind = LossKind::WeightedCE}), 0.5717906663133648, 1e-6);
}

TEST(Losses, FocalWithGammaTwoAndOne) {
  EXPECT_NEAR(value({.kind = LossKind::Focal, .gamma = 2.0}), 0.0612421975464106, 1e-6);
  EXPECT_NEAR(value({.kind = LossKind::Focal, .gamma = 1.0}), 0.15310551563316768, 1e-6);
}

TEST(Losses, ClassBalancedEffectiveNumber) {
  const auto w = effective_number_weights(kCounts, 0.9999);
  EXPECT_NEAR(w[0], 0.02715872, 1e-7);
  EXPECT_NEAR(w[2], 2.7024724, 1e-6);
  EXPECT_NEAR(w[0] + w[1] + w[2], 3.0, 1e-12);
  EXPECT_NEAR(value({.kind = LossKind::ClassBalanced}), 0.5717683577417952, 1e-6);
}

TEST(Losses, LdamMarginsAndDeferredReweighting) {
  const auto m = ldam_margins(kCounts, 0.5);
  EXPECT_NEAR(m[0], 0.15811388, 1e-7);
  EXPECT_NEAR(m[1], 0.28117066, 1e-7);
  EXPECT_NEAR(m[2], 0.5, 1e-12);
  EXPECT_NEAR(value({.kind = LossKind::Ldam}), 0.0008252287750423193, 1e-7);  // s = 30
  LossConfig s1{.kind = LossKind::Ldam, .s = 1.0, .drw_epoch = 5};
  EXPECT_NEAR(value(s1, /*epoch=*/4), 0.5380129134367246, 1e-6);  // before DRW: uniform weights
  EXPECT_NEAR(value(s1, /*epoch=*/5), 0.8101728665430538, 1e-6);  // from drw_epoch: class-balanced
}

TEST(Losses, LogitAdjustmentBalancedSoftmaxAndPosthoc) {
  EXPECT_NEAR(value({.kind = LossKind::LogitAdjusted, .tau = 1.0}), 1.8481983213270272, 1e-5);
  // Balanced softmax equals logit adjustment with tau = 1 (a constant shift).
  EXPECT_NEAR(value({.kind = LossKind::BalancedSoftmax}), 1.8481983213270279, 1e-5);
  const torch::Tensor adjusted = posthoc_adjust(logits(), kCounts, 1.0);
  EXPECT_NEAR(adjusted[0][0].item<double>(), 2.1043600153242425, 1e-5);
  EXPECT_NEAR(adjusted[1][2].item<double>(), 4.709530201312334, 1e-5);
  // Post-hoc adjustment moves the prediction of sample 0 to the rare class.
  EXPECT_EQ(adjusted[0].argmax().item<int64_t>(), 2);
}

TEST(Losses, LabelSmoothing) {
  EXPECT_NEAR(value({.kind = LossKind::LabelSmoothing, .smoothing = 0.1}), 0.5113668126663472, 1e-6);
}

TEST(Losses, CouplingInterpretation) {
  // The correction term uses the scaled logits s z, like the margin term.
  EXPECT_NEAR(value({.kind = LossKind::Coupling}), 1.7683096336108816e-08, 1e-6);
  EXPECT_NEAR(value({.kind = LossKind::Coupling, .s = 2.0}), 0.7451847307364481, 1e-5);
  EXPECT_NEAR(value({.kind = LossKind::Coupling, .s = 1.0}), 1.0536579515493596, 1e-5);
}

TEST(Losses, GradientsFlowAndBadInputIsRejected) {
  torch::Tensor z = logits().clone().requires_grad_(true);
  ImbalanceLoss loss({.kind = LossKind::Coupling}, kCounts);
  loss(z, targets()).backward();
  EXPECT_GT(z.grad().abs().sum().item<float>(), 0.0f);
  EXPECT_THROW(ImbalanceLoss({}, {10, 0, 3}), std::invalid_argument);
  EXPECT_THROW(ImbalanceLoss({.class_weights = {1.0, 2.0}}, kCounts), std::invalid_argument);
  EXPECT_THROW(loss(torch::zeros({2, 4}), torch::tensor({0, 1}, torch::kLong)), std::invalid_argument);
  EXPECT_THROW(parse_loss("hinge"), std::invalid_argument);
  EXPECT_EQ(parse_loss("ldam-drw"), LossKind::Ldam);
}

}  // namespace
}  // namespace mexa::engine
