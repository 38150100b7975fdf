// strided_max_pool (small3d's pooling when scoring on the CPU) against
// LibTorch's max_pool3d: the same values for every window, remainder and NaN;
// and small3d predicts the same with and without autograd.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <ATen/record_function.h>

#include <cmath>
#include <functional>
#include <limits>
#include <set>
#include <string>

#include "mexa/engine/models.h"
#include "strided_max_pool.h"

namespace mexa::engine {
namespace {

TEST(StridedMaxPool, EqualsMaxPool3dForEveryWindowAndRemainder) {
  torch::manual_seed(5);
  const std::vector<std::vector<int64_t>> kernels{{1, 2, 2}, {2, 2, 2}, {1, 3, 3}, {3, 1, 2}, {1, 1, 1}};
  const std::vector<std::vector<int64_t>> shapes{{2, 3, 16, 64, 64}, {1, 2, 5, 7, 9}, {3, 1, 3, 3, 3}};
  for (const auto& shape : shapes)
    for (const auto& kernel : kernels) {
      const torch::Tensor x = torch::relu(torch::randn(shape));  // ties at zero, as after small3d's ReLU
      const torch::Tensor expected = torch::max_pool3d(x, kernel, kernel);
      const torch::Tensor got = strided_max_pool(x, kernel);
      EXPECT_EQ(got.sizes(), expected.sizes()) << shape << " " << kernel;
      EXPECT_TRUE(torch::equal(got, expected)) << shape << " " << kernel;
    }
}

TEST(StridedMaxPool, PropagatesNaNAsMaxPool3dDoes) {
  torch::Tensor x = torch::zeros({1, 1, 2, 4, 4});
  x.index_put_({0, 0, 1, 2, 3}, std::numeric_limits<float>::quiet_NaN());
  const torch::Tensor got = strided_max_pool(x, {2, 2, 2});
  const torch::Tensor expected = torch::max_pool3d(x, {2, 2, 2}, {2, 2, 2});
  EXPECT_TRUE(torch::equal(torch::isnan(got), torch::isnan(expected)));
  EXPECT_TRUE(std::isnan(got.index({0, 0, 0, 1, 1}).item<float>()));
  EXPECT_EQ(torch::isnan(got).sum().item<int64_t>(), 1);
}

TEST(StridedMaxPool, DropsANaNInTheRemainderAsFloorModeDoes) {
  torch::Tensor x = torch::zeros({1, 1, 1, 5, 5});
  x.index_put_({0, 0, 0, 4, 1}, std::numeric_limits<float>::quiet_NaN());  // row 4: past the last 2x2 window
  const torch::Tensor got = strided_max_pool(x, {1, 2, 2});
  EXPECT_TRUE(torch::equal(got, torch::max_pool3d(x, {1, 2, 2}, {1, 2, 2})));
  EXPECT_EQ(torch::isnan(got).sum().item<int64_t>(), 0);
}

TEST(StridedMaxPool, ReturnsANewTensorEvenForAOneByOneWindow) {
  const torch::Tensor x = torch::randn({1, 2, 3, 4, 5});
  const torch::Tensor got = strided_max_pool(x, {1, 1, 1});
  EXPECT_TRUE(torch::equal(got, x));
  EXPECT_NE(got.data_ptr(), x.data_ptr());
}

TEST(StridedMaxPool, RefusesBadShapesAndWindows) {
  EXPECT_THROW(strided_max_pool(torch::zeros({1, 1, 1, 4, 4}), {2, 2, 2}), std::invalid_argument);  // larger than T
  EXPECT_THROW(strided_max_pool(torch::zeros({1, 1, 2, 4, 4}), {0, 2, 2}), std::invalid_argument);
  EXPECT_THROW(strided_max_pool(torch::zeros({1, 4, 4}), {1, 2, 2}), std::invalid_argument);         // not 5-D
}

/// The names of the ATen operators that ran on this thread while `run` ran.
std::set<std::string> operators_run(const std::function<void()>& run) {
  static thread_local std::set<std::string>* seen = nullptr;
  std::set<std::string> names;
  seen = &names;
  const auto handle = at::addThreadLocalCallback(at::RecordFunctionCallback(
      [](const at::RecordFunction& fn) -> std::unique_ptr<at::ObserverContext> {
        if (seen) seen->insert(fn.name());
        return nullptr;
      }));
  run();
  at::removeCallback(handle);
  seen = nullptr;
  return names;
}

TEST(StridedMaxPool, Small3dTrainsThroughMaxPool3dAndScoresWithout) {
  // Training keeps max_pool3d's gradients; without autograd on the CPU the
  // strided maxima run instead.
  torch::manual_seed(7);
  auto model = make_model("small3d", {.num_classes = 7, .in_channels = 1});
  const torch::Tensor x = torch::randn({2, 1, 8, 32, 32});
  model->train();
  const auto training = operators_run([&] { model->forward(x).sum().backward(); });
  EXPECT_TRUE(training.count("aten::max_pool3d_with_indices")) << "training did not pool with max_pool3d";
  model->eval();
  const auto scoring = operators_run([&] {
    torch::NoGradGuard no_grad;
    model->forward(x);
  });
  EXPECT_FALSE(scoring.count("aten::max_pool3d_with_indices") || scoring.count("aten::max_pool3d"));
  EXPECT_TRUE(scoring.count("aten::maximum")) << "scoring did not take the strided maxima";
}

TEST(StridedMaxPool, Small3dPredictsTheSameWithAndWithoutAutograd) {
  // With autograd the model pools with max_pool3d, without it with strided_max_pool.
  torch::manual_seed(7);
  auto model = make_model("small3d", {.num_classes = 7, .in_channels = 1});
  model->eval();
  for (const auto& shape : {std::vector<int64_t>{2, 1, 16, 64, 64}, std::vector<int64_t>{1, 1, 5, 41, 47}}) {
    const torch::Tensor x = torch::randn(shape);
    const torch::Tensor with_grad = model->forward(x).detach();
    torch::NoGradGuard no_grad;
    EXPECT_TRUE(torch::equal(model->forward(x), with_grad)) << shape;
  }
}

}  // namespace
}  // namespace mexa::engine
