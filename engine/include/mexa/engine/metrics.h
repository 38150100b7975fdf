// Classification metrics with MEGC definitions, on pooled label/prediction
// vectors (LOSO: pool the predictions of all folds, then call once).
//   UF1 = mean over classes of 2TP / (2TP + FP + FN)   (= scikit-learn's macro F1)
//   UAR = mean over classes of TP / N_c                (= macro recall)
//   ACC = correct / total
// A class with no samples and no predictions scores F1 = 0 and recall = 0
// (scikit-learn's zero_division=0), and still counts in the mean.
// Plain C++: no LibTorch types. Thread-safe.
//
//   auto r = mexa::engine::classification_report(labels, predictions, 7);
//   printf("UF1 %.4f UAR %.4f\n", r.uf1, r.uar);
#pragma once

#include <cstdint>
#include <vector>

namespace mexa::engine {

struct ClassificationReport {
  double acc = 0, uf1 = 0, uar = 0;
  std::vector<double> precision, recall, f1;
  std::vector<int64_t> support;                 ///< true samples per class
  std::vector<std::vector<int64_t>> confusion;  ///< [true][predicted]
};

/// The class a probability (or logit) vector predicts: its argmax, the first on ties.
int predicted_class(const std::vector<float>& scores);

/// Throws std::invalid_argument when the vectors differ in length or hold a
/// class outside [0, num_classes).
ClassificationReport classification_report(const std::vector<int>& labels, const std::vector<int>& predictions,
                                           int num_classes);

/// Multi-label AU detection: F1 = 2 TP / (2 TP + FP + FN) per AU over the
/// clips, and their mean over the AUs that occur in `truth` (AUs without a
/// true occurrence are left out of the mean, as the MEGC AU papers do; -1
/// when none occurs). Clips give AU indices in [0, num_aus).
struct AuReport {
  double macro_f1 = -1;
  std::vector<double> f1;         ///< per AU (-1 without true occurrences)
  std::vector<int64_t> support;   ///< clips showing each AU
};
AuReport au_report(const std::vector<std::vector<int>>& truth, const std::vector<std::vector<int>>& predicted,
                   int num_aus);

}  // namespace mexa::engine
