#include "method_model.h"

namespace mexa::engine {

namespace nn = torch::nn;

MethodModel::MethodModel(std::shared_ptr<VideoModel> base, const UncertaintyConfig& c, int num_classes, bool cosine)
    : base_(register_module("base", std::move(base))), cosine_(cosine) {
  const int64_t d = base_->feature_dim();
  if (c.rul) {
    mu_ = register_module("rul_mu", nn::Linear(d, c.rul_dim));
    logvar_ = register_module("rul_logvar", nn::Linear(d, c.rul_dim));
    rul_fc_ = register_module("rul_fc", nn::Linear(c.rul_dim, num_classes));
  }
  if (c.scn) alpha_ = register_module("scn_alpha", nn::Linear(d, 1));
  if (!c.au_names.empty()) au_ = register_module("au", nn::Linear(d, static_cast<int64_t>(c.au_names.size())));
}

torch::Tensor MethodModel::pool(torch::Tensor map) {
  torch::Tensor f = base_->pool(map);
  return rul() ? mu_->forward(f) : f;
}

torch::Tensor MethodModel::head(torch::Tensor features) {
  if (rul()) return apply_head(rul_fc_, features, cosine_);
  const torch::Tensor logits = base_->head(features);
  return alpha_.is_empty() ? logits : logits * importance(features).unsqueeze(1);  // SCN: alpha fc(x)
}

torch::Tensor MethodModel::classify(torch::Tensor features) {
  if (rul()) return apply_head(rul_fc_, features, cosine_);
  const torch::Tensor logits = base_->classify(features);
  return alpha_.is_empty() ? logits : logits * importance(features).unsqueeze(1);
}

int64_t MethodModel::feature_dim() const { return rul() ? mu_->options.out_features() : base_->feature_dim(); }

torch::Tensor MethodModel::importance(const torch::Tensor& base_features) {
  return torch::sigmoid(alpha_->forward(base_features)).view({-1});
}

}  // namespace mexa::engine
