#include "batch_context.h"

namespace mexa::engine {
namespace {

thread_local const BatchContext* g_current = nullptr;

}  // namespace

BatchScope::BatchScope(const BatchContext& context) : previous_(g_current) { g_current = &context; }
BatchScope::~BatchScope() { g_current = previous_; }

const BatchContext* current_batch() { return g_current; }

torch::Tensor batch_norm_step(torch::nn::BatchNorm3dImpl& bn, const torch::Tensor& x) {
  const BatchContext* c = g_current;
  if (!c || !c->group || !bn.is_training()) return bn.forward(x);
  // Two passes over the global batch: the mean, then the variance about it
  // (as accurate as one process's batch norm, unlike E[x^2] - E[x]^2).
  // In float32 whatever autocast made of x (a half-precision count overflows at 65504).
  const torch::Tensor x32 = x.to(torch::kFloat);
  const std::vector<int64_t> reduce{0, 2, 3, 4};
  const int64_t channels = x.size(1);
  const double local_count = static_cast<double>(x.numel() / channels);
  auto sums = torch::cat({x32.sum(reduce), torch::full({1}, local_count, x32.options())});
  sums = all_reduce_sum(sums, *c->group);
  const auto count = sums.narrow(0, channels, 1);
  const auto mean = sums.narrow(0, 0, channels) / count;
  const auto view = std::vector<int64_t>{1, channels, 1, 1, 1};
  const auto centred = x32 - mean.view(view);
  const auto var = all_reduce_sum(centred.pow(2).sum(reduce), *c->group) / count;
  auto y = centred * torch::rsqrt(var + bn.options.eps()).view(view);
  if (bn.options.affine()) y = y * bn.weight.view(view) + bn.bias.view(view);
  if (bn.options.track_running_stats()) {
    torch::NoGradGuard no_grad;
    const double n = count.item<double>();
    const double momentum = bn.options.momentum().value_or(0.1);
    bn.running_mean.mul_(1 - momentum).add_(mean.detach(), momentum);
    bn.running_var.mul_(1 - momentum).add_(var.detach() * (n / std::max(n - 1, 1.0)), momentum);
    bn.num_batches_tracked.add_(1);
  }
  return y.to(x.scalar_type());
}

torch::Tensor dropout_step(torch::nn::DropoutImpl& dropout, const torch::Tensor& x) {
  const BatchContext* c = g_current;
  const double p = dropout.options.p();
  if (!c || !dropout.is_training() || p == 0) return dropout.forward(x);
  // The global batch's mask from the step's seed, on the CPU (the same bits on
  // every rank and device); this rank's rows of it.
  std::vector<int64_t> shape = x.sizes().vec();
  shape[0] = c->global_batch;
  auto generator = at::make_generator<at::CPUGeneratorImpl>(c->dropout_seed);
  // Kept where a uniform draw is >= p: probability 1 - p, and about twice as
  // fast as bernoulli_ on the CPU (a visible share of a small model's step).
  const auto keep = (torch::rand(shape, generator, torch::kFloat32) >= p).to(torch::kFloat32);
  const auto mask = keep.narrow(0, c->offset, x.size(0)).to(x.device(), x.scalar_type());
  return x * mask / (1 - p);
}

}  // namespace mexa::engine
