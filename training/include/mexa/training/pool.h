// The run-level files of `mexa train`, made from the per-fold files alone:
// predictions.csv (every fold's test_predictions.csv pooled), aus.csv and
// summary.json (pooled MEGC metrics, per fold, failures). The last fold shard
// to finish writes them, and so does `mexa train --gather RUN`; reading the
// fold files back (rather than what is in memory) makes every way of running
// the folds, one process or many, give the same bytes.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "mexa/engine/protocols.h"
#include "mexa/io/manifest.h"
#include "mexa/pipeline/inputs.h"

namespace mexa::training {

struct RunDescription {
  std::filesystem::path dir;
  const io::Manifest* manifest = nullptr;
  std::vector<engine::Fold> folds;  ///< indices are manifest rows
  std::vector<std::string> classes, au_names;
  std::map<int64_t, std::string> failures;  ///< manifest row -> why it could not be read
  std::string protocol, model, loss, eval_label;
  uint64_t seed = 0;
};

/// Folds whose test_predictions.csv is not written yet, by name.
std::vector<std::string> unfinished_folds(const RunDescription& run);

/// Folds of shard s (of s.count): fold f when f % count == index, in order.
std::vector<size_t> folds_of_shard(size_t folds, const pipeline::Shard& s);

/// folds/NAME/fold.json: what a finished fold's summary entry needs beyond its predictions.
void write_fold_record(const std::filesystem::path& fold_dir, int best_epoch);

/// The pooled run: summary.json's content and the report to print.
struct PooledRun {
  nlohmann::json summary;
  std::string text;  ///< the pooled metrics, per class, per dataset, test-selected, AUs
};

/// Writes predictions.csv, summary.json (and aus.csv with an AU head) from the
/// fold files. Every fold must be finished.
PooledRun write_pooled_run(const RunDescription& run);

/// failed.csv read back: manifest row -> error (rows named by id).
std::map<int64_t, std::string> read_failures(const std::filesystem::path& path, const io::Manifest& manifest);

}  // namespace mexa::training
