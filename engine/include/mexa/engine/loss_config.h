// Loss configuration without LibTorch types: what the trainer, the CLI and
// checkpoints exchange. The formulas are in losses.h.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace mexa::engine {

enum class LossKind {
  CrossEntropy,
  WeightedCE,
  Focal,
  ClassBalanced,
  Ldam,
  LogitAdjusted,
  BalancedSoftmax,
  LabelSmoothing,
  Coupling,
};

/// Parses "ce", "weighted-ce", "focal", "class-balanced", "ldam-drw",
/// "logit-adjusted", "balanced-softmax", "label-smoothing", "coupling";
/// throws std::invalid_argument.
LossKind parse_loss(const std::string& name);

struct LossConfig {
  LossKind kind = LossKind::CrossEntropy;
  double gamma = 2.0;        ///< focal and coupling
  double beta = 0.9999;      ///< class-balanced weights, DRW
  double max_m = 0.5;        ///< LDAM largest margin
  double s = 30.0;           ///< LDAM logit scale
  int drw_epoch = -1;        ///< LDAM: first epoch with class-balanced weights; -1: 4/5 of the epochs (resolved by fit())
  double tau = 1.0;          ///< logit adjustment
  double smoothing = 0.1;    ///< label smoothing epsilon
  double lambda = 0.5;       ///< coupling: weight of the correction term
  std::vector<double> class_weights;  ///< weighted CE; empty: inverse frequency
};

/// w_c = (1 - beta) / (1 - beta^n_c), scaled so that sum_c w_c = C.
std::vector<double> effective_number_weights(const std::vector<int64_t>& counts, double beta);
/// w_c proportional to 1 / n_c, scaled so that sum_c w_c = C.
std::vector<double> inverse_frequency_weights(const std::vector<int64_t>& counts);
/// m_c = n_c^(-1/4), scaled so the largest is max_m.
std::vector<double> ldam_margins(const std::vector<int64_t>& counts, double max_m);
/// The name parse_loss() accepts for `kind` ("ldam-drw" for Ldam).
std::string loss_name(LossKind kind);

}  // namespace mexa::engine
