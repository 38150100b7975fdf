// engine/src/relu_bn_pool: the fused ReLU -> batch norm -> max pooling (->
// average pooling) against LibTorch's own modules, values and gradients, and
// STSTNet's fused path against its modules.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <limits>

#include "../../engine/src/relu_bn_pool.h"
#include "mexa/engine/models.h"

namespace mexa::engine {
namespace {

namespace F = torch::nn::functional;

struct Case {
  std::vector<int64_t> shape;  // z: [B, C, H, W]
  int64_t average;
  bool training;
  int64_t window = 3;
  int64_t padding = 1;
};

/// LibTorch's modules in a row, on a copy of the running statistics.
torch::Tensor reference(const torch::Tensor& z, const torch::Tensor& gamma, const torch::Tensor& beta,
                        torch::Tensor mean, torch::Tensor var, const Case& c) {
  auto y = F::batch_norm(torch::relu(z), mean, var,
                         F::BatchNormFuncOptions().weight(gamma).bias(beta).training(c.training).momentum(0.1).eps(1e-5));
  y = F::max_pool2d(y, F::MaxPool2dFuncOptions(c.window).stride(c.window).padding(c.padding));
  return c.average > 1 ? F::avg_pool2d(y, F::AvgPool2dFuncOptions(c.average)) : y;
}

class ReluBnPoolCase : public ::testing::TestWithParam<Case> {};

TEST_P(ReluBnPoolCase, ValuesGradientsAndRunningStatisticsMatchLibTorchsModules) {
  const Case c = GetParam();
  torch::manual_seed(3);
  const int64_t channels = c.shape[1];
  const auto z0 = torch::randn(c.shape) + 0.3;
  // One channel with a negative scale (pooling picks the minimum there), one far from zero mean.
  auto gamma0 = torch::rand({channels}) + 0.5;
  gamma0[0] = -0.7;
  auto beta0 = torch::randn({channels});
  auto z_ref = z0.clone().requires_grad_(true), z_fused = z0.clone().requires_grad_(true);
  {
    torch::NoGradGuard no_grad;
    z_ref[0][channels - 1] += 50;
    z_fused[0][channels - 1] += 50;
  }
  auto g_ref = gamma0.clone().requires_grad_(true), g_fused = gamma0.clone().requires_grad_(true);
  auto b_ref = beta0.clone().requires_grad_(true), b_fused = beta0.clone().requires_grad_(true);
  auto mean_ref = torch::rand({channels}), var_ref = torch::rand({channels}) + 0.5;
  auto mean_fused = mean_ref.clone(), var_fused = var_ref.clone();

  const auto expected = reference(z_ref, g_ref, b_ref, mean_ref, var_ref, c);
  ReluBnPoolOptions options;
  options.average = c.average;
  options.training = c.training;
  options.window = c.window;
  options.padding = c.padding;
  const auto got = relu_bn_pool(z_fused, g_fused, b_fused, mean_fused, var_fused, options);
  ASSERT_EQ(got.sizes(), expected.sizes());
  EXPECT_TRUE(torch::allclose(got, expected, 1e-4, 1e-5)) << (got - expected).abs().max().item<float>();
  EXPECT_TRUE(torch::allclose(mean_fused, mean_ref, 1e-5, 1e-6));
  EXPECT_TRUE(torch::allclose(var_fused, var_ref, 1e-5, 1e-6));

  // A weighting of the outputs that every element feels differently.
  const auto weights = torch::randn(expected.sizes());
  (expected * weights).sum().backward();
  (got * weights).sum().backward();
  EXPECT_TRUE(torch::allclose(z_fused.grad(), z_ref.grad(), 1e-3, 1e-5))
      << (z_fused.grad() - z_ref.grad()).abs().max().item<float>();
  EXPECT_TRUE(torch::allclose(g_fused.grad(), g_ref.grad(), 1e-3, 1e-4));
  EXPECT_TRUE(torch::allclose(b_fused.grad(), b_ref.grad(), 1e-4, 1e-5));
}

INSTANTIATE_TEST_SUITE_P(Shapes, ReluBnPoolCase,
                         ::testing::Values(Case{{8, 4, 28, 28}, 1, true}, Case{{8, 4, 28, 28}, 2, true},
                                           Case{{3, 5, 29, 31}, 1, true},  // partial and dropped edge windows
                                           Case{{8, 4, 28, 28}, 2, false}, Case{{2, 3, 7, 9}, 1, false},
                                           Case{{4, 2, 3, 3}, 1, true},            // narrower than a SIMD lane
                                           Case{{4, 2, 10, 11}, 5, true, 2, 0},    // window 2, no padding, average 5
                                           Case{{3, 2, 12, 13}, 2, false, 3, 0}),  // no padding, a dropped column
                         [](const ::testing::TestParamInfo<Case>& info) {
                           std::string name;
                           for (const int64_t d : info.param.shape) name += std::to_string(d) + "x";
                           name.back() = '_';
                           return name + "window" + std::to_string(info.param.window) + "pad" +
                                  std::to_string(info.param.padding) + "_average" + std::to_string(info.param.average) +
                                  (info.param.training ? "_training" : "_eval");
                         });

TEST(ReluBnPool, ANanSpreadsAsInLibTorch) {
  for (const bool training : {false, true}) {
    auto z = torch::rand({2, 2, 6, 6});
    z[0][0][4][4] = std::numeric_limits<float>::quiet_NaN();
    auto mean = torch::zeros({2}), var = torch::ones({2}), mean_ref = mean.clone(), var_ref = var.clone();
    ReluBnPoolOptions options;
    options.training = training;
    const auto g = torch::ones({2}), b = torch::zeros({2});
    const auto y = relu_bn_pool(z, g, b, mean, var, options);
    const auto expected = reference(z, g, b, mean_ref, var_ref, {{2, 2, 6, 6}, 1, training});
    // Evaluation: only the NaN's window; training: its whole channel (the batch statistics), nothing else.
    EXPECT_TRUE(torch::equal(torch::isnan(y), torch::isnan(expected))) << "training " << training;
    EXPECT_EQ(torch::isnan(y).sum().item<int64_t>(), training ? 8 : 1);
    EXPECT_TRUE(torch::equal(torch::isnan(mean), torch::isnan(mean_ref)));
  }
}

TEST(ReluBnPool, RejectsWhatItCannotPool) {
  auto mean = torch::zeros({2}), var = torch::ones({2});
  const auto g = torch::ones({2}), b = torch::zeros({2});
  ReluBnPoolOptions options;
  EXPECT_THROW(relu_bn_pool(torch::rand({1, 2, 1, 5, 5}), g, b, mean, var, options), std::invalid_argument);
  EXPECT_THROW(relu_bn_pool(torch::rand({1, 2, 5, 5}).to(torch::kDouble), g, b, mean, var, options),
               std::invalid_argument);
  EXPECT_THROW(relu_bn_pool(torch::rand({1, 2, 28, 28}), torch::ones({3}), b, mean, var, options),
               std::invalid_argument);
  EXPECT_THROW(relu_bn_pool(torch::rand({1, 2, 1, 1}), g, b, mean, var, options), std::invalid_argument)
      << "one value per channel has no batch variance";
  EXPECT_THROW(relu_bn_pool(torch::rand({0, 2, 28, 28}), g, b, mean, var, options), std::invalid_argument);
  options.padding = 3;
  EXPECT_THROW(relu_bn_pool(torch::rand({1, 2, 28, 28}), g, b, mean, var, options), std::invalid_argument);
  options.padding = 1;
  options.average = 3;  // 28x28 pools to 10x10: not a multiple of 3
  EXPECT_THROW(relu_bn_pool(torch::rand({1, 2, 28, 28}), g, b, mean, var, options), std::invalid_argument);
}

/// Whether the autograd graph behind t holds the fused operation's node.
bool has_fused_node(const torch::autograd::Node* node, int depth = 0) {
  if (!node || depth > 8) return false;
  if (node->name().find("ReluBnPool") != std::string::npos) return true;
  for (const auto& edge : node->next_edges())
    if (has_fused_node(edge.function.get(), depth + 1)) return true;
  return false;
}

/// STSTNet takes the fused path for a CPU float flow image that needs no
/// gradient; an input that needs one takes the modules: both must agree.
TEST(ReluBnPool, StstNetsFusedPathComputesWhatItsModulesDo) {
  // 28x28 pools to 10x10 and averages to 5x5; 14x14 pools to 5x5 directly.
  for (const auto& [cbam, size] : std::vector<std::pair<bool, int64_t>>{{false, 28}, {true, 28}, {false, 14}, {true, 14}}) {
    torch::manual_seed(5);
    auto fused = make_model("ststnet", {.num_classes = 3, .cbam = cbam});
    auto modules = make_model("ststnet", {.num_classes = 3, .cbam = cbam});
    {
      torch::NoGradGuard no_grad;
      const auto from = fused->parameters();
      auto to = modules->parameters();
      for (size_t i = 0; i < from.size(); ++i) to[i].copy_(from[i]);
    }
    const auto x = torch::rand({16, 3, 1, size, size});
    for (const bool training : {true, false}) {
      fused->train(training);
      modules->train(training);
      const auto a = fused->feature_map(x);
      const auto b = modules->feature_map(x.clone().requires_grad_(true));
      EXPECT_TRUE(has_fused_node(a.grad_fn().get())) << "the fused path ran";
      EXPECT_FALSE(has_fused_node(b.grad_fn().get()));
      ASSERT_EQ(a.sizes(), b.sizes());
      EXPECT_TRUE(torch::allclose(a, b, 1e-4, 1e-5)) << "cbam " << cbam << ", size " << size << ", training " << training;
      if (!training) continue;
      // The same gradient for every parameter (the stacked kernels route it back to each stream).
      const auto weights = torch::randn(a.sizes());
      (a * weights).sum().backward();
      (b * weights).sum().backward();
      const auto fp = fused->named_parameters(), mp = modules->named_parameters();
      int compared = 0;
      for (const auto& item : fp) {
        const auto& reference_grad = mp[item.key()].grad();
        ASSERT_EQ(item.value().grad().defined(), reference_grad.defined()) << item.key();
        if (!reference_grad.defined()) continue;  // the classifier: not behind the feature map
        EXPECT_TRUE(torch::allclose(item.value().grad(), reference_grad, 1e-3, 1e-4)) << item.key();
        ++compared;
      }
      EXPECT_GE(compared, 12) << "3 streams' convolution and batch norm weights and biases";
    }
    // The training pass updated both models' running statistics alike.
    const auto fb = fused->named_buffers(), mb = modules->named_buffers();
    for (const auto& item : fb)
      EXPECT_TRUE(torch::allclose(item.value().to(torch::kDouble), mb[item.key()].to(torch::kDouble), 1e-5, 1e-6))
          << item.key();
  }
}

}  // namespace
}  // namespace mexa::engine
