#include "mexa/training/run_files.h"

#include <algorithm>
#include <fstream>
#include <iterator>
#include <sstream>

#include "mexa/io/csv.h"
#include "mexa/io/errors.h"
#include "mexa/key_values.h"

namespace mexa::training {

const std::set<std::string> kFreeOnResume{"data", "device", "workers", "threads", "cache"};

std::map<std::string, std::string> parse_settings(const std::string& text) { return parse_key_values(text); }

std::map<std::string, std::string> read_settings(const std::string& path) {
  std::ifstream in(path);
  return parse_settings({std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()});
}

void check_same_settings(const std::map<std::string, std::string>& saved, const std::map<std::string, std::string>& now,
                         const std::string& path, const std::string& who) {
  for (const auto& [name, value] : now)
    if (!kFreeOnResume.count(name) && saved.count(name) && saved.at(name) != value)
      throw SettingsError(who + ": " + name + " is " + saved.at(name) + " in " + path + ", now " + value +
                          "; every shard and resume takes the run's settings (or start a new --out)");
}

std::vector<PredictionRow> rows_of(const IndexedPredictions& predictions) {
  std::vector<PredictionRow> rows;
  for (const auto& [index, p] : predictions) rows.push_back(p);
  return rows;
}

/// Reads a finished fold's test_predictions.csv back (resume).
IndexedPredictions read_fold_predictions(const std::string& path, const std::map<std::string, int64_t>& index_of_id,
                                         const std::vector<std::string>& classes) {
  const auto table = io::read_csv_file(path);
  IndexedPredictions out;
  for (size_t r = 1; r < table.size(); ++r) {
    const auto& f = table[r].fields;
    if (f.size() != 5 + classes.size()) throw DataError(path, "line " + std::to_string(table[r].line) + " has the wrong width");
    const auto it = index_of_id.find(f[0]);
    if (it == index_of_id.end()) throw DataError(path, "clip '" + f[0] + "' is not in the manifest any more");
    PredictionRow p{f[0], f[1], f[2], class_index(classes, f[3], path), class_index(classes, f[4], path), {}};
    for (size_t c = 0; c < classes.size(); ++c) p.probs.push_back(std::stof(f[5 + c]));
    out.emplace_back(it->second, std::move(p));
  }
  return out;
}


}  // namespace mexa::training
