#include "relabels.h"

#include <stdexcept>

namespace mexa::engine {

void Relabels::restore(const std::vector<Relabel>& saved, const std::string& checkpoint) {
  for (const auto& r : saved) {
    if (r.index >= static_cast<int64_t>(labels_.size()))
      throw std::runtime_error(checkpoint + ": relabelled clip " + std::to_string(r.index) + " is not in the data");
    labels_[static_cast<size_t>(r.index)] = r.to;
    relabelled_[r.index] = r;
  }
}

void Relabels::apply(const std::vector<int64_t>& batch, const torch::Tensor& labels, int epoch) {
  const auto cpu = labels.to(torch::kCPU, torch::kInt64).contiguous();
  const int64_t* to = cpu.data_ptr<int64_t>();
  for (size_t k = 0; k < batch.size(); ++k) {
    const auto i = static_cast<size_t>(batch[k]);
    const int next = static_cast<int>(to[k]);
    if (next == labels_[i]) continue;
    auto [it, fresh] = relabelled_.try_emplace(batch[k], Relabel{batch[k], original_[i], next, epoch + 1});
    it->second.to = next;
    it->second.epoch = epoch + 1;
    labels_[i] = next;
  }
}

std::vector<Relabel> Relabels::all() const {
  std::vector<Relabel> out;
  for (const auto& [index, r] : relabelled_) out.push_back(r);
  return out;
}

std::vector<Relabel> Relabels::changed() const {
  std::vector<Relabel> out;
  for (const auto& [index, r] : relabelled_)
    if (r.to != r.from) out.push_back(r);
  return out;
}

}  // namespace mexa::engine
