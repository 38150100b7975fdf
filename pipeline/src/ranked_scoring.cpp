#include "mexa/pipeline/ranked_scoring.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <filesystem>

#include "mexa/engine/device.h"
#include "mexa/io/errors.h"
#include "mexa/io/results.h"
#include "mexa/io/results_merge.h"

namespace mexa::pipeline {

std::string rank_path(const std::string& out, int rank) { return io::with_h5_suffix(out, ".rank" + std::to_string(rank)); }

RankedScoring::RankedScoring(const engine::LaunchInfo& launch, ScoreOptions& o, std::chrono::seconds timeout)
    : launch_(launch), final_out_(o.out), timeout_(timeout) {
  if (!o.shard.empty())
    throw OptionError("--shard and a process group (" + launch.launcher + ", MASTER_ADDR) exclude each other: the ranks are the shards");
  if (final_out_.find("{rank}") != std::string::npos)
    throw OptionError("--out " + final_out_ + ": {rank} names the rank files; --out is the merged file (OUT.rankK.h5 by default)");
  if (o.output == ScoreOptions::Output::Create && std::filesystem::exists(final_out_))
    throw OptionError(final_out_ + " exists; --resume continues, --overwrite replaces it");
  o.shard = std::to_string(launch.rank) + "/" + std::to_string(launch.world_size);
  o.out = rank_path(final_out_, launch.rank);
  o.device = engine::rank_device(o.device, launch);
  try {
    // The store and a barrier are all scoring needs: a Gloo group whatever the device.
    group_ = std::make_unique<engine::ProcessGroup>(launch, "cpu", std::chrono::seconds(600));
  } catch (const std::runtime_error& e) {
    throw DataError(launch.master_addr + ":" + std::to_string(launch.master_port), e.what());
  }
  spdlog::info("rank {} of {} ({}): shard {} -> {}", launch.rank, launch.world_size, launch.launcher, o.shard, o.out);
}

RankedScoring::~RankedScoring() = default;

void RankedScoring::done(const std::string& status) { group_->store_set("score/done/" + std::to_string(launch_.rank), status); }

RankedScoring::Outcome RankedScoring::finish(int own_status, ScoreOptions::Output mode) {
  if (launch_.rank != 0) {
    // torchrun stops every worker once one exits non-zero (1: some clips
    // failed): leave only after rank 0 has merged.
    group_->store_wait("score/merged", timeout_ + std::chrono::hours(1));
    return {own_status, -1};
  }
  int status = own_status;
  std::vector<std::string> files, failed;
  for (int r = 0; r < launch_.world_size; ++r) {
    const std::string said = group_->store_wait("score/done/" + std::to_string(r), timeout_);
    files.push_back(rank_path(final_out_, r));
    if (said != "0" && said != "1") failed.push_back("rank " + std::to_string(r) + ": " + said);
    else status = std::max(status, std::stoi(said));
  }
  if (!failed.empty()) {
    group_->store_set("score/merged", "no");
    std::string text;
    for (const auto& f : failed) text += (text.empty() ? "" : "; ") + f;
    throw DataError(final_out_, "not merged: " + text + "; the rank files are kept (rerun with --resume)");
  }
  const auto merged = io::merge_results(files, final_out_,
                                        mode == ScoreOptions::Output::Create ? io::ResultsWriter::Mode::Create
                                                                             : io::ResultsWriter::Mode::Overwrite);
  group_->store_set("score/merged", "yes");
  return {merged.duplicates ? std::max(status, 1) : status, merged.clips};
}

}  // namespace mexa::pipeline
