// What `mexa score` scores: video files, frame folders, directories scanned
// recursively by extension, manifest CSVs (annotated spans and labels), list
// files (`@list.txt`, one input per line; `-` reads the list from stdin).
// Also the deterministic shard split (`--shard i/n`, RANK/WORLD_SIZE, Slurm).
#pragma once

#include <cstdint>
#include <iosfwd>
#include <string>
#include <vector>

#include "mexa/io/manifest.h"

namespace mexa::pipeline {

struct ScoreInput {
  std::string id;       ///< unique in the run: manifest id, or the path
  std::string path;     ///< video file or frame folder
  std::string subject;  ///< manifest inputs only
  int label = -1;
  int64_t onset = -1, apex = -1, offset = -1;  ///< annotated span, -1 when not given
};

struct InputProblem {
  std::string what;   ///< the input as given
  std::string error;  ///< why it gives no clip
};

struct CollectedInputs {
  std::vector<ScoreInput> items;
  std::vector<InputProblem> problems;  ///< missing paths, unreadable lists, bad manifest rows
};

/// Expands `args`. Manifests are read with `manifest_options`. Ids repeated
/// across inputs get a "#2", "#3" suffix. `stdin_list` supplies "-".
/// `flow_images` (score --input flow-image): a folder's image files, at any
/// depth, are each a clip; otherwise a folder of numbered images is one
/// frame-folder clip, and other folders are searched for videos and frame folders.
CollectedInputs collect_inputs(const std::vector<std::string>& args, const io::ManifestOptions& manifest_options,
                               std::istream& stdin_list, bool flow_images = false);

/// "i/n" -> {i, n}; "" -> from RANK/WORLD_SIZE (unless `rank_variables` is
/// false: they name a process group's ranks) or SLURM_ARRAY_TASK_ID/
/// SLURM_ARRAY_TASK_COUNT (minus SLURM_ARRAY_TASK_MIN), else {0, 1}. Throws
/// std::invalid_argument naming `flag` for bad text.
struct Shard {
  int index = 0, count = 1;
};
Shard resolve_shard(const std::string& text, const std::string& flag = "--shard", bool rank_variables = true);
/// Items of shard `s`: a contiguous block of whole inference batches of
/// `batch` items (shard i of n: batches [i*B/n, (i+1)*B/n) of the B batches).
/// Each clip has the batch-mates it has in one process, and the shards in
/// index order hold the items in input order: merged shards equal one run.
std::vector<ScoreInput> shard_items(const std::vector<ScoreInput>& items, const Shard& s, int batch);

}  // namespace mexa::pipeline
