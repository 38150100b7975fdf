// The files of a `mexa train` run folder that the command reads back:
// config.ini (the effective options, re-read by --resume) and a finished
// fold's test_predictions.csv (--resume pools it without retraining).
#pragma once

#include <boost/program_options.hpp>

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "report.h"

namespace mexa::cli {

/// Options that describe the run (written to config.ini); not --config, --resume...
extern const std::set<std::string> kNotSaved;
/// Options a resumed run may change: they do not change what is computed.
extern const std::set<std::string> kFreeOnResume;

/// name -> value text of every option that describes the run.
std::map<std::string, std::string> effective_options(const boost::program_options::variables_map& vm);
/// config.ini's text: "name = value" lines.
std::string effective_config(const boost::program_options::variables_map& vm);
/// config.ini read back as name -> value.
std::map<std::string, std::string> read_saved_options(const std::string& path);
/// Throws UsageError naming the option, `path` and `who` ("--resume") when a
/// saved option that changes what is computed (not kFreeOnResume) differs.
void check_same_settings(const std::map<std::string, std::string>& saved, const std::map<std::string, std::string>& now,
                         const std::string& path, const std::string& who);
/// "10,20" -> {10, 20}; throws UsageError naming `flag`.
std::vector<int> parse_int_list(const std::string& text, const std::string& flag);

/// Test predictions keyed by manifest row.
using IndexedPredictions = std::vector<std::pair<int64_t, PredictionRow>>;
std::vector<PredictionRow> rows_of(const IndexedPredictions& predictions);
/// Reads a finished fold's test_predictions.csv back (resume).
IndexedPredictions read_fold_predictions(const std::string& path, const std::map<std::string, int64_t>& index_of_id,
                                         const std::vector<std::string>& classes);

}  // namespace mexa::cli
