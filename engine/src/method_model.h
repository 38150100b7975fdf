// A model with the heads the label-uncertainty methods add (engine-internal):
// RUL's feature (mu) and log-variance heads with their own classifier, SCN's
// importance weight, the AU head. Built only when one of them is asked for,
// so plain checkpoints keep their parameter names; the base model's
// parameters are under "base.".
#pragma once

#include <torch/torch.h>

#include <memory>

#include "mexa/engine/models.h"
#include "mexa/engine/uncertainty_config.h"

namespace mexa::engine {

class MethodModel : public VideoModel {
 public:
  /// `cosine`: RUL's classifier is a cosine head like the base model's.
  MethodModel(std::shared_ptr<VideoModel> base, const UncertaintyConfig& config, int num_classes, bool cosine);

  // VideoModel: with RUL the embedding is mu and the classifier RUL's own;
  // with SCN the logits are alpha * fc(x), in training and scoring alike.
  torch::Tensor feature_map(torch::Tensor x) override { return base_->feature_map(x); }
  torch::Tensor pool(torch::Tensor map) override;
  torch::Tensor head(torch::Tensor features) override;
  torch::Tensor classify(torch::Tensor features) override;
  torch::Tensor cams(torch::Tensor map) override { return base_->cams(map); }
  int64_t feature_dim() const override;

  VideoModel& base() { return *base_; }
  /// RUL: mu and log variance of the base embedding.
  torch::Tensor mu(const torch::Tensor& base_features) { return mu_->forward(base_features); }
  torch::Tensor logvar(const torch::Tensor& base_features) { return logvar_->forward(base_features); }
  /// SCN: importance weights in (0, 1), [B].
  torch::Tensor importance(const torch::Tensor& base_features);
  /// AU head logits [B, A] of the base embedding; needs has_au().
  torch::Tensor au_logits(const torch::Tensor& base_features) { return au_->forward(base_features); }
  bool has_au() const { return !au_.is_empty(); }
  bool rul() const { return !mu_.is_empty(); }

 private:
  std::shared_ptr<VideoModel> base_;
  torch::nn::Linear mu_{nullptr}, logvar_{nullptr}, rul_fc_{nullptr};
  torch::nn::Linear alpha_{nullptr};
  torch::nn::Linear au_{nullptr};
  bool cosine_ = false;
};

}  // namespace mexa::engine
