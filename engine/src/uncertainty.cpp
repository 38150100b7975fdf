#include "mexa/engine/uncertainty.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numbers>
#include <stdexcept>

#include "mexa/enum_names.h"

namespace mexa::engine {

static const EnumNames<PhaseCurve>& phase_curve_names() {
  static const EnumNames<PhaseCurve> names(
      "--phase-curve", {{PhaseCurve::Parabolic, "parabolic"}, {PhaseCurve::Linear, "linear"}, {PhaseCurve::Cosine, "cosine"}});
  return names;
}

PhaseCurve parse_phase_curve(const std::string& name) { return phase_curve_names().parse(name); }
std::string phase_curve_name(PhaseCurve curve) { return phase_curve_names().name(curve); }

torch::Tensor flip_clips(const torch::Tensor& x, bool flow) {
  torch::Tensor out = x.flip({-1});
  if (flow) {
    out = out.clone();
    out.select(1, 0).neg_();
  }
  return out;
}

torch::Tensor random_erase(const torch::Tensor& x, double p, double min_area, double max_area) {
  torch::Tensor out = x.clone();
  const int64_t h = x.size(-2), w = x.size(-1);
  const double log_lo = std::log(0.3), log_hi = std::log(3.3);
  auto uniform = [](double lo, double hi) { return lo + (hi - lo) * torch::rand({1}, torch::kFloat64).item<double>(); };
  for (int64_t b = 0; b < x.size(0); ++b) {
    if (uniform(0, 1) >= p) continue;
    for (int attempt = 0; attempt < 10; ++attempt) {  // torchvision's rejection loop
      const double area = uniform(min_area, max_area) * static_cast<double>(h * w);
      const double ratio = std::exp(uniform(log_lo, log_hi));
      const auto eh = static_cast<int64_t>(std::lround(std::sqrt(area * ratio)));
      const auto ew = static_cast<int64_t>(std::lround(std::sqrt(area / ratio)));
      if (eh < 1 || ew < 1 || eh >= h || ew >= w) continue;
      const auto top = static_cast<int64_t>(uniform(0, static_cast<double>(h - eh + 1)));
      const auto left = static_cast<int64_t>(uniform(0, static_cast<double>(w - ew + 1)));
      using torch::indexing::Slice;
      out.index_put_({b, Slice(), Slice(), Slice(top, top + eh), Slice(left, left + ew)}, 0);
      break;
    }
  }
  return out;
}

torch::Tensor attention_consistency(const torch::Tensor& cams, const torch::Tensor& cams_of_flipped) {
  return torch::mse_loss(cams, cams_of_flipped.flip({-1}));
}

torch::Tensor rul_mix(const torch::Tensor& mu, const torch::Tensor& logvar, const torch::Tensor& partner) {
  const torch::Tensor u = logvar.exp().mean(1, /*keepdim=*/true);  // [B, 1]
  const torch::Tensor uj = u.index_select(0, partner);
  const torch::Tensor total = u + uj;
  return u / total * mu + uj / total * mu.index_select(0, partner);
}

torch::Tensor scn_rank_loss(const torch::Tensor& alpha, double ratio, double margin) {
  const int64_t b = alpha.numel();
  if (b < 2) return torch::zeros({}, alpha.options());
  const int64_t high = std::clamp<int64_t>(static_cast<int64_t>(ratio * static_cast<double>(b)), 1, b - 1);
  const torch::Tensor sorted = std::get<0>(alpha.flatten().sort(/*dim=*/0, /*descending=*/true));
  const torch::Tensor gap = sorted.slice(0, 0, high).mean() - sorted.slice(0, high).mean();
  return torch::clamp_min(margin - gap, 0.0);
}

torch::Tensor candidate_loss(const torch::Tensor& logits, const torch::Tensor& mask) {
  const torch::Tensor log_p = torch::log_softmax(logits, 1);
  const torch::Tensor masked = log_p.masked_fill(mask.to(torch::kBool).logical_not(), -std::numeric_limits<float>::infinity());
  return -torch::logsumexp(masked, 1).mean();
}

torch::Tensor au_loss(const torch::Tensor& logits, const torch::Tensor& targets, const torch::Tensor& annotated) {
  if (!annotated.defined()) return torch::binary_cross_entropy_with_logits(logits, targets);
  const torch::Tensor per = torch::binary_cross_entropy_with_logits(logits, targets, {}, {}, at::Reduction::None);
  const torch::Tensor rows = annotated.to(per.dtype()).view({-1, 1});
  return (per * rows).sum() / (rows.sum().clamp_min(1) * per.size(1));
}

double phase_alpha(const UncertaintyConfig& c, int epoch) {
  if (!c.phased() || epoch < c.phase2_epoch) return 1.0;
  if (epoch >= c.phase3_epoch) return 0.0;
  const double s = static_cast<double>(epoch - c.phase2_epoch + 1) / (c.phase3_epoch - c.phase2_epoch + 1);
  switch (c.phase_curve) {
    case PhaseCurve::Parabolic: return 1 - s * s;
    case PhaseCurve::Linear: return 1 - s;
    case PhaseCurve::Cosine: return (1 + std::cos(std::numbers::pi * s)) / 2;
  }
  return 1.0;
}

}  // namespace mexa::engine
