// Scoring under a process group (torchrun, srun: MASTER_ADDR set): each rank
// scores its shard into OUT.rankK.h5, says so in the rendezvous store, and
// rank 0 merges the rank files into OUT once every rank is done — one
// command, one results file.
//
//   pipeline::RankedScoring ranked(launch, options, std::chrono::hours(24));  // options now this rank's
//   const auto summary = pipeline::score(options, stop, nullptr);
//   ranked.done("0");
//   const auto outcome = ranked.finish(0, options.output);
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "mexa/engine/distributed.h"
#include "mexa/pipeline/scorer.h"

namespace mexa::pipeline {

/// OUT.rankK.h5: rank K's file of a run whose merged file is OUT.
std::string rank_path(const std::string& out, int rank);

class RankedScoring {
 public:
  /// Makes `o` this rank's (its shard, its file, its device) and joins the
  /// group. Throws OptionError for options a process group excludes (--shard,
  /// a {rank} placeholder, an existing OUT without resume or overwrite),
  /// DataError naming the rendezvous when the group cannot form.
  RankedScoring(const engine::LaunchInfo& launch, ScoreOptions& o, std::chrono::seconds timeout);
  ~RankedScoring();
  RankedScoring(const RankedScoring&) = delete;
  RankedScoring& operator=(const RankedScoring&) = delete;

  /// Tells the others this rank is done (`status`: an exit code, or an error text).
  void done(const std::string& status);

  struct Outcome {
    int status = 0;            ///< the run's exit status: the worst of the ranks' (1 with duplicate ids)
    int64_t merged_clips = -1; ///< rank 0: clips in the merged file; other ranks: -1
  };
  /// Rank 0: waits for every rank and merges their files into OUT (throws
  /// DataError naming OUT when a rank failed: the rank files are kept).
  /// Other ranks: wait until rank 0 has merged.
  Outcome finish(int own_status, ScoreOptions::Output mode);

 private:
  engine::LaunchInfo launch_;
  std::string final_out_;
  std::chrono::seconds timeout_;
  std::unique_ptr<engine::ProcessGroup> group_;
};

}  // namespace mexa::pipeline
