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

void Relabels::set(int64_t index, int to, int epoch) {
  const auto i = static_cast<size_t>(index);
  if (to == labels_[i]) return;
  auto [it, fresh] = relabelled_.try_emplace(index, Relabel{index, original_[i], to, epoch + 1});
  it->second.to = to;
  it->second.epoch = epoch + 1;
  labels_[i] = to;
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
