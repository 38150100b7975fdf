#include "scn_guard.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <map>

namespace mexa::engine {
namespace {

std::vector<double> softmax(const std::vector<float>& logits, double scale) {
  std::vector<double> p(logits.size());
  const double top = *std::max_element(logits.begin(), logits.end()) * scale;
  double sum = 0;
  for (size_t c = 0; c < p.size(); ++c) sum += p[c] = std::exp(logits[c] * scale - top);
  for (double& v : p) v /= sum;
  return p;
}

/// The scale in [0.25, 512] (log grid) with the lowest calibration error.
double calibrated_scale(const std::vector<ScnEpochClip>& clips) {
  double best = 1, best_ece = 2;
  for (int k = 0; k <= 44; ++k) {
    const double scale = 0.25 * std::pow(2.0, k / 4.0);
    const double ece = expected_calibration_error(clips, scale);
    if (ece < best_ece) best_ece = ece, best = scale;
  }
  return best;
}

}  // namespace

double expected_calibration_error(const std::vector<ScnEpochClip>& clips, double scale) {
  constexpr int kBins = 15;
  std::array<double, kBins> confidence{}, correct{}, count{};
  for (const auto& c : clips) {
    const auto p = softmax(c.logits, scale);
    const auto top = std::max_element(p.begin(), p.end());
    const int bin = std::min(kBins - 1, static_cast<int>(*top * kBins));
    confidence[bin] += *top;
    correct[bin] += (top - p.begin()) == c.current ? 1 : 0;
    count[bin] += 1;
  }
  double ece = 0;
  for (int b = 0; b < kBins; ++b)
    if (count[b] > 0) ece += std::abs(confidence[b] - correct[b]) / static_cast<double>(clips.size());
  return ece;
}

ScnPlan plan_relabels(const std::vector<ScnEpochClip>& clips, const std::vector<int64_t>& class_counts,
                      const ScnGuard& guard) {
  ScnPlan plan;
  if (clips.empty()) return plan;
  plan.scale = guard.cosine_head ? calibrated_scale(clips) : 1.0;
  // The low-importance group: below the (1 - ratio) quantile of this epoch's weights.
  std::vector<float> weights;
  for (const auto& c : clips) weights.push_back(c.importance);
  std::sort(weights.begin(), weights.end());
  const auto low_count = static_cast<size_t>((1 - guard.ratio) * static_cast<double>(weights.size()));
  const float cut = low_count == 0 ? -INFINITY : weights[low_count - 1];

  struct Candidate {
    size_t clip;
    int to;
    double margin;
  };
  std::map<int, std::vector<Candidate>> leaving;  // by original class
  for (size_t k = 0; k < clips.size(); ++k) {
    const ScnEpochClip& c = clips[k];
    const auto p = softmax(c.logits, plan.scale);
    const int top = static_cast<int>(std::max_element(p.begin(), p.end()) - p.begin());
    const double margin = p[static_cast<size_t>(top)] - p[static_cast<size_t>(c.original)];
    if (c.current != c.original) {
      // Relabelled before: kept only while the model still prefers the new label by delta.
      const double keep = p[static_cast<size_t>(c.current)] - p[static_cast<size_t>(c.original)];
      if (!(top == c.current && keep > guard.delta)) plan.changes.push_back({c.index, c.current, c.original});
      continue;
    }
    if (c.importance <= cut && top != c.original && margin > guard.delta)
      leaving[c.original].push_back({k, top, margin});
  }
  for (auto& [cls, list] : leaving) {
    const int64_t n = cls < static_cast<int>(class_counts.size()) ? class_counts[static_cast<size_t>(cls)] : 0;
    const auto cap = static_cast<size_t>(std::floor(guard.class_cap * static_cast<double>(n)));
    std::stable_sort(list.begin(), list.end(), [](const Candidate& a, const Candidate& b) { return a.margin > b.margin; });
    if (list.size() > cap) list.resize(cap);
    for (const Candidate& c : list) plan.changes.push_back({clips[c.clip].index, clips[c.clip].original, c.to});
  }
  std::sort(plan.changes.begin(), plan.changes.end(),
            [](const ScnChange& a, const ScnChange& b) { return a.index < b.index; });
  return plan;
}

}  // namespace mexa::engine
