#include "mexa/training/predictions.h"

#include <spdlog/fmt/fmt.h>

#include <algorithm>
#include <cstdio>
#include <numeric>

#include "mexa/io/csv.h"
#include "mexa/io/errors.h"

namespace mexa::training {

std::string predictions_csv(const std::vector<PredictionRow>& rows, const std::vector<std::string>& classes,
                            bool with_fold) {
  std::string text = with_fold ? "id,subject,fold,label,pred" : "id,subject,label,pred";
  for (const auto& c : classes) text += ",p_" + c;
  text += "\n";
  for (const auto& r : rows) {
    text += io::csv_escape(r.id) + "," + io::csv_escape(r.subject) + ",";
    if (with_fold) text += r.fold + ",";
    text += classes[static_cast<size_t>(r.label)] + "," + classes[static_cast<size_t>(r.pred)];
    for (float p : r.probs) text += fmt::format(",{:.6f}", p);
    text += "\n";
  }
  return text;
}

engine::ClassificationReport report_of(const std::vector<PredictionRow>& rows, int num_classes) {
  std::vector<int> labels, predictions;
  for (const auto& r : rows) {
    labels.push_back(r.label);
    predictions.push_back(r.pred);
  }
  return engine::classification_report(labels, predictions, num_classes);
}

nlohmann::json report_json(const engine::ClassificationReport& r, const std::vector<std::string>& classes) {
  nlohmann::json per_class = nlohmann::json::object();
  for (size_t c = 0; c < classes.size(); ++c)
    per_class[classes[c]] = {{"precision", r.precision[c]}, {"recall", r.recall[c]}, {"f1", r.f1[c]}, {"support", r.support[c]}};
  return {{"acc", r.acc},
          {"uf1", r.uf1},
          {"uar", r.uar},
          {"n", std::accumulate(r.support.begin(), r.support.end(), int64_t{0})},
          {"classes", classes},
          {"per_class", per_class},
          {"confusion", r.confusion}};
}

int class_index(const std::vector<std::string>& classes, const std::string& name, const std::string& file) {
  const auto it = std::find(classes.begin(), classes.end(), name);
  if (it == classes.end()) throw DataError(file, "unknown class '" + name + "'");
  return static_cast<int>(it - classes.begin());
}

nlohmann::json per_dataset_json(const std::map<std::string, std::vector<PredictionRow>>& by_dataset, int num_classes) {
  nlohmann::json out = nlohmann::json::object();
  for (const auto& [name, rows] : by_dataset) {
    const auto d = report_of(rows, num_classes);
    out[name] = {{"n", rows.size()}, {"acc", d.acc}, {"uf1", d.uf1}, {"uar", d.uar}};
  }
  return out;
}

std::string report_text(const engine::ClassificationReport& r, const std::vector<std::string>& classes) {
  const auto n = std::accumulate(r.support.begin(), r.support.end(), int64_t{0});
  std::string out = fmt::format("clips {}  ACC {:.4f}  UF1 {:.4f}  UAR {:.4f}\n", n, r.acc, r.uf1, r.uar);
  out += fmt::format("  {:<12} {:>9} {:>9} {:>9} {:>8}\n", "class", "precision", "recall", "f1", "support");
  for (size_t c = 0; c < classes.size(); ++c)
    out += fmt::format("  {:<12} {:>9.4f} {:>9.4f} {:>9.4f} {:>8}\n", classes[c], r.precision[c], r.recall[c], r.f1[c],
                       r.support[c]);
  return out;
}

}  // namespace mexa::training
