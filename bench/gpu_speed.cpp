// CUDA throughput of each engine model through mexa's engine: inference in
// fp32 (LibTorch's defaults: TF32 convolutions) and under bf16 autocast, and
// bf16 training steps (forward + backward + SGD step), printed as JSON lines
// for bench/gpu_speed.py to put beside the same models in PyTorch.
//
//   build/bench/gpu_speed [--device cuda] [--seconds 1.5] [--model NAME]
// Exit 77 when no CUDA device is present (nothing measured).
#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <functional>
#include <string>
#include <vector>

#include "autocast.h"
#include "mexa/engine/device.h"
#include "mexa/engine/models.h"

namespace {

struct Case {
  std::string model;
  std::vector<int64_t> clip;  // [C, T, H, W]
  int batch;
};

/// The shapes the models are used at (bench/gpu_speed.py has the same table).
std::vector<Case> cases() {
  return {{"small3d", {1, 16, 64, 64}, 64},
          {"ststnet", {3, 1, 28, 28}, 256},
          {"r3d_18", {3, 16, 112, 112}, 32},
          {"mc3_18", {3, 16, 112, 112}, 32},
          {"r2plus1d_18", {3, 16, 112, 112}, 32}};
}

/// Clips per second of `step` on `batch` clips: warm-up, then five timed
/// steps size the spans; the median of three spans of about `seconds` / 3,
/// each synchronised with the GPU at its end only (bench/gpu_speed.py times
/// PyTorch the same way).
double clips_per_second(int batch, double seconds, const std::function<void()>& step) {
  auto timed = [&](int steps) {
    torch::cuda::synchronize();
    const auto t0 = std::chrono::steady_clock::now();
    for (int i = 0; i < steps; ++i) step();
    torch::cuda::synchronize();
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  };
  timed(3);
  const double per_step = timed(5) / 5;
  const int steps = std::max(5, static_cast<int>(seconds / 3 / per_step));
  std::vector<double> rates;
  for (int span = 0; span < 3; ++span) rates.push_back(steps * batch / timed(steps));
  std::sort(rates.begin(), rates.end());
  return rates[1];
}

void measure(const Case& c, const torch::Device& device, double seconds) {
  using mexa::engine::AutocastScope;
  torch::manual_seed(0);
  auto model = mexa::engine::make_model(c.model, {.num_classes = 7, .in_channels = static_cast<int>(c.clip[0])});
  model->to(device);
  std::vector<int64_t> shape{c.batch};
  shape.insert(shape.end(), c.clip.begin(), c.clip.end());
  const torch::Tensor x = torch::randn(shape, device);
  const torch::Tensor y = torch::randint(0, 7, {c.batch}, torch::TensorOptions().dtype(torch::kLong).device(device));

  model->eval();
  auto infer = [&](bool bf16) {
    return clips_per_second(c.batch, seconds, [&] {
      c10::InferenceMode guard;
      const AutocastScope autocast(bf16);
      model->forward(x);
    });
  };
  const double fp32_infer = infer(false), bf16_infer = infer(true);

  model->train();
  torch::optim::SGD optimizer(model->parameters(), torch::optim::SGDOptions(0.01).momentum(0.9));
  const double bf16_train = clips_per_second(c.batch, seconds, [&] {
    optimizer.zero_grad();
    torch::Tensor loss;
    {
      const AutocastScope autocast(true);
      loss = torch::nn::functional::cross_entropy(model->forward(x), y);
    }
    loss.backward();
    optimizer.step();
  });
  std::printf(
      "{\"impl\": \"mexa\", \"model\": \"%s\", \"batch\": %d, \"fp32_infer\": %.1f, \"bf16_infer\": %.1f, "
      "\"bf16_train\": %.1f}\n",
      c.model.c_str(), c.batch, fp32_infer, bf16_infer, bf16_train);
  std::fflush(stdout);
}

}  // namespace

int main(int argc, char** argv) {
  std::string device_name = "cuda", only;
  double seconds = 1.5;
  const auto usage = [] {
    std::fprintf(stderr, "usage: gpu_speed [--device cuda|cuda:N] [--seconds 1.5] [--model NAME]\n");
    return 2;
  };
  if (argc % 2 == 0) return usage();  // every option takes a value
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string a = argv[i];
    if (a == "--device") device_name = argv[i + 1];
    else if (a == "--seconds") seconds = std::stod(argv[i + 1]);
    else if (a == "--model") only = argv[i + 1];
    else return usage();
  }
  if (!mexa::engine::cuda_available()) {
    std::fprintf(stderr, "gpu_speed: no CUDA device: nothing measured (skipped)\n");
    return 77;
  }
  const auto choice = mexa::engine::resolve_device(device_name);
  if (!choice.cuda) return usage();  // a CUDA benchmark: the CPU's is bench/model_speed
  const torch::Device device(choice.name);
  for (const Case& c : cases())
    if (only.empty() || only == c.model) measure(c, device, seconds);
  return 0;
}
