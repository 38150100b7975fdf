#include "mexa/engine/metrics.h"

#include <algorithm>

#include <stdexcept>
#include <string>

namespace mexa::engine {

int predicted_class(const std::vector<float>& scores) {
  return static_cast<int>(std::max_element(scores.begin(), scores.end()) - scores.begin());
}

ClassificationReport classification_report(const std::vector<int>& labels, const std::vector<int>& predictions,
                                           int num_classes) {
  if (labels.size() != predictions.size())
    throw std::invalid_argument("labels and predictions differ in length (" + std::to_string(labels.size()) + " vs " +
                                std::to_string(predictions.size()) + ")");
  if (num_classes < 1) throw std::invalid_argument("need at least one class");
  const auto c = static_cast<size_t>(num_classes);
  ClassificationReport r;
  r.confusion.assign(c, std::vector<int64_t>(c, 0));
  for (size_t i = 0; i < labels.size(); ++i) {
    if (labels[i] < 0 || labels[i] >= num_classes || predictions[i] < 0 || predictions[i] >= num_classes)
      throw std::invalid_argument("class index out of range at sample " + std::to_string(i));
    ++r.confusion[static_cast<size_t>(labels[i])][static_cast<size_t>(predictions[i])];
  }
  int64_t correct = 0;
  r.precision.assign(c, 0);
  r.recall.assign(c, 0);
  r.f1.assign(c, 0);
  r.support.assign(c, 0);
  for (size_t k = 0; k < c; ++k) {
    const int64_t tp = r.confusion[k][k];
    int64_t fn = 0, fp = 0;
    for (size_t j = 0; j < c; ++j) {
      if (j == k) continue;
      fn += r.confusion[k][j];
      fp += r.confusion[j][k];
    }
    correct += tp;
    r.support[k] = tp + fn;
    r.precision[k] = tp + fp > 0 ? static_cast<double>(tp) / static_cast<double>(tp + fp) : 0.0;
    r.recall[k] = tp + fn > 0 ? static_cast<double>(tp) / static_cast<double>(tp + fn) : 0.0;
    r.f1[k] = 2 * tp + fp + fn > 0 ? 2.0 * static_cast<double>(tp) / static_cast<double>(2 * tp + fp + fn) : 0.0;
    r.uf1 += r.f1[k] / static_cast<double>(c);
    r.uar += r.recall[k] / static_cast<double>(c);
  }
  r.acc = labels.empty() ? 0.0 : static_cast<double>(correct) / static_cast<double>(labels.size());
  return r;
}

AuReport au_report(const std::vector<std::vector<int>>& truth, const std::vector<std::vector<int>>& predicted,
                   int num_aus) {
  if (truth.size() != predicted.size()) throw std::invalid_argument("AU truth and predictions differ in length");
  std::vector<int64_t> tp(static_cast<size_t>(num_aus)), fp(tp), fn(tp);
  for (size_t i = 0; i < truth.size(); ++i) {
    std::vector<char> t(static_cast<size_t>(num_aus)), p(t);
    for (int a : truth[i]) t.at(static_cast<size_t>(a)) = 1;
    for (int a : predicted[i]) p.at(static_cast<size_t>(a)) = 1;
    for (size_t a = 0; a < t.size(); ++a) {
      tp[a] += t[a] && p[a];
      fp[a] += !t[a] && p[a];
      fn[a] += t[a] && !p[a];
    }
  }
  AuReport r;
  double sum = 0;
  int counted = 0;
  for (size_t a = 0; a < tp.size(); ++a) {
    r.support.push_back(tp[a] + fn[a]);
    if (tp[a] + fn[a] == 0) {
      r.f1.push_back(-1);
      continue;
    }
    r.f1.push_back(2.0 * static_cast<double>(tp[a]) / static_cast<double>(2 * tp[a] + fp[a] + fn[a]));
    sum += r.f1.back();
    ++counted;
  }
  if (counted > 0) r.macro_f1 = sum / counted;
  return r;
}

}  // namespace mexa::engine
