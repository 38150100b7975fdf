#include "mexa/engine/samplers.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>
#include <stdexcept>

#include "mexa/enum_names.h"

namespace mexa::engine {
namespace {

std::vector<double> power_probabilities(const std::vector<int64_t>& counts, double q) {
  std::vector<double> p;
  for (int64_t n : counts) p.push_back(n > 0 ? std::pow(static_cast<double>(n), q) : 0.0);
  const double sum = std::accumulate(p.begin(), p.end(), 0.0);
  if (sum <= 0) throw std::invalid_argument("no class has samples");
  for (double& x : p) x /= sum;
  return p;
}

}  // namespace

static const EnumNames<ClassSampling>& sampling_names() {
  using S = ClassSampling;
  static const EnumNames<S> names("sampler", {{S::Instance, "instance"},
                                              {S::SquareRoot, "sqrt"},
                                              {S::ClassBalanced, "class-balanced"},
                                              {S::Progressive, "progressive"}});
  return names;
}

ClassSampling parse_class_sampling(const std::string& name) { return sampling_names().parse(name); }
std::string class_sampling_name(ClassSampling scheme) { return sampling_names().name(scheme); }

std::vector<double> class_probabilities(ClassSampling scheme, const std::vector<int64_t>& counts, int epoch,
                                        int total_epochs) {
  switch (scheme) {
    case ClassSampling::Instance: return power_probabilities(counts, 1.0);
    case ClassSampling::SquareRoot: return power_probabilities(counts, 0.5);
    case ClassSampling::ClassBalanced: return power_probabilities(counts, 0.0);
    case ClassSampling::Progressive: {
      const double t = total_epochs > 1 ? std::clamp(static_cast<double>(epoch) / (total_epochs - 1), 0.0, 1.0) : 1.0;
      const auto instance = power_probabilities(counts, 1.0);
      const auto balanced = power_probabilities(counts, 0.0);
      std::vector<double> p(counts.size());
      for (size_t c = 0; c < p.size(); ++c) p[c] = (1 - t) * instance[c] + t * balanced[c];
      return p;
    }
  }
  throw std::logic_error("unhandled sampling scheme");
}

std::vector<int64_t> epoch_indices(ClassSampling scheme, const std::vector<int>& labels, int epoch, int total_epochs,
                                   uint64_t seed) {
  std::mt19937_64 rng(seed * 1000003ull + static_cast<uint64_t>(epoch));
  std::vector<int64_t> order(labels.size());
  if (scheme == ClassSampling::Instance) {
    std::iota(order.begin(), order.end(), int64_t{0});
    std::shuffle(order.begin(), order.end(), rng);
    return order;
  }
  const int classes = labels.empty() ? 0 : *std::max_element(labels.begin(), labels.end()) + 1;
  std::vector<std::vector<int64_t>> members(static_cast<size_t>(classes));
  for (size_t i = 0; i < labels.size(); ++i) {
    if (labels[i] < 0) throw std::invalid_argument("negative label at sample " + std::to_string(i));
    members[static_cast<size_t>(labels[i])].push_back(static_cast<int64_t>(i));
  }
  std::vector<int64_t> counts;
  for (const auto& m : members) counts.push_back(static_cast<int64_t>(m.size()));
  const auto p = class_probabilities(scheme, counts, epoch, total_epochs);
  std::discrete_distribution<int> pick_class(p.begin(), p.end());
  for (auto& index : order) {
    const auto& pool = members[static_cast<size_t>(pick_class(rng))];
    index = pool[std::uniform_int_distribution<size_t>(0, pool.size() - 1)(rng)];
  }
  return order;
}

}  // namespace mexa::engine
