// Imbalance-aware classification losses. LibTorch header: include it only
// from engine .cpp files and engine tests (other modules see no torch types).
//
// Notation: z logits [B, C], y targets [B], p = softmax(z), n_c training
// samples of class c, pi_c = n_c / sum(n) the class prior, w_c class weights.
//
//   cross_entropy      L = -log p_y
//   weighted_ce        L = -w_y log p_y, batch mean normalised by sum of w_y
//                      (PyTorch's weighted mean); w = class_weights (default
//                      inverse frequency, scaled so sum_c w_c = C)
//   focal              L = (1 - p_y)^gamma * (-log p_y); gamma = 2 (the LDAM-DRW
//                      code uses 1 and takes p from the class-weighted CE; here p
//                      is the plain softmax, weights multiply afterwards)
//   class_balanced     weighted CE with effective-number weights
//                      w_c = (1 - beta) / (1 - beta^n_c), scaled to sum C; beta = 0.9999
//   ldam               margins m_c = n_c^(-1/4), rescaled so max_c m_c = max_m (0.5);
//                      L = CE(s * (z - m_y e_y)), s = 30; with deferred re-weighting
//                      (DRW): weights uniform before drw_epoch, class-balanced
//                      (beta) from drw_epoch on. Meant for a cosine classifier.
//   logit_adjusted     L = CE(z + tau * log pi), tau = 1; post-hoc form:
//                      predict argmax(z - tau * log pi) (posthoc_adjust)
//   balanced_softmax   L = CE(z + log n_c)
//   label_smoothing    L = -(1 - eps) log p_y - (eps / C) sum_c log p_c, eps = 0.1
//   coupling           mexa's INTERPRETATION of the coupling-regulation-imbalance
//                      loss (Xu et al., arXiv 2205.12117; the paper's exact
//                      equation was not available here):
//                      L = (1 - q_y)^gamma * CE(s (z - m_y e_y))       focal on LDAM logits
//                          + lambda * CE(s z + log pi)                 correction term (scaled logits)
//                      where q = softmax(s (z - m_y e_y)); lambda = 0.5. The
//                      correction term couples the margin loss with the
//                      prior-corrected (balanced-softmax) logits.
//
// Thread-safe (no state besides the configuration).
//
//   mexa::engine::ImbalanceLoss loss({.kind = mexa::engine::LossKind::Focal}, counts);
//   torch::Tensor value = loss(logits, targets, /*epoch=*/3);
#pragma once

#include <torch/torch.h>

#include "mexa/engine/loss_config.h"

#include <cstdint>
#include <string>
#include <vector>

namespace mexa::engine {

/// Post-hoc logit adjustment: z - tau * log(pi).
torch::Tensor posthoc_adjust(const torch::Tensor& logits, const std::vector<int64_t>& counts, double tau);

class ImbalanceLoss {
 public:
  /// `counts`: training samples per class (every class >= 1).
  ImbalanceLoss(LossConfig config, std::vector<int64_t> counts);
  /// Mean loss over the batch. `epoch` matters for LDAM-DRW only.
  torch::Tensor operator()(const torch::Tensor& logits, const torch::Tensor& targets, int epoch = 0) const;
  const LossConfig& config() const { return config_; }

 private:
  torch::Tensor margin_logits(const torch::Tensor& logits, const torch::Tensor& targets) const;

  LossConfig config_;
  std::vector<int64_t> counts_;
  torch::Tensor class_weights_;   // weighted CE
  torch::Tensor balanced_weights_; // effective number
  torch::Tensor margins_;
  torch::Tensor log_counts_;  // log n_c
  torch::Tensor log_prior_;   // log pi_c
};

}  // namespace mexa::engine
