#include "training_step.h"

#include <stdexcept>

#include "autocast.h"
#include "method_model.h"
#include "mexa/engine/uncertainty.h"

namespace mexa::engine {

StepLoss::StepLoss(const TrainConfig& config, const std::vector<int64_t>& counts, double logit_scale)
    : config_(config), loss_(config.loss, counts), logit_scale_(logit_scale) {
  const UncertaintyConfig& u = config.uncertainty;
  plain_ = !u.eac && !u.any_head() && !u.phased() && !u.candidate_labels;
}

torch::Tensor StepLoss::classification(const torch::Tensor& logits, const torch::Tensor& y, int epoch) const {
  const UncertaintyConfig& u = config_.uncertainty;
  const torch::Tensor z = logits.to(torch::kFloat32);
  if (!u.phased()) return loss_(z, y, epoch);
  // Phased progressive learning: instance-balanced CE (on the scaled logits
  // of a cosine head) handing over to the configured class-balanced loss.
  const double alpha = phase_alpha(u, epoch + 1);
  torch::Tensor out = torch::zeros({}, z.options());
  if (alpha > 0) out = out + alpha * torch::nn::functional::cross_entropy(z * logit_scale_, y);
  if (alpha < 1) out = out + (1 - alpha) * loss_(z, y, epoch);
  return out;
}

StepOutput StepLoss::operator()(VideoModel& model, const StepInput& in) const {
  StepOutput out;
  if (plain_) {
    {
      AutocastScope autocast(config_.amp);
      out.logits = model.forward(in.x);
    }
    out.loss = loss_(out.logits.to(torch::kFloat32), in.y, in.epoch);
    return out;
  }
  const UncertaintyConfig& u = config_.uncertainty;
  auto* method = dynamic_cast<MethodModel*>(&model);
  if (u.any_head() && !method) throw std::logic_error("training with method heads needs a MethodModel");
  AutocastScope autocast(config_.amp);  // CUDA --amp; the loss terms are computed on float32 casts

  const torch::Tensor x = u.eac ? random_erase(in.x, u.erase_probability, u.erase_min, u.erase_max) : in.x;
  const torch::Tensor map = model.feature_map(x);
  const torch::Tensor base_features = method ? method->base().pool(map) : model.pool(map);
  const torch::Tensor features = method && method->rul() ? method->mu(base_features) : base_features;
  out.logits = model.head(features);
  torch::Tensor loss;
  if (u.scn) {  // the head weighted the logits by importance; rank regularisation of the weights
    const torch::Tensor importance = method->importance(base_features).to(torch::kFloat32);
    loss = scn_rank_loss(importance, u.scn_ratio, u.scn_margin);
    out.importance = importance.detach().flatten();
  }
  torch::Tensor main;
  if (u.rul) {  // mixed features of random pairs, both labels
    const torch::Tensor partner = torch::randperm(in.x.size(0), torch::TensorOptions(torch::kInt64)).to(in.x.device());
    const torch::Tensor logvar = method->logvar(base_features);
    const torch::Tensor mixed = model.head(rul_mix(features, logvar, partner));
    out.uncertainty = logvar.detach().to(torch::kFloat32).exp().mean(1);
    main = 0.5 * classification(mixed, in.y, in.epoch) + 0.5 * classification(mixed, in.y.index_select(0, partner), in.epoch);
  } else if (u.candidate_labels) {
    main = candidate_loss(out.logits.to(torch::kFloat32) * logit_scale_, in.candidates);
  } else {
    main = classification(out.logits, in.y, in.epoch);
  }
  loss = loss.defined() ? loss + main : main;
  if (u.eac) {  // attention consistency with the flipped (and separately erased) view
    const torch::Tensor flipped = random_erase(flip_clips(in.x, config_.augment.flow_field), u.erase_probability,
                                               u.erase_min, u.erase_max);
    loss = loss + u.eac_lambda * attention_consistency(model.cams(map).to(torch::kFloat32),
                                                       model.cams(model.feature_map(flipped)).to(torch::kFloat32));
  }
  if (method && method->has_au())
    loss = loss + u.au_weight * au_loss(method->au_logits(base_features).to(torch::kFloat32), in.aus, in.au_annotated);
  out.loss = loss;
  return out;
}

}  // namespace mexa::engine
