// Classification results as JSON (MEGC metrics, per class, confusion), as a
// text table and as per-clip prediction CSVs: shared by training runs and
// `mexa eval`.
#pragma once

#include <nlohmann/json.hpp>

#include <map>
#include <string>
#include <vector>

#include "mexa/engine/metrics.h"

namespace mexa::training {

using engine::predicted_class;

/// One clip's prediction, as the prediction CSVs hold it.
struct PredictionRow {
  std::string id, subject;
  std::string fold;  ///< `mexa train` only
  int label = -1, pred = -1;
  std::vector<float> probs;
};

/// "id,subject[,fold],label,pred,p_<class>..." (probabilities to 6 decimals).
std::string predictions_csv(const std::vector<PredictionRow>& rows, const std::vector<std::string>& classes,
                            bool with_fold);
/// Index of class `name` in `classes`; DataError naming `file` when it is not one.
int class_index(const std::vector<std::string>& classes, const std::string& name, const std::string& file);

/// MEGC metrics of the rows' labels and predictions.
engine::ClassificationReport report_of(const std::vector<PredictionRow>& rows, int num_classes);

/// {"acc", "uf1", "uar", "n", "classes", "per_class": {name: {precision, recall, f1, support}}, "confusion"}
nlohmann::json report_json(const engine::ClassificationReport& report, const std::vector<std::string>& classes);
/// {dataset: {n, acc, uf1, uar}}: the pooled rows cut by dataset, as MEGC papers print them.
nlohmann::json per_dataset_json(const std::map<std::string, std::vector<PredictionRow>>& by_dataset, int num_classes);

/// "clips N  ACC a  UF1 f  UAR r" and a line per class (precision, recall, f1, support).
std::string report_text(const engine::ClassificationReport& report, const std::vector<std::string>& classes);

}  // namespace mexa::training
