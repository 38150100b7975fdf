// Joining the results files of one scoring run's shards (`mexa merge`, and
// rank 0 of `mexa score` under torchrun or srun) into one file of the same
// schema: clips in shard order, each shard's frames and intervals with them.
//
//   auto merged = mexa::io::merge_results({"r.rank0.h5", "r.rank1.h5"}, "r.h5", ResultsWriter::Mode::Create);
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "mexa/io/results.h"

namespace mexa::io {

struct MergeSummary {
  int64_t clips = 0;
  int64_t duplicates = 0;  ///< ids found in an earlier shard: kept once (the first), each logged
};

/// Throws DataError naming a shard scored with another model, classes or
/// options than the first, StorageError for I/O failures.
MergeSummary merge_results(const std::vector<std::string>& shards, const std::string& out, ResultsWriter::Mode mode);

}  // namespace mexa::io
