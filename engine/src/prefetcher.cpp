#include "prefetcher.h"

#include <algorithm>
#include <memory>
#include <stdexcept>

namespace mexa::engine {

torch::Tensor to_tensor(ClipArray clip) {
  if (clip.shape.size() != 4) throw std::runtime_error("a clip must be [C, T, H, W]");
  auto owned = std::make_shared<std::vector<float>>(std::move(clip.data));
  int64_t n = 1;
  for (int64_t d : clip.shape) n *= d;
  if (static_cast<int64_t>(owned->size()) != n) throw std::runtime_error("clip data does not match its shape");
  return torch::from_blob(owned->data(), clip.shape, [owned](void*) {}, torch::kFloat32);
}

std::vector<std::vector<int64_t>> chunk(const std::vector<int64_t>& order, int batch_size) {
  std::vector<std::vector<int64_t>> batches;
  for (size_t i = 0; i < order.size(); i += static_cast<size_t>(batch_size))
    batches.emplace_back(order.begin() + static_cast<std::ptrdiff_t>(i),
                         order.begin() + static_cast<std::ptrdiff_t>(std::min(order.size(), i + batch_size)));
  return batches;
}

}  // namespace mexa::engine
