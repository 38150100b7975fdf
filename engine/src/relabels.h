// SCN's relabelling bookkeeping, out of the trainer: the current label of
// every clip (the targets' labels, SCN's changes applied) and the changes
// themselves, kept in checkpoints so a resumed run relabels as an
// uninterrupted one.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "mexa/engine/trainer.h"

namespace mexa::engine {

class Relabels {
 public:
  explicit Relabels(const std::vector<int>& labels) : original_(labels), labels_(labels) {}

  /// Clip i's label now.
  int label(size_t i) const { return labels_[i]; }

  /// A checkpoint's relabelled clips applied again; throws std::runtime_error
  /// naming `checkpoint` for a clip outside the data.
  void restore(const std::vector<Relabel>& saved, const std::string& checkpoint);

  /// Clip `index` labelled `to` from `epoch` (0-based) on.
  void set(int64_t index, int to, int epoch);
  /// Clip i's label in the targets.
  int original(size_t i) const { return original_[i]; }

  /// Every clip SCN ever changed, as a checkpoint keeps them (a clip changed back included).
  std::vector<Relabel> all() const;
  /// The clips whose label differs from the targets' now.
  std::vector<Relabel> changed() const;

 private:
  const std::vector<int>& original_;
  std::vector<int> labels_;
  std::map<int64_t, Relabel> relabelled_;
};

}  // namespace mexa::engine
