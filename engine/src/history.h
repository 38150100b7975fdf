// A fold's per-epoch history (engine-internal): metrics.csv / metrics.json,
// the copy kept in checkpoints, and atomic text files.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "mexa/engine/trainer.h"

namespace mexa::engine {

/// Shortest text that reads back as the same double ("%.17g").
std::string format_double(double v);
/// The lines of `text` (checkpoint fields hold lists as lines).
std::vector<std::string> split_lines(const std::string& text);
/// Writes `text` to path.tmp, then renames it over `path`: a failed write (a
/// full disk) leaves `path` as it was and no .tmp. Throws std::runtime_error
/// "PATH: WHAT: the system's reason".
void write_atomically(const std::filesystem::path& path, const std::string& text, const std::string& what = "cannot write");
/// metrics.csv: a header, then one row per epoch in EpochRecord's order.
std::string history_csv(const std::vector<EpochRecord>& history);
/// history_csv() read back (checkpoints keep the history this way).
std::vector<EpochRecord> parse_history(const std::string& text);
/// metrics.json: one object per epoch; validation fields null without a validation set.
std::string history_json(const std::vector<EpochRecord>& history);

}  // namespace mexa::engine
