// The files of a training run folder read back: config.ini (the settings a
// resumed run or a joining shard must share) and a finished fold's
// test_predictions.csv (--resume pools it without retraining).
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "mexa/training/predictions.h"

namespace mexa::training {

/// A request that contradicts the run it continues (another setting, other
/// data): the command line's usage error (exit 2).
struct SettingsError : std::invalid_argument {
  using std::invalid_argument::invalid_argument;
};

/// Settings a resumed run may change: they do not change what is computed.
extern const std::set<std::string> kFreeOnResume;

/// config.ini's "name = value" lines as name -> value (a repeated name keeps
/// its last value; '#' lines are comments).
std::map<std::string, std::string> parse_settings(const std::string& text);
/// parse_settings() of the file at `path` (empty when it cannot be read).
std::map<std::string, std::string> read_settings(const std::string& path);
/// Throws SettingsError naming the setting, `path` and `who` ("--resume")
/// when a saved setting that changes what is computed (not kFreeOnResume) differs.
void check_same_settings(const std::map<std::string, std::string>& saved, const std::map<std::string, std::string>& now,
                         const std::string& path, const std::string& who);

/// Test predictions keyed by manifest row.
using IndexedPredictions = std::vector<std::pair<int64_t, PredictionRow>>;
std::vector<PredictionRow> rows_of(const IndexedPredictions& predictions);
/// Reads a finished fold's test_predictions.csv back (resume).
IndexedPredictions read_fold_predictions(const std::string& path, const std::map<std::string, int64_t>& index_of_id,
                                         const std::vector<std::string>& classes);

}  // namespace mexa::training
