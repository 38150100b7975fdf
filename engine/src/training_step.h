// One training step's loss (engine-internal): the configured imbalance loss,
// or, with the label-uncertainty options, EAC's attention consistency, RUL's
// mixing, SCN's weighting, rank regularisation and relabelling, the AU head,
// phased progressive learning and candidate labels (uncertainty.h), combined
// as TrainConfig asks.
#pragma once

#include <torch/torch.h>

#include <memory>
#include <vector>

#include "mexa/engine/losses.h"
#include "mexa/engine/models.h"
#include "mexa/engine/trainer.h"

namespace mexa::engine {

struct StepInput {
  torch::Tensor x;           ///< [B, C, T, H, W]
  torch::Tensor y;           ///< [B] int64, the current (maybe relabelled) labels
  torch::Tensor candidates;  ///< [B, C] 0/1 candidate sets (candidate labels only)
  torch::Tensor aus;         ///< [B, A] 0/1 AU targets (AU head only)
  torch::Tensor au_annotated;  ///< [B] 0/1: the clip's AUs are annotated (AU head only)
  int epoch = 0;             ///< 0-based
};

struct StepOutput {
  torch::Tensor loss;     ///< to backpropagate
  torch::Tensor logits;   ///< the clips' logits (accuracy)
  torch::Tensor importance;  ///< SCN: the clips' importance weights [B], detached; else undefined
  torch::Tensor uncertainty;  ///< RUL: the clips' uncertainty u (mean of exp(logvar)) [B], detached; else undefined
};

class StepLoss {
 public:
  /// `counts`: training clips per class; `logit_scale`: s for a cosine head, else 1.
  StepLoss(const TrainConfig& config, const std::vector<int64_t>& counts, double logit_scale);
  StepOutput operator()(VideoModel& model, const StepInput& in) const;
  /// True when the step needs more than model.forward() and the imbalance loss.
  bool plain() const { return plain_; }

 private:
  torch::Tensor classification(const torch::Tensor& logits, const torch::Tensor& y, int epoch) const;

  const TrainConfig& config_;
  ImbalanceLoss loss_;
  double logit_scale_;
  bool plain_;
};

}  // namespace mexa::engine
