#include "strided_max_pool.h"

#include <stdexcept>

namespace mexa::engine {

torch::Tensor strided_max_pool(torch::Tensor x, const std::vector<int64_t>& kernel) {
  if (x.dim() != 5 || kernel.size() != 3) throw std::invalid_argument("strided_max_pool: expected [B, C, T, H, W] and 3 sides");
  // Width first: each step shrinks the map the next one reads.
  const torch::Tensor input = x;
  for (int64_t d = 2; d >= 0; --d) {
    const int64_t k = kernel[static_cast<size_t>(d)], dim = d + 2;
    if (k < 1 || k > x.size(dim)) throw std::invalid_argument("strided_max_pool: a window side outside 1..the map's side");
    if (k == 1) continue;
    const int64_t end = x.size(dim) / k * k;
    torch::Tensor pooled = torch::maximum(x.slice(dim, 0, end, k), x.slice(dim, 1, end, k));
    for (int64_t i = 2; i < k; ++i) pooled = torch::maximum(pooled, x.slice(dim, i, end, k));
    x = pooled;
  }
  return x.is_same(input) ? input.clone() : x;  // a new tensor, as max_pool3d's, even for a 1x1x1 window
}

}  // namespace mexa::engine
