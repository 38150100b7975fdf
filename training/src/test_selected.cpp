#include "mexa/training/test_selected.h"

#include <algorithm>
#include <filesystem>
#include <map>
#include <sstream>

#include "mexa/io/csv.h"
#include "mexa/io/errors.h"
#include "mexa/training/predictions.h"

namespace mexa::training {

namespace fs = std::filesystem;

std::string test_by_epoch_csv(const std::vector<engine::EpochRecord>& history, const std::vector<int64_t>& test,
                              const io::Manifest& manifest, const std::vector<int>& labels,
                              const std::vector<std::string>& classes) {
  std::string out = "epoch,id,subject,label,predicted\n";
  for (const auto& record : history) {
    if (record.watched.size() != test.size()) continue;  // not watched (an epoch before the flag was given)
    for (size_t t = 0; t < test.size(); ++t) {
      const auto& row = manifest.rows[static_cast<size_t>(test[t])];
      const int label = labels[static_cast<size_t>(test[t])];
      out += std::to_string(record.epoch) + "," + io::csv_escape(row.id) + "," + io::csv_escape(row.subject) + "," +
             (label >= 0 ? io::csv_escape(classes[static_cast<size_t>(label)]) : "") + "," +
             io::csv_escape(classes[static_cast<size_t>(record.watched[t])]) + "\n";
    }
  }
  return out;
}

namespace {

struct Watched {
  std::string id, subject, dataset;
  int label = -1;
  std::map<int, int> predicted;  ///< epoch -> class
};

/// One fold's file, its clips appended to `clips` (by id).
void read_fold(const fs::path& path, const RunDescription& run,
               const std::map<std::string, const io::ManifestRow*>& rows, std::map<std::string, Watched>& clips) {
  const auto table = io::read_csv_file(path.string());
  for (size_t r = 1; r < table.size(); ++r) {
    const auto& f = table[r].fields;
    const std::string where = "line " + std::to_string(table[r].line);
    if (f.size() != 5) throw DataError(path.string(), where + " has the wrong width");
    const auto row = rows.find(f[1]);
    if (row == rows.end()) throw DataError(path.string(), where + ": clip '" + f[1] + "' is not in the manifest");
    int epoch = 0;
    if (!(std::istringstream(f[0]) >> epoch) || epoch < 1) throw DataError(path.string(), where + ": bad epoch '" + f[0] + "'");
    auto& clip = clips[f[1]];
    clip.id = f[1];
    clip.subject = f[2];
    clip.label = f[3].empty() ? -1 : class_index(run.classes, f[3], path.string());
    const auto dataset = row->second->extra.find("dataset");
    if (dataset != row->second->extra.end()) clip.dataset = dataset->second;
    clip.predicted[epoch] = class_index(run.classes, f[4], path.string());
  }
}

}  // namespace

std::optional<nlohmann::json> test_selected_summary(const RunDescription& run) {
  std::map<std::string, const io::ManifestRow*> rows;
  for (const auto& row : run.manifest->rows) rows[row.id] = &row;
  std::map<std::string, Watched> clips;
  for (const auto& fold : run.folds) {
    const fs::path path = run.dir / "folds" / fold.name / "test_by_epoch.csv";
    if (!fs::exists(path)) return std::nullopt;
    read_fold(path, run, rows, clips);
  }
  std::map<std::string, std::vector<const Watched*>> by_subject;
  for (const auto& [id, clip] : clips)
    if (clip.label >= 0) by_subject[clip.subject].push_back(&clip);

  const int num_classes = static_cast<int>(run.classes.size());
  std::vector<PredictionRow> pooled;
  std::map<std::string, std::vector<PredictionRow>> by_dataset;
  nlohmann::json subjects = nlohmann::json::array();
  for (const auto& [subject, members] : by_subject) {
    std::map<int, int> correct;  // epoch -> clips right; epochs every member was predicted in
    for (const auto& [epoch, p] : members.front()->predicted) correct[epoch] = 0;
    for (const Watched* clip : members)
      for (auto it = correct.begin(); it != correct.end();) {
        const auto p = clip->predicted.find(it->first);
        if (p == clip->predicted.end()) {
          it = correct.erase(it);
          continue;
        }
        it->second += p->second == clip->label;
        ++it;
      }
    if (correct.empty()) continue;
    int best_epoch = 0, best = -1;
    for (const auto& [epoch, n] : correct)
      if (n >= best) best = n, best_epoch = epoch;  // ascending epochs: ties go to the latest
    subjects.push_back({{"subject", subject}, {"epoch", best_epoch}, {"n", members.size()}, {"correct", best}});
    for (const Watched* clip : members) {
      PredictionRow row{clip->id, subject, "", clip->label, clip->predicted.at(best_epoch), {}};
      pooled.push_back(row);
      if (!clip->dataset.empty()) by_dataset[clip->dataset].push_back(row);
    }
  }
  const auto report = report_of(pooled, num_classes);
  nlohmann::json out = {
      {"note", "optimistic: per test subject the epoch with the best test accuracy (ties: the latest), chosen by "
               "looking at the test labels as published micro-expression code does; for comparison with published "
               "tables only"},
      {"n", pooled.size()},
      {"acc", report.acc},
      {"uf1", report.uf1},
      {"uar", report.uar},
      {"subjects", subjects}};
  if (!by_dataset.empty()) out["per_dataset"] = per_dataset_json(by_dataset, num_classes);
  return out;
}

}  // namespace mexa::training
