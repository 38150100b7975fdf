// Communication cost of a data-parallel step, measured on the process group
// mexa trains with (Gloo on the CPU): run as N ranks under torchrun.
//   torchrun --no-python --nproc-per-node=2 build/bench/allreduce_speed [--repeats 20]
// Rank 0 prints JSON lines: for each model, the gradient all-reduce as the
// trainer does it (its parameters in 25 MB buckets, all-reduced concurrently),
// and the latency of one batch-norm statistics all-reduce (a few floats; a
// synchronised batch-norm layer makes 2 in the forward pass and 2 in the backward).
#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <functional>
#include <string>

#include "mexa/engine/distributed.h"
#include "mexa/engine/models.h"
#include "process_group_impl.h"

namespace {

double median_ms(int repeats, const std::function<void()>& step) {
  step();
  std::vector<double> s;
  for (int i = 0; i < repeats; ++i) {
    const auto t0 = std::chrono::steady_clock::now();
    step();
    s.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
  }
  std::sort(s.begin(), s.end());
  return s[s.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  int repeats = 20;
  for (int i = 1; i + 1 < argc; ++i)
    if (!std::strcmp(argv[i], "--repeats")) repeats = std::atoi(argv[i + 1]);
  using namespace mexa::engine;
  const auto launch = launch_from_environment();
  if (!launch.distributed()) {
    std::fprintf(stderr, "allreduce_speed: run under torchrun (--nproc-per-node >= 2)\n");
    return 2;
  }
  torch::set_num_threads(1);
  ProcessGroup group(launch, "cpu", std::chrono::minutes(5));
  auto& g = group.impl();
  constexpr int64_t kBucketFloats = (25 << 20) / 4;
  for (const std::string name : {"ststnet", "small3d", "r3d_18"}) {
    ModelSpec spec;
    spec.num_classes = 7;
    spec.in_channels = name == "small3d" ? 1 : 3;
    const auto model = make_model(name, spec);
    int64_t params = 0, bn_layers = 0;
    for (const auto& p : model->parameters()) params += p.numel();
    for (const auto& m : model->modules(false))
      if (m->as<torch::nn::BatchNorm3d>()) ++bn_layers;
    std::vector<torch::Tensor> buckets;
    for (int64_t left = params; left > 0; left -= kBucketFloats)
      buckets.push_back(torch::ones({std::min(left, kBucketFloats)}));
    const double grad_ms = median_ms(repeats, [&] { g.all_reduce(buckets); });
    if (launch.rank == 0)
      std::printf("{\"model\": \"%s\", \"params\": %lld, \"megabytes\": %.3f, \"buckets\": %zu, \"grad_allreduce_ms\": %.3f, "
                  "\"bn_layers\": %lld, \"ranks\": %d}\n",
                  name.c_str(), static_cast<long long>(params), params * 4 / 1e6, buckets.size(), grad_ms,
                  static_cast<long long>(bn_layers), launch.world_size);
  }
  std::vector<torch::Tensor> small{torch::ones({65})};
  const double latency_ms = median_ms(repeats * 5, [&] { g.all_reduce(small); });
  if (launch.rank == 0) std::printf("{\"small_allreduce_ms\": %.4f, \"ranks\": %d}\n", latency_ms, launch.world_size);
  std::fflush(stdout);
  return 0;
}
