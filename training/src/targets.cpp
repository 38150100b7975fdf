#include "mexa/training/targets.h"

#include <algorithm>
#include <set>
#include <stdexcept>

#include "mexa/engine/metrics.h"
#include "mexa/io/action_units.h"
#include "mexa/io/csv.h"
#include "mexa/io/errors.h"

namespace mexa::training {
namespace {

std::vector<int> row_aus(const io::Manifest& manifest, const io::ManifestRow& row) {
  try {
    return io::parse_action_units(row.aus);
  } catch (const std::invalid_argument& e) {
    throw DataError(manifest.file, "line " + std::to_string(row.line) + ": " + e.what() + " in the aus column ('" +
                                       row.aus + "')");
  }
}

int au_index(const std::vector<std::string>& au_names, const std::string& name) {
  const auto it = std::find(au_names.begin(), au_names.end(), name);
  return it == au_names.end() ? -1 : static_cast<int>(it - au_names.begin());
}

std::string join_aus(const std::vector<int>& aus, const std::vector<std::string>& au_names) {
  std::string out;
  for (int a : aus) out += (out.empty() ? "" : "+") + au_names.at(static_cast<size_t>(a));
  return out;
}

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

}  // namespace

std::vector<std::string> au_vocabulary(const io::Manifest& manifest) {
  std::set<int> all;
  for (const auto& row : manifest.rows)
    for (int a : row_aus(manifest, row)) all.insert(a);
  if (all.empty()) throw DataError(manifest.file, "--au-head: no row has action units in an aus column");
  std::vector<std::string> names;
  for (int a : all) names.push_back(io::action_unit_name(a));
  return names;
}

engine::TrainTargets train_targets(const io::Manifest& manifest, const std::vector<std::string>& au_names) {
  engine::TrainTargets t;
  for (const auto& row : manifest.rows) {
    t.labels.push_back(row.label);
    t.candidates.push_back(row.candidates);
    std::vector<int> aus;
    if (!au_names.empty())
      for (int a : row_aus(manifest, row)) aus.push_back(au_index(au_names, io::action_unit_name(a)));
    t.aus.push_back(std::move(aus));
    t.au_annotated.push_back(io::action_units_annotated(row.aus) ? 1 : 0);
  }
  return t;
}

bool evaluates_training_label(const std::string& column) { return lower(column) == "emotion"; }

std::vector<int> evaluation_labels(const io::Manifest& manifest, const std::string& column,
                                   const io::ManifestOptions& options) {
  std::vector<int> out;
  const std::string key = lower(column);
  for (const auto& row : manifest.rows) {
    if (evaluates_training_label(column)) {
      out.push_back(row.label);
      continue;
    }
    const auto it = row.extra.find(key);
    if (it == row.extra.end())
      throw DataError(manifest.file, "--eval-label: no column '" + column + "' (line " + std::to_string(row.line) + ")");
    const int label = io::class_index(it->second, options);
    if (label < 0)
      throw DataError(manifest.file, "line " + std::to_string(row.line) + ": --eval-label " + column + ": unknown class '" +
                                         it->second + "'");
    out.push_back(label);
  }
  return out;
}

std::string relabelled_csv(const std::vector<engine::Relabel>& relabelled, const io::Manifest& manifest,
                           const std::vector<std::string>& classes) {
  std::string csv = "id,label,relabelled_to,epoch\n";
  for (const auto& r : relabelled)
    csv += io::csv_escape(manifest.rows.at(static_cast<size_t>(r.index)).id) + "," +
           classes.at(static_cast<size_t>(r.from)) + "," + classes.at(static_cast<size_t>(r.to)) + "," +
           std::to_string(r.epoch) + "\n";
  return csv;
}

std::optional<AuPrediction> au_prediction(const engine::TrainTargets& targets, int64_t index, const std::string& id,
                                          const std::vector<float>& au_probs) {
  const auto i = static_cast<size_t>(index);
  if (i < targets.au_annotated.size() && !targets.au_annotated[i]) return std::nullopt;
  AuPrediction a{id, targets.aus.at(i), {}};
  for (size_t u = 0; u < au_probs.size(); ++u)
    if (au_probs[u] >= 0.5f) a.predicted.push_back(static_cast<int>(u));
  return a;
}

std::string au_predictions_csv(const std::vector<AuPrediction>& rows, const std::vector<std::string>& au_names) {
  std::string csv = "id,aus,predicted_aus\n";
  for (const auto& r : rows)
    csv += io::csv_escape(r.id) + "," + join_aus(r.truth, au_names) + "," + join_aus(r.predicted, au_names) + "\n";
  return csv;
}

std::vector<AuPrediction> read_au_predictions(const std::string& path, const std::vector<std::string>& au_names) {
  const auto table = io::read_csv_file(path);
  std::vector<AuPrediction> out;
  auto parse = [&](const std::string& text, int line) {
    std::vector<int> aus;
    size_t start = 0;
    while (start < text.size()) {
      const size_t plus = std::min(text.find('+', start), text.size());
      const int a = au_index(au_names, text.substr(start, plus - start));
      if (a < 0) throw DataError(path, "line " + std::to_string(line) + ": AU '" + text.substr(start, plus - start) +
                                           "' is not one of the head's");
      aus.push_back(a);
      start = plus + 1;
    }
    return aus;
  };
  for (size_t r = 1; r < table.size(); ++r) {
    const auto& f = table[r].fields;
    if (f.size() != 3) throw DataError(path, "line " + std::to_string(table[r].line) + " has the wrong width");
    out.push_back({f[0], parse(f[1], table[r].line), parse(f[2], table[r].line)});
  }
  return out;
}

nlohmann::json au_json(const std::vector<AuPrediction>& rows, const std::vector<std::string>& au_names) {
  std::vector<std::vector<int>> truth, predicted;
  for (const auto& r : rows) {
    truth.push_back(r.truth);
    predicted.push_back(r.predicted);
  }
  const auto report = engine::au_report(truth, predicted, static_cast<int>(au_names.size()));
  nlohmann::json per_au = nlohmann::json::object();
  for (size_t a = 0; a < au_names.size(); ++a)
    per_au[au_names[a]] = {{"f1", report.f1[a] < 0 ? nlohmann::json(nullptr) : nlohmann::json(report.f1[a])},
                           {"support", report.support[a]}};
  return {{"macro_f1", report.macro_f1 < 0 ? nlohmann::json(nullptr) : nlohmann::json(report.macro_f1)},
          {"clips", rows.size()},
          {"per_au", per_au}};
}

}  // namespace mexa::training
