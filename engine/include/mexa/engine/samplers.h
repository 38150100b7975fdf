// Class-aware sampling for imbalanced training. Per-class probability
// p_c ∝ n_c^q: instance q = 1 (the data as it is), square-root q = 1/2,
// class-balanced q = 0; progressively balanced (Kang et al., decoupling):
// p_c(t) = (1 - t/T) p_c^instance + (t/T) p_c^balanced over T epochs.
// A staged schedule trains representations with instance sampling first,
// then re-balances (the second stage of decoupled / staged training).
// Plain C++, stateless, thread-safe; deterministic for a seed.
//
//   auto order = mexa::engine::epoch_indices(Sampling::ClassBalanced, labels, epoch, epochs, seed);
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace mexa::engine {

enum class ClassSampling { Instance, SquareRoot, ClassBalanced, Progressive };

/// Parses "instance", "sqrt", "class-balanced", "progressive"; throws std::invalid_argument.
ClassSampling parse_class_sampling(const std::string& name);
std::string class_sampling_name(ClassSampling scheme);

/// p_c for each class at `epoch` of `total_epochs` (Progressive uses t = epoch, T = total_epochs - 1).
std::vector<double> class_probabilities(ClassSampling scheme, const std::vector<int64_t>& counts, int epoch,
                                        int total_epochs);

/// The samples of one epoch: Instance is a shuffled permutation of all
/// samples; the others draw `labels.size()` samples (class by p_c, then a
/// sample of that class uniformly, with replacement). Seeded by (seed, epoch).
std::vector<int64_t> epoch_indices(ClassSampling scheme, const std::vector<int>& labels, int epoch, int total_epochs,
                                   uint64_t seed);

/// Staged schedule: Instance for the first `representation_epochs`, then `second_stage`.
struct StagedSampling {
  int representation_epochs = 0;
  ClassSampling second_stage = ClassSampling::ClassBalanced;
  ClassSampling at(int epoch) const { return epoch < representation_epochs ? ClassSampling::Instance : second_stage; }
};

}  // namespace mexa::engine
