// SCN's relabelling with guards (engine-internal; issue 31). Once per epoch,
// from the logits the epoch's training steps produced for each clip:
//
// - probabilities that mean something: a linear head's softmax as it is; a
//   cosine head's cosines with the inverse temperature that minimises the
//   expected calibration error (15 bins) on those clips, never the margin
//   loss's scale s, which makes them one-hot long before the model is right;
// - only clips in the low-importance group (SCN's importance below the
//   (1 - ratio) share) are relabelled, as in the paper;
// - a clip goes to the most likely class when it beats the clip's original
//   label by more than delta (the same rule as the paper's, read on the
//   calibrated probabilities);
// - at most `class_cap` of each class's training clips change away from it
//   per epoch (the largest margins first);
// - a relabelled clip goes back to its original label when the model no
//   longer prefers its new label by delta (the model changed its mind).
#pragma once

#include <cstdint>
#include <vector>

namespace mexa::engine {

struct ScnEpochClip {
  int64_t index = 0;            ///< the clip (as Relabels knows it)
  int original = 0, current = 0;
  float importance = 0;         ///< SCN's weight at the clip's last step this epoch
  std::vector<float> logits;    ///< raw head output (cosines for a cosine head)
};

struct ScnGuard {
  double delta = 0.2;
  double ratio = 0.7;       ///< high-importance share (the rest may be relabelled)
  double class_cap = 0.05;  ///< share of a class's clips that may leave it per epoch
  bool cosine_head = false;
};

struct ScnChange {
  int64_t index = 0;
  int from = 0, to = 0;  ///< current label before and after
};

struct ScnPlan {
  double scale = 1;  ///< the logits' multiplier the probabilities used (1 / temperature)
  std::vector<ScnChange> changes;  ///< relabels and undos, in clip order
};

/// The epoch's changes; `class_counts`: training clips per original class.
ScnPlan plan_relabels(const std::vector<ScnEpochClip>& clips, const std::vector<int64_t>& class_counts,
                      const ScnGuard& guard);

/// Expected calibration error (15 equal-width confidence bins) of the
/// softmax of scale * logits against `labels`.
double expected_calibration_error(const std::vector<ScnEpochClip>& clips, double scale);

}  // namespace mexa::engine
