// The label-uncertainty pieces (engine/uncertainty.h) on fixed tensors; the
// expected values come from tests/engine/uncertainty_reference.py (NumPy).
#include <gtest/gtest.h>

#include <map>

#include "../../engine/src/training_step.h"
#include "mexa/engine/models.h"
#include "mexa/engine/uncertainty.h"

namespace mexa::engine {
namespace {

torch::Tensor doubles(std::vector<double> v, std::vector<int64_t> shape) {
  return torch::tensor(v, torch::kFloat64).view(shape);
}

TEST(Uncertainty, AttentionConsistencyComparesWithTheMirroredMapsOfTheFlippedView) {
  const auto a = torch::arange(12, torch::kFloat64).view({1, 2, 1, 2, 3}) / 10;
  const auto b = torch::arange(12, torch::kFloat64).flip({0}).view({1, 2, 1, 2, 3}) / 7;
  EXPECT_NEAR(attention_consistency(a, b).item<double>(), 0.7203061224489796, 1e-12);
  EXPECT_NEAR(attention_consistency(a, a.flip({-1})).item<double>(), 0.0, 1e-12);  // consistent maps cost nothing
}

TEST(Uncertainty, RelativeUncertaintyMixesPartnersByTheirUncertainty) {
  const auto mu = doubles({1.0, 2.0, -1.0, 0.5, 0.0, 3.0}, {3, 2});
  const auto logvar = doubles({0.0, 0.2, -1.0, 0.4, 0.3, -0.3}, {3, 2});
  const auto z = rul_mix(mu, logvar, torch::tensor({1, 2, 0}, torch::kInt64)).flatten();
  const std::vector<double> expected{0.08862757787984993, 1.3164706834098876, -0.4707657464334897,
                                     1.823085633916276,   0.5151580833817369, 2.4848419166182634};
  for (size_t i = 0; i < expected.size(); ++i) EXPECT_NEAR(z[static_cast<int64_t>(i)].item<double>(), expected[i], 1e-12);
  // A clip paired with itself keeps its features.
  EXPECT_TRUE(torch::allclose(rul_mix(mu, logvar, torch::tensor({0, 1, 2}, torch::kInt64)), mu));
}

TEST(Uncertainty, ScnRankRegularisation) {
  EXPECT_NEAR(scn_rank_loss(doubles({0.55, 0.5, 0.52, 0.49, 0.51}, {5}), 0.7, 0.15).item<double>(), 0.11833333333333326,
              1e-12);
  EXPECT_EQ(scn_rank_loss(doubles({0.9, 0.2, 0.6, 0.4, 0.8}, {5}), 0.7, 0.15).item<double>(), 0.0);  // gap > margin
  EXPECT_EQ(scn_rank_loss(doubles({0.3}, {1}), 0.7, 0.15).item<double>(), 0.0);
}

TEST(Uncertainty, CandidateLossSumsTheCandidatesProbability) {
  const auto logits = doubles({1.0, 2.0, 0.5, 0.2, -1.0, 3.0}, {2, 3});
  const auto mask = torch::tensor({1, 1, 0, 0, 0, 1}, torch::kInt64).view({2, 3});
  EXPECT_NEAR(candidate_loss(logits, mask).item<double>(), 0.11362913711984923, 1e-12);
  // One candidate: plain cross-entropy.
  const auto one = torch::tensor({0, 1, 0, 0, 0, 1}, torch::kInt64).view({2, 3});
  EXPECT_NEAR(candidate_loss(logits, one).item<double>(),
              torch::nn::functional::cross_entropy(logits, torch::tensor({1, 2}, torch::kInt64)).item<double>(), 1e-12);
}

TEST(Uncertainty, AuLossIsMeanBinaryCrossEntropy) {
  const auto x = doubles({0.5, -1.0, 2.0, -0.3, 0.0, 1.5}, {2, 3});
  const auto t = doubles({1, 0, 1, 0, 1, 0}, {2, 3});
  EXPECT_NEAR(au_loss(x, t).item<double>(), 0.6438637309587546, 1e-12);
  // The second clip's AUs unannotated: it is left out.
  EXPECT_NEAR(au_loss(x, t, torch::tensor({1, 0})).item<double>(), 0.3047555609137674, 1e-12);
  EXPECT_EQ(au_loss(x, t, torch::tensor({0, 0})).item<double>(), 0.0);
}

TEST(Uncertainty, PhaseAlphaFallsFromOneToZeroByItsCurve) {
  UncertaintyConfig c;
  EXPECT_EQ(phase_alpha(c, 50), 1.0);  // no phases
  c.phase2_epoch = 3;
  c.phase3_epoch = 7;
  EXPECT_EQ(phase_alpha(c, 2), 1.0);
  // Every epoch of phase 2 mixes both losses: s = (epoch - 3 + 1) / 5.
  EXPECT_NEAR(phase_alpha(c, 3), 0.96, 1e-12);  // parabolic: 1 - s^2
  EXPECT_NEAR(phase_alpha(c, 5), 0.64, 1e-12);
  EXPECT_EQ(phase_alpha(c, 7), 0.0);
  EXPECT_EQ(phase_alpha(c, 9), 0.0);
  c.phase_curve = PhaseCurve::Linear;
  EXPECT_NEAR(phase_alpha(c, 4), 0.6, 1e-12);
  c.phase_curve = PhaseCurve::Cosine;
  EXPECT_NEAR(phase_alpha(c, 5), 0.34549150281252633, 1e-12);
  EXPECT_THROW(parse_phase_curve("square"), std::invalid_argument);
}

TEST(Uncertainty, FlipMirrorsAndNegatesHorizontalFlow) {
  const auto x = torch::arange(2 * 3 * 1 * 2 * 4, torch::kFloat32).view({2, 3, 1, 2, 4});
  const auto frames = flip_clips(x, false), flow = flip_clips(x, true);
  EXPECT_TRUE(torch::equal(frames, x.flip({-1})));
  EXPECT_TRUE(torch::equal(flow.select(1, 0), -x.flip({-1}).select(1, 0)));
  EXPECT_TRUE(torch::equal(flow.slice(1, 1), x.flip({-1}).slice(1, 1)));
}

TEST(Uncertainty, RandomErasingZeroesOneRectangleThroughChannelsAndFrames) {
  torch::manual_seed(3);
  const auto x = torch::ones({64, 2, 3, 20, 20});
  EXPECT_TRUE(torch::equal(random_erase(x, 0.0, 0.02, 0.25), x));
  const auto erased = random_erase(x, 1.0, 0.02, 0.25);
  for (int64_t b = 0; b < x.size(0); ++b) {
    const auto zero = erased[b] == 0;
    const auto plane = zero[0][0];
    EXPECT_TRUE(torch::equal(zero, plane.expand_as(zero))) << "clip " << b;  // the same rectangle everywhere
    const double share = plane.sum().item<double>() / 400.0;
    EXPECT_GE(share, 0.01) << "clip " << b;  // rounding of a 0.02-0.25 area to whole pixels
    EXPECT_LE(share, 0.30) << "clip " << b;
    // A rectangle: its rows' and columns' extents multiply to its area.
    const auto rows = plane.any(1).sum().item<int64_t>(), cols = plane.any(0).sum().item<int64_t>();
    EXPECT_EQ(rows * cols, plane.sum().item<int64_t>()) << "clip " << b;
  }
}

TEST(Uncertainty, ClassActivationMapsAddUpToTheLogits) {
  // A CAM spreads each logit over the feature map: for average-pooled models
  // its mean is the logit minus the bias, for STSTNet (a weight per grid
  // cell) its sum.
  torch::NoGradGuard no_grad;
  torch::manual_seed(1);
  for (const auto& [name, shape] : std::vector<std::pair<std::string, std::vector<int64_t>>>{
           {"small3d", {2, 1, 8, 32, 32}}, {"r3d_18", {2, 3, 4, 32, 32}}, {"ststnet", {2, 3, 1, 28, 28}}}) {
    auto model = make_model(name, {.num_classes = 5, .in_channels = static_cast<int>(shape[1])});
    model->eval();
    const auto x = torch::randn(shape);
    const auto map = model->feature_map(x);
    const auto cams = model->cams(map);
    ASSERT_EQ(cams.size(1), 5) << name;
    const auto spread = name == "ststnet" ? cams.sum({2, 3, 4}) : cams.mean({2, 3, 4});
    auto bias = torch::Tensor();
    for (const auto& p : model->named_parameters())
      if (p.key() == "fc.bias") bias = p.value();
    ASSERT_TRUE(bias.defined()) << name;
    EXPECT_TRUE(torch::allclose(spread + bias, model->forward(x), 1e-4, 1e-5)) << name;
  }
}

TEST(Uncertainty, EacTrainsTheFeaturesNotTheClassifierThroughTheMaps) {
  // The CAMs use the classifier's weights detached: the consistency term
  // moves the convolutions, and fc receives the loss's gradient alone.
  torch::manual_seed(5);
  TrainConfig c;
  c.model = "small3d";
  c.uncertainty.eac = true;
  c.uncertainty.eac_lambda = 50;
  c.uncertainty.erase_probability = 0;  // no erasing: the same view as the plain loss sees
  const std::vector<int64_t> counts(4, 10);
  auto model = make_model("small3d", {.num_classes = 4, .in_channels = 1});
  model->eval();  // batch norm statistics fixed, dropout off: both passes see the same network
  const auto x = torch::randn({3, 1, 4, 16, 16});
  const auto y = torch::tensor({0, 2, 3}, torch::kInt64);
  auto grads = [&](bool eac) {
    c.uncertainty.eac = eac;
    StepLoss step(c, counts, 1.0);
    model->zero_grad();
    step(*model, {.x = x, .y = y}).loss.backward();
    std::map<std::string, torch::Tensor> out;
    for (const auto& p : model->named_parameters()) out[p.key()] = p.value().grad().clone();
    return out;
  };
  const auto with = grads(true), without = grads(false);
  EXPECT_TRUE(torch::allclose(with.at("fc.weight"), without.at("fc.weight"), 1e-6, 1e-7));
  EXPECT_TRUE(torch::allclose(with.at("fc.bias"), without.at("fc.bias"), 1e-6, 1e-7));
  EXPECT_FALSE(torch::allclose(with.at("body.0.weight"), without.at("body.0.weight")));  // the maps' term trains the features
}

}  // namespace
}  // namespace mexa::engine
