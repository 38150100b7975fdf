#include "gradient_sync.h"

#include <torch/torch.h>

#include <cstdio>

#include "process_group_impl.h"

namespace mexa::engine {
namespace {

std::vector<std::vector<torch::Tensor>> buckets(const std::vector<torch::Tensor>& tensors) {
  constexpr int64_t kBucketBytes = 25 << 20;
  std::vector<std::vector<torch::Tensor>> out;
  int64_t bytes = kBucketBytes;
  for (const auto& t : tensors) {
    // One dtype per bucket (buffers hold int64 counters).
    if (out.empty() || bytes + static_cast<int64_t>(t.nbytes()) > kBucketBytes ||
        out.back().front().scalar_type() != t.scalar_type()) {
      out.emplace_back();
      bytes = 0;
    }
    out.back().push_back(t);
    bytes += static_cast<int64_t>(t.nbytes());
  }
  return out;
}
std::vector<torch::Tensor> views(const std::vector<torch::Tensor>& bucket) {
  std::vector<torch::Tensor> out;
  for (const auto& t : bucket) out.push_back(t.reshape(-1));
  return out;
}
void unflatten(const torch::Tensor& flat, std::vector<torch::Tensor>& bucket) {
  int64_t offset = 0;
  for (auto& t : bucket) {
    t.copy_(flat.narrow(0, offset, t.numel()).view_as(t));
    offset += t.numel();
  }
}

}  // namespace

std::vector<BatchShare> rank_shares(const std::vector<std::vector<int64_t>>& global_batches, int64_t rank,
                                    int64_t ranks, bool& warned) {
  std::vector<BatchShare> out;
  for (const auto& b : global_batches) {
    const auto n = static_cast<int64_t>(b.size());
    if (n < ranks) {  // a last batch too small to give every rank a clip: left out on every rank
      if (!warned)
        std::fprintf(stderr, "warning: a last batch of %lld clips is smaller than the %lld ranks: left out\n",
                     static_cast<long long>(n), static_cast<long long>(ranks));
      warned = true;
      continue;
    }
    const int64_t begin = rank * n / ranks, end = (rank + 1) * n / ranks;
    out.push_back({std::vector<int64_t>(b.begin() + begin, b.begin() + end), begin, n});
  }
  return out;
}

void broadcast_model(VideoModel& model, ProcessGroup& group) {
  torch::NoGradGuard no_grad;
  std::vector<torch::Tensor> tensors;
  for (auto& p : model.parameters()) tensors.push_back(p);
  for (auto& b : model.buffers()) tensors.push_back(b);
  for (auto& bucket : buckets(tensors)) {
    std::vector<torch::Tensor> flat{torch::cat(views(bucket))};
    group.impl().broadcast(flat, 0);
    unflatten(flat[0], bucket);
  }
}

void all_reduce_gradients(VideoModel& model, ProcessGroup& group) {
  std::vector<torch::Tensor> grads;
  auto params = model.parameters();
  for (auto it = params.rbegin(); it != params.rend(); ++it)
    if (it->grad().defined()) grads.push_back(it->grad());
  auto groups = buckets(grads);
  std::vector<torch::Tensor> flat;
  for (const auto& bucket : groups) flat.push_back(torch::cat(views(bucket)));
  group.impl().all_reduce(flat);
  for (size_t b = 0; b < groups.size(); ++b) unflatten(flat[b], groups[b]);
}

}  // namespace mexa::engine
