// `mexa score INPUT... --model CKPT --out results.h5`: the main job. Options ->
// pipeline::ScoreOptions -> pipeline::score (pipeline/scorer.h holds the
// pipeline itself) -> summary line and exit code.
//
// Interruption: SIGINT / SIGTERM stop taking new videos; the analysed ones are
// scored and written, the file is closed, exit 130. SIGKILL loses at most the
// batch in flight. --resume skips clips already in the file.
//
// Under torchrun or srun (MASTER_ADDR set, docs/distributed.md):
// each rank scores its shard into OUT.rankK.h5 (or --out with a {rank}
// placeholder), says so in the rendezvous store, and rank 0 merges the rank
// files into OUT once every rank is done: one command, one results file.
#include <spdlog/spdlog.h>

#include <atomic>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>

#include "cli.h"
#include "commands.h"
#include "manifest_flags.h"
#include "mexa/engine/device.h"
#include "mexa/engine/distributed.h"
#include "mexa/io/errors.h"
#include "mexa/io/results_merge.h"
#include "mexa/pipeline/ranked_scoring.h"
#include "mexa/pipeline/scorer.h"

namespace mexa::cli {
namespace {

std::atomic<bool> g_stop{false};
extern "C" void on_stop_signal(int) { g_stop = true; }

/// SIGINT / SIGTERM set g_stop while this lives.
struct StopOnSignal {
  StopOnSignal() {
    g_stop = false;
    std::signal(SIGINT, on_stop_signal);
    std::signal(SIGTERM, on_stop_signal);
  }
  ~StopOnSignal() {
    std::signal(SIGINT, SIG_DFL);
    std::signal(SIGTERM, SIG_DFL);
  }
  StopOnSignal(const StopOnSignal&) = delete;
  StopOnSignal& operator=(const StopOnSignal&) = delete;
};

void print_summary(const std::string& out, const pipeline::ScoreSummary& s) {
  std::string reasons;
  for (const auto& [reason, n] : s.failed_by_reason) reasons += " " + reason + "=" + std::to_string(n);
  std::printf("%s: %lld clips written (%lld ok, %lld failed%s%s)", out.c_str(), static_cast<long long>(s.written),
              static_cast<long long>(s.ok), static_cast<long long>(s.failed()), reasons.empty() ? "" : ":",
              reasons.c_str());
  if (!s.problems.empty()) std::printf(", %zu inputs gave no clip", s.problems.size());
  std::printf("\n");
  if (s.interrupted)
    std::printf("interrupted: %lld of %lld clips to go are written; continue with --resume\n",
                static_cast<long long>(s.written), static_cast<long long>(s.to_score));
}

/// Every option of `mexa score`, bound to `o` and the command's own switches.
po::options_description score_options(pipeline::ScoreOptions& o, bool& resume, bool& overwrite, int& dist_timeout,
                                      ManifestFlags& manifest_flags) {
  po::options_description options("Score options");
  options.add_options()("inputs", po::value(&o.inputs)->multitoken(), "videos, frame folders, directories, manifests, @lists, - (positional)")(
      "input", po::value(&o.input_kind),
      "flow-image: the folders given hold flow images, each a clip (a model trained with --input flow-image); "
      "without it a folder is a frame folder or holds videos")(
      "model", po::value(&o.model)->required(), "checkpoint (best.pt / last.pt of a `mexa train` run)")(
      "out", po::value(&o.out)->required(), "results file (HDF5)")(
      "resume", po::bool_switch(&resume), "keep the clips already in --out and score the rest (same model and options)")(
      "overwrite", po::bool_switch(&overwrite), "replace an existing --out")(
      "shard", po::value(&o.shard), "score shard i of n (i/n); default from RANK/WORLD_SIZE or Slurm array variables")(
      "device", po::value(&o.device)->default_value(o.device), "auto, cpu, cuda or cuda:N")(
      "workers", po::value(&o.workers)->default_value(o.workers), "decode/analysis threads")(
      "threads", po::value(&o.threads)->default_value(o.threads), "LibTorch CPU threads (0: all cores)")(
      "batch", po::value(&o.batch)->default_value(o.batch), "clips per inference batch and per committed write (and --frame-probs windows per inference batch)")(
      "face", po::value(&o.face), "face alignment for the per-frame rows: none, hog, haar (default: the model's)")(
      "min-face", po::value(&o.min_face)->default_value(o.min_face),
      "smallest face side in pixels (-1: the model's; 0: the detector's own, hog 80, haar 40; hog upsamples for less)")(
      "require-face", po::bool_switch(&o.require_face),
      "a clip with no face fails as no_face (default: the whole frame is the face, the clip row says face_found 0)")(
      "landmarks", po::bool_switch(&o.landmarks), "store 68 landmarks per frame (needs --face hog or haar)")(
      "frame-probs", po::bool_switch(&o.frame_probs),
      "per-frame probabilities: the model on a window around every frame (as long as the clip's span; in a long "
      "video with an annotated span, the span's frames only)")(
      "long-frames", po::value(&o.long_frames)->default_value(o.long_frames),
      "longer videos are streamed; without an annotated span they are spotted for intervals, each scored")(
      "logit-adjust", po::value(&o.logit_adjust)->default_value(o.logit_adjust, "0"),
      "post-hoc logit adjustment: probabilities from logits - TAU log(training class prior) (0: off)")(
      "dist-timeout", po::value(&dist_timeout)->default_value(dist_timeout),
      "under torchrun / srun: seconds rank 0 waits for the other ranks to finish before it gives up (exit 3)");
  add_manifest_flags(options, manifest_flags);
  return options;
}

/// Scores with progress lines (under a process group: this rank's shard, then
/// rank 0's merge) and prints the summary; the exit code.
int score_and_report(pipeline::ScoreOptions& o, const engine::LaunchInfo& launch, int dist_timeout) {
  const std::string final_out = o.out;  // under a process group, o.out becomes this rank's file
  std::unique_ptr<pipeline::RankedScoring> ranked;
  try {
    if (launch.distributed())
      ranked = std::make_unique<pipeline::RankedScoring>(launch, o, std::chrono::seconds(dist_timeout));
  } catch (const pipeline::OptionError& e) {
    throw UsageError(e.what());
  }

  pipeline::ScoreSummary summary;
  {
    const StopOnSignal signals;
    Progress progress("score", 0, "clips");
    try {
      summary = pipeline::score(o, g_stop, [&](int64_t done, int64_t total) {
        progress.set_total(total);
        progress.update(done);
      });
    } catch (const pipeline::OptionError& e) {
      if (ranked) ranked->done(e.what());
      throw UsageError(e.what());
    } catch (const StorageError& e) {
      if (ranked) ranked->done(e.what());
      // A full disk, a lost mount: what was committed stays readable (SWMR).
      if (e.file() != o.out || !std::filesystem::exists(o.out)) throw;
      throw StorageError(o.out, e.reason() + "; the batches committed before this are kept: rerun with --resume to continue");
    } catch (const std::exception& e) {
      if (ranked) ranked->done(e.what());
      throw;
    }
    progress.finish();
  }
  print_summary(o.out, summary);
  if (summary.interrupted) {
    if (ranked) ranked->done("interrupted");
    return 130;
  }
  const int status = summary.failed() > 0 || !summary.problems.empty() ? kInputsFailed : kOk;
  if (!ranked) return status;
  ranked->done(std::to_string(status));
  const auto outcome = ranked->finish(status, o.output);
  if (outcome.merged_clips >= 0)
    std::printf("%s: %lld clips merged from %d rank files (%s ...; kept for --resume)\n", final_out.c_str(),
                static_cast<long long>(outcome.merged_clips), launch.world_size, o.out.c_str());
  return outcome.status;
}


}  // namespace

int run_score(const std::vector<std::string>& args) {
  static const Command command{
      "score",
      "Score videos with a checkpoint from `mexa train` and write an HDF5 results file: per clip probabilities, "
      "prediction, onset/apex/offset (annotated or spotted), apex feature; per frame face box, confidence, "
      "success, motion and phase (optionally landmarks); spotted intervals of unannotated long videos, each scored. Inputs: "
      "video files, frame folders, directories (recursive), manifest CSVs (annotated spans and labels), "
      "@list.txt and - (list on stdin). A clip that fails gets a row with its status and error; exit 1 if any.",
      "mexa score INPUT... --model CKPT --out results.h5 [options]", run_score};
  pipeline::ScoreOptions o;
  bool resume = false, overwrite = false;
  int dist_timeout = 86400;
  ManifestFlags manifest_flags;
  po::options_description options = score_options(o, resume, overwrite, dist_timeout, manifest_flags);
  po::positional_options_description positional;
  positional.add("inputs", -1);
  po::variables_map vm;
  if (!parse(args, command, options, positional, vm)) return kOk;
  if (resume && overwrite) throw UsageError("--resume and --overwrite exclude each other");
  o.output = resume ? pipeline::ScoreOptions::Output::Resume
             : overwrite ? pipeline::ScoreOptions::Output::Overwrite
                         : pipeline::ScoreOptions::Output::Create;
  o.manifest = manifest_options(manifest_flags);
  // Set before LibTorch loaded (exec_engine, sibling.cpp) unless the user set it.
  const char* wait_policy = std::getenv("OMP_WAIT_POLICY");
  spdlog::debug("OpenMP threads wait {}", wait_policy ? std::string("OMP_WAIT_POLICY=") + wait_policy
                                                      : std::string("as OpenMP's default (OMP_WAIT_POLICY unset)"));
  engine::LaunchInfo launch;
  try {
    launch = engine::launch_from_environment();
  } catch (const std::invalid_argument& e) {
    throw UsageError(e.what());
  }
  return score_and_report(o, launch, dist_timeout);
}

}  // namespace mexa::cli
