#include "mexa/engine/losses.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <stdexcept>

#include "mexa/enum_names.h"

namespace mexa::engine {
namespace {

namespace F = torch::nn::functional;

std::vector<double> scale_to_sum(std::vector<double> w, double total) {
  const double sum = std::accumulate(w.begin(), w.end(), 0.0);
  for (double& x : w) x *= total / sum;
  return w;
}

torch::Tensor to_tensor(const std::vector<double>& v) {
  return torch::tensor(std::vector<float>(v.begin(), v.end()), torch::kFloat32);
}

void check_counts(const std::vector<int64_t>& counts) {
  if (counts.empty()) throw std::invalid_argument("class counts are empty");
  for (int64_t n : counts)
    if (n < 1) throw std::invalid_argument("every class needs at least one training sample");
}

}  // namespace

static const EnumNames<LossKind>& loss_names() {
  using L = LossKind;
  static const EnumNames<L> names("loss",
                                  {{L::CrossEntropy, "ce"},
                                   {L::WeightedCE, "weighted-ce"},
                                   {L::Focal, "focal"},
                                   {L::ClassBalanced, "class-balanced"},
                                   {L::Ldam, "ldam-drw"},
                                   {L::LogitAdjusted, "logit-adjusted"},
                                   {L::BalancedSoftmax, "balanced-softmax"},
                                   {L::LabelSmoothing, "label-smoothing"},
                                   {L::Coupling, "coupling"}},
                                  {{L::Ldam, "ldam"}});
  return names;
}

LossKind parse_loss(const std::string& name) { return loss_names().parse(name); }
std::string loss_name(LossKind kind) { return loss_names().name(kind); }

std::vector<double> effective_number_weights(const std::vector<int64_t>& counts, double beta) {
  check_counts(counts);
  std::vector<double> w;
  for (int64_t n : counts) w.push_back((1.0 - beta) / (1.0 - std::pow(beta, static_cast<double>(n))));
  return scale_to_sum(w, static_cast<double>(counts.size()));
}

std::vector<double> inverse_frequency_weights(const std::vector<int64_t>& counts) {
  check_counts(counts);
  std::vector<double> w;
  for (int64_t n : counts) w.push_back(1.0 / static_cast<double>(n));
  return scale_to_sum(w, static_cast<double>(counts.size()));
}

std::vector<double> ldam_margins(const std::vector<int64_t>& counts, double max_m) {
  check_counts(counts);
  std::vector<double> m;
  for (int64_t n : counts) m.push_back(std::pow(static_cast<double>(n), -0.25));
  const double largest = *std::max_element(m.begin(), m.end());
  for (double& x : m) x *= max_m / largest;
  return m;
}

torch::Tensor posthoc_adjust(const torch::Tensor& logits, const std::vector<int64_t>& counts, double tau) {
  check_counts(counts);
  const double total = static_cast<double>(std::accumulate(counts.begin(), counts.end(), int64_t{0}));
  std::vector<double> log_pi;
  for (int64_t n : counts) log_pi.push_back(std::log(static_cast<double>(n) / total));
  return logits - tau * to_tensor(log_pi).to(logits.device());
}

ImbalanceLoss::ImbalanceLoss(LossConfig config, std::vector<int64_t> counts)
    : config_(std::move(config)), counts_(std::move(counts)) {
  check_counts(counts_);
  if (!config_.class_weights.empty() && config_.class_weights.size() != counts_.size())
    throw std::invalid_argument("class_weights has " + std::to_string(config_.class_weights.size()) +
                                " values for " + std::to_string(counts_.size()) + " classes");
  class_weights_ = to_tensor(config_.class_weights.empty() ? inverse_frequency_weights(counts_) : config_.class_weights);
  balanced_weights_ = to_tensor(effective_number_weights(counts_, config_.beta));
  margins_ = to_tensor(ldam_margins(counts_, config_.max_m));
  std::vector<double> log_n;
  for (int64_t n : counts_) log_n.push_back(std::log(static_cast<double>(n)));
  log_counts_ = to_tensor(log_n);
  log_prior_ = log_counts_ - std::log(static_cast<double>(std::accumulate(counts_.begin(), counts_.end(), int64_t{0})));
}

torch::Tensor ImbalanceLoss::margin_logits(const torch::Tensor& logits, const torch::Tensor& targets) const {
  const torch::Tensor margin = margins_.to(logits.device()).index_select(0, targets);
  const torch::Tensor one_hot = F::one_hot(targets, logits.size(1)).to(logits.dtype());
  return config_.s * (logits - one_hot * margin.unsqueeze(1));
}

torch::Tensor ImbalanceLoss::operator()(const torch::Tensor& logits, const torch::Tensor& targets, int epoch) const {
  if (logits.dim() != 2 || logits.size(1) != static_cast<int64_t>(counts_.size()))
    throw std::invalid_argument("logits must be [B, " + std::to_string(counts_.size()) + "]");
  const auto device = logits.device();
  switch (config_.kind) {
    case LossKind::CrossEntropy: return F::cross_entropy(logits, targets);
    case LossKind::WeightedCE:
      return F::cross_entropy(logits, targets, F::CrossEntropyFuncOptions().weight(class_weights_.to(device)));
    case LossKind::ClassBalanced:
      return F::cross_entropy(logits, targets, F::CrossEntropyFuncOptions().weight(balanced_weights_.to(device)));
    case LossKind::Focal: {
      const torch::Tensor ce = F::cross_entropy(logits, targets, F::CrossEntropyFuncOptions().reduction(torch::kNone));
      const torch::Tensor p = torch::exp(-ce);
      return (torch::pow(1 - p, config_.gamma) * ce).mean();
    }
    case LossKind::Ldam: {
      auto options = F::CrossEntropyFuncOptions();
      if (config_.drw_epoch >= 0 && epoch >= config_.drw_epoch) options.weight(balanced_weights_.to(device));
      return F::cross_entropy(margin_logits(logits, targets), targets, options);
    }
    case LossKind::LogitAdjusted: return F::cross_entropy(logits + config_.tau * log_prior_.to(device), targets);
    case LossKind::BalancedSoftmax: return F::cross_entropy(logits + log_counts_.to(device), targets);
    case LossKind::LabelSmoothing:
      return F::cross_entropy(logits, targets, F::CrossEntropyFuncOptions().label_smoothing(config_.smoothing));
    case LossKind::Coupling: {
      const torch::Tensor ce_margin =
          F::cross_entropy(margin_logits(logits, targets), targets, F::CrossEntropyFuncOptions().reduction(torch::kNone));
      const torch::Tensor q = torch::exp(-ce_margin);
      const torch::Tensor focal_ldam = (torch::pow(1 - q, config_.gamma) * ce_margin).mean();
      // On the scaled logits, like the margin term (with a cosine head the raw logits are cosines).
      const torch::Tensor correction = F::cross_entropy(config_.s * logits + log_counts_.to(device), targets);
      return focal_ldam + config_.lambda * correction;
    }
  }
  throw std::logic_error("unhandled loss kind");
}

}  // namespace mexa::engine
