// run_data(): what a `mexa train` --out folder holds, as the report embeds it.
#include <algorithm>
#include <cmath>
#include <filesystem>
#include <map>

#include "mexa/io/csv.h"
#include "mexa/io/errors.h"
#include "mexa/report/report.h"

namespace mexa::report {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

/// Column `name` of a CSV's header row; -1 when absent.
int column_of(const io::CsvRecord& header, const std::string& name) {
  const auto it = std::find(header.fields.begin(), header.fields.end(), name);
  return it == header.fields.end() ? -1 : static_cast<int>(it - header.fields.begin());
}

/// A number of a CSV cell, or null (empty, unparsable, or -1: "not measured").
json number_or_null(const std::string& text) {
  try {
    size_t used = 0;
    const double v = std::stod(text, &used);
    if (used != text.size() || !std::isfinite(v) || v == -1) return nullptr;
    return v;
  } catch (const std::exception&) {
    return nullptr;
  }
}

/// metrics.csv of one fold: one array per column, by epoch.
json fold_curves(const fs::path& file) {
  const auto records = io::read_csv_file(file.string());
  json curves = json::object();
  if (records.empty()) return curves;
  const auto& header = records.front();
  for (const char* name : {"epoch", "train_loss", "train_acc", "val_uf1", "val_acc", "val_uar", "lr"}) {
    const int c = column_of(header, name);
    if (c < 0) continue;
    json values = json::array();
    for (size_t r = 1; r < records.size(); ++r)
      values.push_back(static_cast<size_t>(c) < records[r].fields.size() ? number_or_null(records[r].fields[c]) : json());
    curves[name] = values;
  }
  return curves;
}

double mean(const std::vector<double>& v) {
  double s = 0;
  for (double x : v) s += x;
  return v.empty() ? 0 : s / static_cast<double>(v.size());
}

double sample_sd(const std::vector<double>& v) {
  if (v.size() < 2) return 0;
  const double m = mean(v);
  double s = 0;
  for (double x : v) s += (x - m) * (x - m);
  return std::sqrt(s / static_cast<double>(v.size() - 1));
}

}  // namespace

json run_data_of(const std::string& dir, const ReportOptions& options);

json run_data(const std::string& dir, const ReportOptions& options) {
  try {
    return run_data_of(dir, options);
  } catch (const json::exception& e) {  // a summary.json of the wrong shape
    throw DataError((fs::path(dir) / "summary.json").string(), std::string("unexpected content: ") + e.what());
  }
}

json run_data_of(const std::string& dir, const ReportOptions& options) {
  const fs::path root(dir);
  const fs::path summary_file = root / "summary.json";
  if (!fs::is_regular_file(summary_file))
    throw DataError(dir, "not a training run (no summary.json; `mexa train --out` writes one)");
  json summary;
  try {
    summary = json::parse(io::read_text_file(summary_file.string()));
  } catch (const json::exception& e) {
    throw DataError(summary_file.string(), std::string("not valid JSON: ") + e.what());
  }
  json out;
  out["kind"] = "run";
  out["path"] = dir;
  out["name"] = root.filename().empty() ? root.parent_path().filename().string() : root.filename().string();
  for (const char* key : {"acc", "uf1", "uar", "n", "model", "loss", "protocol", "seed", "eval_label", "classes",
                          "confusion", "per_class", "per_dataset", "test_selected"})
    if (summary.contains(key)) out[key] = summary[key];
  if (!out.contains("classes") || !out["classes"].is_array())
    throw DataError(summary_file.string(), "no class list ('classes')");

  // Folds: their metrics and per-epoch curves; the spread of the pooled metrics across folds.
  json folds = json::array();
  std::map<std::string, std::vector<double>> per_fold;
  for (const auto& fold : summary.value("folds", json::array())) {
    json f = fold;
    const std::string name = fold.value("fold", std::string());
    const fs::path metrics = root / "folds" / name / "metrics.csv";
    f["curves"] = fs::is_regular_file(metrics) ? fold_curves(metrics) : json::object();
    for (const char* key : {"acc", "uf1", "uar"})
      if (fold.contains(key) && fold[key].is_number() && fold.value("n", 0) > 0)
        per_fold[key].push_back(fold[key].get<double>());
    folds.push_back(f);
  }
  out["folds"] = folds;
  json spread = json::object();
  for (const auto& [key, values] : per_fold) spread[key] = {{"mean", mean(values)}, {"sd", sample_sd(values)}, {"folds", values.size()}};
  out["fold_spread"] = spread;

  // Class distribution of the evaluated clips (predictions.csv's labels).
  const auto classes = out["classes"].get<std::vector<std::string>>();
  std::vector<int64_t> distribution(classes.size(), 0);
  if (fs::is_regular_file(root / "predictions.csv")) {
    const auto records = io::read_csv_file((root / "predictions.csv").string());
    const int label = records.empty() ? -1 : column_of(records.front(), "label");
    for (size_t r = 1; label >= 0 && r < records.size(); ++r) {
      if (static_cast<size_t>(label) >= records[r].fields.size()) continue;  // a short row
      const auto it = std::find(classes.begin(), classes.end(), records[r].fields[static_cast<size_t>(label)]);
      if (it != classes.end()) ++distribution[static_cast<size_t>(it - classes.begin())];
    }
  }
  out["class_distribution"] = distribution;

  out["config"] = fs::is_regular_file(root / "config.ini") ? io::read_text_file((root / "config.ini").string()) : std::string();
  json failures = json::array();
  int64_t failed = 0;
  if (fs::is_regular_file(root / "failed.csv")) {
    const auto records = io::read_csv_file((root / "failed.csv").string());
    for (size_t r = 1; r < records.size(); ++r, ++failed)
      if (static_cast<int>(failures.size()) < options.max_failures) failures.push_back(records[r].fields);
  }
  out["failures"] = failures;
  out["failed"] = failed;

  // SCN's relabelling audited against the true labels (audit.json, when the manifest had them).
  const fs::path audit = root / "audit.json";
  if (fs::is_regular_file(audit)) {
    try {
      out["audit"] = json::parse(io::read_text_file(audit.string()));
    } catch (const json::exception& e) {
      throw DataError(audit.string(), std::string("not valid JSON: ") + e.what());
    }
    if (!out["audit"].contains("pooled")) throw DataError(audit.string(), "no pooled figures ('pooled')");
  }
  return out;
}

json input_data(const std::string& path, const ReportOptions& options) {
  std::error_code ec;
  if (fs::is_directory(path, ec)) return run_data(path, options);
  if (!fs::exists(path, ec)) throw DataError(path, "no such file or folder");
  return results_data(path, options);
}

}  // namespace mexa::report
