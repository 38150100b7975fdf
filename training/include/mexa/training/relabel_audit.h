// SCN's relabelling, recorded and audited (issue 31): the per-epoch line and
// file, and — when the manifest knows each clip's true label (the
// --eval-label column, or synth's true_emotion) — how many relabels restored
// it, how many noisy clips were fixed, and how well SCN's importance ranks
// the clips whose label is wrong.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>
#include <vector>

#include "mexa/engine/trainer.h"
#include "mexa/io/manifest.h"

namespace mexa::training {

/// ", SCN: 3 relabelled (disgust->contempt 2, fear->surprise 1), 1 undone,
/// 12 now, probability scale 4.0" after a relabelling epoch; "" otherwise.
std::string relabel_summary(const engine::EpochRecord& record, const std::vector<std::string>& classes);

/// folds/NAME/relabels_by_epoch.csv: "epoch,id,from,to", one row per change
/// (an undone relabel goes back to the clip's label).
std::string relabels_by_epoch_csv(const std::vector<engine::EpochRecord>& history, const io::Manifest& manifest,
                                  const std::vector<std::string>& classes);

/// The audit's figures for one fold (or pooled over folds by adding counts).
struct RelabelAudit {
  int64_t training = 0;      ///< training clips
  int64_t noisy = 0;         ///< of them, labelled unlike their true label
  int64_t relabelled = 0;    ///< clips whose label SCN changed (at the end)
  /// Of them, now labelled with their true label. Only a noisy clip can be
  /// restored, so this is also the number of noisy clips fixed.
  int64_t restored = 0;
  int64_t broken = 0;        ///< clean clips SCN relabelled away from their (true) label
  std::vector<std::vector<int64_t>> changes;  ///< [from][to] counts of the relabels
  /// AUC of low importance for "this clip's label is wrong" (0.5: chance); -1: not measurable.
  double importance_auc = -1;
  /// AUC of high RUL uncertainty for "this clip's label is wrong"; -1: not measurable (or no --rul).
  double uncertainty_auc = -1;
  double precision() const { return relabelled ? static_cast<double>(restored) / relabelled : 0; }
  double recall() const { return noisy ? static_cast<double>(restored) / noisy : 0; }
};

/// The audit of one fold: `train` its training clips, `labels` the training
/// labels, `truth` the true labels, `relabelled` SCN's changes at the end,
/// `importance` SCN's last weights per training clip (index, weight),
/// `uncertainty` RUL's last uncertainty per training clip (index, u).
RelabelAudit audit_relabels(const std::vector<int64_t>& train, const std::vector<int>& labels,
                            const std::vector<int>& truth, const std::vector<engine::Relabel>& relabelled,
                            const std::vector<std::pair<int64_t, float>>& importance, size_t classes,
                            const std::vector<std::pair<int64_t, float>>& uncertainty = {});

/// Area under the ROC curve of `scores` for the positives (ties count half).
double roc_auc(const std::vector<double>& scores, const std::vector<char>& positive);

/// One fold's audit as folds/NAME/audit.json keeps it, and back.
nlohmann::json audit_to_json(const RelabelAudit& audit, const std::vector<std::string>& classes);
RelabelAudit audit_from_json(const nlohmann::json& json, const std::vector<std::string>& classes);

/// The run's audit.json: per fold and pooled (counts added; AUC the folds' mean).
nlohmann::json audit_json(const std::vector<std::pair<std::string, RelabelAudit>>& folds,
                          const std::vector<std::string>& classes, const std::string& truth_column);

}  // namespace mexa::training
