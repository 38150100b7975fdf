#include "mexa/training/pool.h"

#include <spdlog/fmt/fmt.h>

#include <algorithm>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "mexa/io/csv.h"
#include "mexa/io/errors.h"
#include "mexa/training/predictions.h"
#include "mexa/training/relabel_audit.h"
#include "mexa/training/test_selected.h"
#include "mexa/training/run_files.h"
#include "mexa/training/targets.h"

namespace mexa::training {

namespace fs = std::filesystem;

namespace {

fs::path fold_dir(const RunDescription& run, const engine::Fold& fold) { return run.dir / "folds" / fold.name; }

std::map<std::string, int64_t> index_of_id(const io::Manifest& manifest) {
  std::map<std::string, int64_t> out;
  for (size_t i = 0; i < manifest.rows.size(); ++i) out[manifest.rows[i].id] = static_cast<int64_t>(i);
  return out;
}

int read_best_epoch(const fs::path& dir) {
  const fs::path path = dir / "fold.json";
  if (!fs::exists(path)) return 0;  // a fold finished by an older mexa
  try {
    return nlohmann::json::parse(io::read_text_file(path.string())).value("best_epoch", 0);
  } catch (const nlohmann::json::exception& e) {
    throw DataError(path.string(), std::string("not a fold record: ") + e.what());
  }
}

}  // namespace

std::vector<std::string> unfinished_folds(const RunDescription& run) {
  std::vector<std::string> out;
  for (const auto& fold : run.folds)
    if (!fs::exists(fold_dir(run, fold) / "test_predictions.csv")) out.push_back(fold.name);
  return out;
}

std::vector<size_t> folds_of_shard(size_t folds, const pipeline::Shard& s) {
  std::vector<size_t> out;
  for (size_t f = 0; f < folds; ++f)
    if (f % static_cast<size_t>(s.count) == static_cast<size_t>(s.index)) out.push_back(f);
  return out;
}

void write_fold_record(const fs::path& dir, int best_epoch) {
  io::write_text_file((dir / "fold.json").string(), nlohmann::json{{"best_epoch", best_epoch}}.dump() + "\n");
}

std::map<int64_t, std::string> read_failures(const fs::path& path, const io::Manifest& manifest) {
  std::map<int64_t, std::string> out;
  if (!fs::exists(path)) throw DataError(path.string(), "missing: the run's clips were never prepared");
  const auto ids = index_of_id(manifest);
  const auto table = io::read_csv_file(path.string());
  for (size_t r = 1; r < table.size(); ++r) {
    const auto& f = table[r].fields;
    if (f.size() != 3) throw DataError(path.string(), "line " + std::to_string(table[r].line) + " has the wrong width");
    const auto it = ids.find(f[0]);
    if (it == ids.end()) throw DataError(path.string(), "clip '" + f[0] + "' is not in the manifest");
    out[it->second] = f[2];
  }
  return out;
}

namespace {

std::string dataset_lines(const nlohmann::json& per_dataset) {
  std::string out;
  for (const auto& [name, d] : per_dataset.items())
    out += fmt::format("  {:<12} n {:>4}  ACC {:.4f}  UF1 {:.4f}  UAR {:.4f}\n", name, d["n"].get<int>(),
                       d["acc"].get<double>(), d["uf1"].get<double>(), d["uar"].get<double>());
  return out;
}

/// What `mexa train` prints once the folds are pooled.
std::string pooled_text(const RunDescription& run, const engine::ClassificationReport& report,
                        const nlohmann::json& summary) {
  std::string out = fmt::format("{}: {} over {} folds (test predictions pooled)\n", run.dir.string(), run.protocol,
                                run.folds.size());
  if (run.eval_label != "emotion") out += fmt::format("scored against the {} column\n", run.eval_label);
  out += report_text(report, run.classes);
  if (summary.contains("per_dataset")) out += dataset_lines(summary["per_dataset"]);
  if (summary.contains("test_selected")) {
    const auto& t = summary["test_selected"];
    out += fmt::format("test-selected (optimistic: each test subject's best epoch, chosen on its test labels; for "
                       "comparison with published tables only): ACC {:.4f}  UF1 {:.4f}  UAR {:.4f}\n",
                       t["acc"].get<double>(), t["uf1"].get<double>(), t["uar"].get<double>());
    if (t.contains("per_dataset")) out += dataset_lines(t["per_dataset"]);
  }
  if (!run.au_names.empty()) {
    const auto& m = summary["aus"]["macro_f1"];
    out += fmt::format("AU macro F1 {} over {} AUs (aus.csv)\n", m.is_null() ? "n/a" : fmt::format("{:.4f}", m.get<double>()),
                       run.au_names.size());
  }
  return out;
}

}  // namespace

PooledRun write_pooled_run(const RunDescription& run) {
  const auto& manifest = *run.manifest;
  const auto ids = index_of_id(manifest);
  const bool au_head = !run.au_names.empty();
  const int num_classes = static_cast<int>(run.classes.size());
  IndexedPredictions pooled;
  std::vector<AuPrediction> pooled_aus;
  nlohmann::json per_fold = nlohmann::json::array();
  std::vector<std::pair<std::string, RelabelAudit>> audits;
  std::string truth;
  for (const auto& fold : run.folds) {
    const fs::path dir = fold_dir(run, fold);
    if (fs::exists(dir / "audit.json")) {
      const auto j = nlohmann::json::parse(io::read_text_file((dir / "audit.json").string()));
      audits.emplace_back(fold.name, audit_from_json(j, run.classes));
      truth = j.value("truth", "");
    }
    const auto predictions = read_fold_predictions((dir / "test_predictions.csv").string(), ids, run.classes);
    std::vector<AuPrediction> aus;
    if (au_head && fs::exists(dir / "test_aus.csv")) aus = read_au_predictions((dir / "test_aus.csv").string(), run.au_names);
    const auto r = report_of(rows_of(predictions), num_classes);
    per_fold.push_back({{"fold", fold.name}, {"n", predictions.size()}, {"acc", r.acc}, {"uf1", r.uf1}, {"uar", r.uar},
                        {"train", fold.train.size()}, {"val", fold.val.size()}, {"best_epoch", read_best_epoch(dir)}});
    if (au_head) per_fold.back()["au_macro_f1"] = au_json(aus, run.au_names)["macro_f1"];
    pooled.insert(pooled.end(), predictions.begin(), predictions.end());
    pooled_aus.insert(pooled_aus.end(), aus.begin(), aus.end());
  }

  // MEGC: one score from every test prediction.
  std::sort(pooled.begin(), pooled.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  const auto report = report_of(rows_of(pooled), num_classes);
  auto summary = report_json(report, run.classes);
  summary["protocol"] = run.protocol;
  summary["folds"] = per_fold;
  summary["model"] = run.model;
  summary["loss"] = run.loss;
  summary["seed"] = run.seed;
  summary["eval_label"] = run.eval_label;
  if (au_head) {
    summary["aus"] = au_json(pooled_aus, run.au_names);
    std::sort(pooled_aus.begin(), pooled_aus.end(), [](const auto& a, const auto& b) { return a.id < b.id; });
    io::write_text_file((run.dir / "aus.csv").string(), au_predictions_csv(pooled_aus, run.au_names));
  }
  // A composite manifest (mexa dataset composite): the pooled metrics per dataset too, as MEGC papers print them.
  std::map<std::string, std::vector<PredictionRow>> by_dataset;
  for (const auto& [index, row] : pooled) {
    const auto& extra = manifest.rows[static_cast<size_t>(index)].extra;
    if (const auto it = extra.find("dataset"); it != extra.end()) by_dataset[it->second].push_back(row);
  }
  if (!by_dataset.empty()) summary["per_dataset"] = per_dataset_json(by_dataset, num_classes);
  const auto test_selected = test_selected_summary(run);
  if (test_selected) summary["test_selected"] = *test_selected;
  summary["failed"] = nlohmann::json::array();
  for (const auto& [index, message] : run.failures)
    summary["failed"].push_back({{"id", manifest.rows[static_cast<size_t>(index)].id}, {"error", message}});
  io::write_text_file((run.dir / "predictions.csv").string(),
                      predictions_csv(rows_of(pooled), run.classes, /*with_fold=*/true));
  io::write_text_file((run.dir / "summary.json").string(), summary.dump(2) + "\n");
  if (!audits.empty())
    io::write_text_file((run.dir / "audit.json").string(), audit_json(audits, run.classes, truth).dump(2) + "\n");

  return {summary, pooled_text(run, report, summary)};
}

}  // namespace mexa::training
