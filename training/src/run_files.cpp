#include "train_run_files.h"

#include <boost/any.hpp>
#include <spdlog/fmt/fmt.h>
#include <spdlog/fmt/ranges.h>

#include <algorithm>
#include <fstream>
#include <sstream>

#include "cli.h"
#include "mexa/io/csv.h"
#include "mexa/io/errors.h"
#include "mexa/version.h"

namespace mexa::cli {

namespace {

std::string any_text(const boost::any& value) {
  if (const auto* s = boost::any_cast<std::string>(&value)) return *s;
  if (const auto* i = boost::any_cast<int>(&value)) return std::to_string(*i);
  if (const auto* u = boost::any_cast<uint64_t>(&value)) return std::to_string(*u);
  if (const auto* b = boost::any_cast<bool>(&value)) return *b ? "true" : "false";
  if (const auto* d = boost::any_cast<double>(&value)) return fmt::format("{}", *d);  // shortest exact form
  if (const auto* f = boost::any_cast<float>(&value)) return fmt::format("{}", *f);
  if (const auto* v = boost::any_cast<std::vector<std::string>>(&value)) return fmt::format("{}", fmt::join(*v, "\n"));
  throw std::logic_error("option of an unexpected type");
}

}  // namespace

const std::set<std::string> kNotSaved{"help",          "config", "log-level",    "resume", "stop-after-epoch",
                                      "out",           "gather", "dist-timeout", "fold-shard"};
const std::set<std::string> kFreeOnResume{"data", "device", "workers", "threads", "cache"};

std::map<std::string, std::string> effective_options(const po::variables_map& vm) {
  std::map<std::string, std::string> out;
  for (const auto& [name, value] : vm)
    if (!kNotSaved.count(name) && !value.empty()) out[name] = any_text(value.value());
  return out;
}

/// The effective options as an INI file `mexa train --config` reads back.
std::string effective_config(const po::variables_map& vm) {
  std::string text = "# mexa " + std::string(MEXA_VERSION) + " train: effective options of this run\n";
  for (const auto& [name, value] : effective_options(vm)) {
    // A repeated option (--data A --data B): one line each, as the INI reader takes it back.
    size_t start = 0;
    for (size_t end; (end = value.find('\n', start)) != std::string::npos; start = end + 1)
      text += name + " = " + value.substr(start, end - start) + "\n";
    text += name + " = " + value.substr(start) + "\n";
  }
  return text;
}

/// name = value lines of a config.ini written by effective_config().
std::map<std::string, std::string> read_saved_options(const std::string& path) {
  std::map<std::string, std::string> out;
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    const auto eq = line.find(" = ");
    if (!line.empty() && line[0] != '#' && eq != std::string::npos) out[line.substr(0, eq)] = line.substr(eq + 3);
  }
  return out;
}

void check_same_settings(const std::map<std::string, std::string>& saved, const std::map<std::string, std::string>& now,
                         const std::string& path, const std::string& who) {
  for (const auto& [name, value] : now)
    if (!kFreeOnResume.count(name) && saved.count(name) && saved.at(name) != value)
      throw UsageError(who + ": " + name + " is " + saved.at(name) + " in " + path + ", now " + value +
                       "; every shard and resume takes the run's settings (or start a new --out)");
}

std::vector<int> parse_int_list(const std::string& text, const std::string& flag) {
  std::vector<int> out;
  std::istringstream in(text);
  std::string item;
  while (std::getline(in, item, ','))
    if (!item.empty()) try {
        out.push_back(std::stoi(item));
      } catch (const std::exception&) {
        throw UsageError(flag + ": '" + item + "' is not a number");
      }
  return out;
}

/// Test predictions keyed by manifest row.
using IndexedPredictions = std::vector<std::pair<int64_t, PredictionRow>>;

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
  auto class_index = [&](const std::string& name) {
    const auto it = std::find(classes.begin(), classes.end(), name);
    if (it == classes.end()) throw DataError(path, "unknown class '" + name + "'");
    return static_cast<int>(it - classes.begin());
  };
  for (size_t r = 1; r < table.size(); ++r) {
    const auto& f = table[r].fields;
    if (f.size() != 5 + classes.size()) throw DataError(path, "line " + std::to_string(table[r].line) + " has the wrong width");
    const auto it = index_of_id.find(f[0]);
    if (it == index_of_id.end()) throw DataError(path, "clip '" + f[0] + "' is not in the manifest any more");
    PredictionRow p{f[0], f[1], f[2], class_index(f[3]), class_index(f[4]), {}};
    for (size_t c = 0; c < classes.size(); ++c) p.probs.push_back(std::stof(f[5 + c]));
    out.emplace_back(it->second, std::move(p));
  }
  return out;
}


}  // namespace mexa::cli
