// What `mexa train` trains towards and evaluates against, from the manifest:
// labels, candidate sets and AU targets for the trainer (engine::TrainTargets),
// the labels test folds are scored against (--eval-label), and the AU head's
// test predictions (folds/NAME/test_aus.csv, aus.csv) with their macro F1.
#pragma once

#include <nlohmann/json.hpp>

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "mexa/engine/trainer.h"
#include "mexa/io/manifest.h"

namespace mexa::training {

/// The AU head's vocabulary: every AU of the manifest's `aus` column, as
/// "AU<n>" in number order. Throws DataError naming file and line for an
/// unknown spelling, and when no row has an AU.
std::vector<std::string> au_vocabulary(const io::Manifest& manifest);

/// Targets for engine::fit: labels, candidate sets (rows written "a|b"), AU
/// indices into `au_names` and whether they are annotated (none when
/// `au_names` is empty). The AU vocabulary comes from the whole
/// manifest: an AU only test subjects show is never a positive in training.
engine::TrainTargets train_targets(const io::Manifest& manifest, const std::vector<std::string>& au_names);

/// Whether --eval-label `column` names the training label itself ("emotion", any case).
bool evaluates_training_label(const std::string& column);

/// The label each row is evaluated against: "emotion" (the training label)
/// or another column naming a class (e.g. synth's true_emotion). Throws
/// DataError naming the file (and line) for a missing column or an unknown class.
std::vector<int> evaluation_labels(const io::Manifest& manifest, const std::string& column,
                                   const io::ManifestOptions& options);

/// folds/NAME/relabelled.csv (SCN): "id,label,relabelled_to,epoch", a row per relabelled training clip.
std::string relabelled_csv(const std::vector<engine::Relabel>& relabelled, const io::Manifest& manifest,
                           const std::vector<std::string>& classes);

/// One test clip's AUs: the manifest's and the head's (probability >= 0.5).
struct AuPrediction {
  std::string id;
  std::vector<int> truth, predicted;
};
/// The AU head's verdict on test clip `index` (AUs with probability >= 0.5),
/// or nothing when the clip's AUs are not annotated (left out of the AU F1).
std::optional<AuPrediction> au_prediction(const engine::TrainTargets& targets, int64_t index, const std::string& id,
                                          const std::vector<float>& au_probs);
/// "id,aus,predicted_aus" with AU names joined by '+'.
std::string au_predictions_csv(const std::vector<AuPrediction>& rows, const std::vector<std::string>& au_names);
/// au_predictions_csv() read back (resume); throws DataError naming the file.
std::vector<AuPrediction> read_au_predictions(const std::string& path, const std::vector<std::string>& au_names);
/// {"macro_f1", "clips", "per_au": {name: {f1, support}}}.
nlohmann::json au_json(const std::vector<AuPrediction>& rows, const std::vector<std::string>& au_names);

}  // namespace mexa::training
