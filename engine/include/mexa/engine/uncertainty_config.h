// Label-uncertainty and auxiliary-task settings of the trainer, without
// LibTorch types (the CLI and checkpoints exchange them). Formulas and
// sources: uncertainty.h and ../shared/REFERENCES.md.
#pragma once

#include <string>
#include <vector>

namespace mexa::engine {

enum class PhaseCurve { Parabolic, Linear, Cosine };
/// "parabolic", "linear", "cosine"; throws std::invalid_argument.
PhaseCurve parse_phase_curve(const std::string& name);
std::string phase_curve_name(PhaseCurve curve);

struct UncertaintyConfig {
  // EAC: attention consistency under a horizontal flip, random erasing on each view.
  bool eac = false;
  double eac_lambda = 5.0;
  double erase_probability = 0.5;
  double erase_min = 0.02, erase_max = 0.25;  ///< erased share of the H x W area
  // RUL: relative uncertainty mixing of random pairs.
  bool rul = false;
  int rul_dim = 64;  ///< feature and log-variance heads' width
  // SCN: importance weights with rank regularisation, and relabelling.
  bool scn = false;
  double scn_ratio = 0.7;    ///< share of the batch in the high-importance group
  double scn_margin = 0.15;  ///< rank regularisation margin
  double scn_delta = 0.2;    ///< relabel when p_max - p_label exceeds it (calibrated probabilities)
  /// 1-based epoch from which clips are relabelled; -1: after the warm-up
  /// share of the run (resolved(): max(1, ceil(scn_warmup_share * epochs))).
  int scn_relabel_epoch = -1;
  /// Warm-up before relabelling, as a share of --epochs. The paper relabels
  /// from epoch 10 of a network pre-trained on faces; trained from scratch,
  /// mexa's models are not right that early (issue 31).
  double scn_warmup_share = 0.5;
  /// At most this share of a class's training clips may be relabelled away
  /// from it per epoch (a guard beyond the paper: clean data must not lose a class).
  double scn_class_cap = 0.05;
  // AU multi-task head: sigmoid outputs, BCE, added with a weight.
  std::vector<std::string> au_names;  ///< the head's AUs ("AU1", ...); empty: no head
  double au_weight = 0.5;
  // Phased progressive learning (mexa's interpretation; coupling loss only):
  // L = alpha(t) CE + (1 - alpha(t)) coupling, alpha = 1 before phase2_epoch,
  // falling to 0 by `curve` until phase3_epoch, 0 from then on (1-based epochs).
  int phase2_epoch = 0, phase3_epoch = 0;  ///< 0: no phases
  PhaseCurve phase_curve = PhaseCurve::Parabolic;
  // Candidate (partial) labels: loss -log sum_{c in S} p_c over each clip's candidate set.
  bool candidate_labels = false;

  bool phased() const { return phase2_epoch > 0; }
  bool any_head() const { return rul || scn || !au_names.empty(); }
};

}  // namespace mexa::engine
