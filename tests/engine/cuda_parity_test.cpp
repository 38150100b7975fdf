// One forward + backward pass of a small spatiotemporal network on CUDA,
// compared with the same pass on the CPU. Reported as skipped without a GPU.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "mexa/engine/device.h"
#include "mexa/engine/models.h"

namespace mexa::engine {
namespace {

/// A 3D conv net shaped like the models mexa trains: [B, C, T, H, W] -> logits.
struct TinyNetImpl : torch::nn::Module {
  TinyNetImpl() {
    conv1 = register_module("conv1", torch::nn::Conv3d(torch::nn::Conv3dOptions(1, 8, 3).padding(1)));
    bn1 = register_module("bn1", torch::nn::BatchNorm3d(8));
    conv2 = register_module("conv2", torch::nn::Conv3d(torch::nn::Conv3dOptions(8, 16, 3).stride(2).padding(1)));
    fc = register_module("fc", torch::nn::Linear(16, 7));
  }
  torch::Tensor forward(torch::Tensor x) {
    x = torch::relu(bn1(conv1(x)));
    x = torch::relu(conv2(x));
    x = torch::adaptive_avg_pool3d(x, {1, 1, 1}).flatten(1);
    return fc(x);
  }
  torch::nn::Conv3d conv1{nullptr}, conv2{nullptr};
  torch::nn::BatchNorm3d bn1{nullptr};
  torch::nn::Linear fc{nullptr};
};
TORCH_MODULE(TinyNet);

/// Full-precision float32 on CUDA for a scope (TF32 would differ by design),
/// then the library's defaults again.
class NoTf32Scope {
 public:
  NoTf32Scope() : cudnn_(at::globalContext().allowTF32CuDNN()), cublas_(at::globalContext().allowTF32CuBLAS()) {
    at::globalContext().setAllowTF32CuDNN(false);
    at::globalContext().setAllowTF32CuBLAS(false);
  }
  ~NoTf32Scope() {
    at::globalContext().setAllowTF32CuDNN(cudnn_);
    at::globalContext().setAllowTF32CuBLAS(cublas_);
  }
  NoTf32Scope(const NoTf32Scope&) = delete;
  NoTf32Scope& operator=(const NoTf32Scope&) = delete;

 private:
  bool cudnn_, cublas_;
};

struct Pass {
  torch::Tensor logits, loss;
  std::vector<torch::Tensor> grads;
};

Pass run(TinyNet net, const torch::Tensor& input, const torch::Tensor& target, const torch::Device& device) {
  net->to(device);
  net->zero_grad();
  net->train();
  const torch::Tensor logits = net->forward(input.to(device));
  const torch::Tensor loss = torch::nn::functional::cross_entropy(logits, target.to(device));
  loss.backward();
  Pass pass{logits.detach().cpu(), loss.detach().cpu(), {}};
  for (const auto& p : net->parameters()) pass.grads.push_back(p.grad().detach().cpu());
  return pass;
}

TEST(CudaParity, ForwardAndBackwardMatchTheCpu) {
  if (!cuda_available()) GTEST_SKIP() << "no CUDA device: CUDA parity not checked on this machine";
  const NoTf32Scope full_precision;
  torch::manual_seed(7);
  TinyNet cpu_net;
  TinyNet cuda_net;
  {
    torch::NoGradGuard no_grad;
    auto source = cpu_net->parameters();
    auto copy = cuda_net->parameters();
    for (size_t i = 0; i < source.size(); ++i) copy[i].copy_(source[i]);
  }
  const torch::Tensor input = torch::randn({4, 1, 8, 32, 32});
  const torch::Tensor target = torch::tensor({0, 3, 5, 6}, torch::kLong);

  const Pass on_cpu = run(cpu_net, input, target, torch::kCPU);
  const Pass on_cuda = run(cuda_net, input, target, torch::Device(resolve_device("cuda").name));
  EXPECT_TRUE(torch::allclose(on_cpu.logits, on_cuda.logits, /*rtol=*/1e-4, /*atol=*/1e-5))
      << "max abs diff " << (on_cpu.logits - on_cuda.logits).abs().max().item<float>();
  EXPECT_NEAR(on_cpu.loss.item<float>(), on_cuda.loss.item<float>(), 1e-5);
  ASSERT_EQ(on_cpu.grads.size(), on_cuda.grads.size());
  for (size_t i = 0; i < on_cpu.grads.size(); ++i)
    EXPECT_TRUE(torch::allclose(on_cpu.grads[i], on_cuda.grads[i], /*rtol=*/1e-3, /*atol=*/1e-5))
        << "parameter " << i << " max abs diff " << (on_cpu.grads[i] - on_cuda.grads[i]).abs().max().item<float>();
}

/// A batch shaped as each model is used: flow fields for ststnet, gray clips
/// for small3d, RGB clips for the video ResNets.
std::vector<int64_t> parity_shape(const std::string& model) {
  if (model == "ststnet") return {8, 3, 1, 28, 28};
  if (model == "small3d") return {4, 1, 16, 64, 64};
  return {2, 3, 8, 112, 112};
}

class EveryModelParity : public ::testing::TestWithParam<std::string> {};

// Every engine model, same weights and input, eval mode: logits and
// embeddings on CUDA equal the CPU's within float32 rounding. The printed
// line is what scripts/gpu-check puts in docs/bench-gpu.md.
TEST_P(EveryModelParity, LogitsAndFeaturesMatchTheCpu) {
  if (!cuda_available()) GTEST_SKIP() << "no CUDA device: CUDA parity not checked on this machine";
  const NoTf32Scope full_precision;
  const std::vector<int64_t> shape = parity_shape(GetParam());
  torch::manual_seed(3);
  auto model = make_model(GetParam(), {.num_classes = 7, .in_channels = static_cast<int>(shape[1])});
  model->eval();
  const torch::Tensor input = torch::randn(shape);
  torch::NoGradGuard no_grad;
  const torch::Tensor cpu_features = model->features(input), cpu_logits = model->classify(cpu_features);
  const torch::Device cuda(resolve_device("cuda").name);
  model->to(cuda);
  const torch::Tensor cuda_features = model->features(input.to(cuda)), cuda_logits = model->classify(cuda_features);
  const float logits_diff = (cpu_logits - cuda_logits.cpu()).abs().max().item<float>();
  const float features_diff = (cpu_features - cuda_features.cpu()).abs().max().item<float>();
  std::cout << "[ PARITY   ] " << GetParam() << ": max |cpu - cuda| logits " << logits_diff << " features "
            << features_diff << "\n";
  EXPECT_LE(logits_diff, 1e-4f);
  EXPECT_LE(features_diff, 1e-4f);
}

INSTANTIATE_TEST_SUITE_P(CudaParity, EveryModelParity, ::testing::ValuesIn(model_names()),
                         [](const auto& info) { return info.param; });

TEST(CudaParity, CpuPassIsDeterministic) {
  // The reference side of the comparison must itself be stable.
  torch::manual_seed(7);
  TinyNet a;
  torch::manual_seed(7);
  TinyNet b;
  const torch::Tensor input = torch::randn({2, 1, 8, 16, 16});
  const torch::Tensor target = torch::tensor({1, 2}, torch::kLong);
  const Pass first = run(a, input, target, torch::kCPU);
  const Pass second = run(b, input, target, torch::kCPU);
  EXPECT_TRUE(torch::equal(first.logits, second.logits));
  EXPECT_GT(first.grads.front().abs().sum().item<float>(), 0.0f);
}

}  // namespace
}  // namespace mexa::engine
