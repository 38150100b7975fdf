// `mexa train --config X.ini --data annotations.csv --out RUN`: trains a model
// under a subject-independent protocol (split, k-fold, LOSO) and scores the
// test folds with the checkpoint chosen without looking at them.
//
// The run itself is a library call (training/run.h: run_training, which
// lists the run folder's files); this command turns flags into its options,
// shows progress and prints the outcome.
//
// More than one process (docs/distributed.md):
//   --fold-shard i/n   this process trains folds f with f % n == i (default
//                      from RANK/WORLD_SIZE or a Slurm array); shards share RUN,
//                      each writing its folds' files; the last to finish, or
//                      `mexa train --gather RUN`, writes the run-level files.
//   torchrun / srun    (MASTER_ADDR set) one model data-parallel over the ranks
//                      (engine/distributed.h); rank 0 writes every file.
#include <spdlog/spdlog.h>

#include <cstdio>
#include <filesystem>
#include <memory>

#include "cli.h"
#include "commands.h"
#include "mexa/engine/distributed.h"
#include "mexa/io/text.h"
#include "mexa/pipeline/inputs.h"
#include "mexa/training/relabel_audit.h"
#include "mexa/training/run.h"
#include "train_resolve.h"
#include "train_settings.h"

namespace mexa::cli {
namespace {

namespace fs = std::filesystem;

/// Runs the training run with progress lines and prints its outcome; the exit code.
/// `data`: the manifest to name in the continue hint ("" when config.ini records --data).
int run_and_report(const training::TrainRunOptions& run, const std::string& out, const std::string& data) {
  const int epochs = run.config.schedule.epochs;
  std::unique_ptr<Progress> preparing, progress;
  training::TrainRunCallbacks callbacks;
  int64_t prepared = -1;  // workers report out of order: the line only moves forward, and ends once
  callbacks.on_prepare = [&](int64_t done, int64_t total) {
    if (!preparing) preparing = std::make_unique<Progress>("preparing clips", total, "clips");
    if (done <= prepared) return;
    prepared = done;
    preparing->update(done);
    if (done == total) preparing->finish();
  };
  callbacks.on_step = [&](const std::string& what, int epoch, int step, int steps, double mean_loss) {
    if (step == 1)
      progress = std::make_unique<Progress>(what + " epoch " + std::to_string(epoch) + "/" + std::to_string(epochs),
                                            steps, "steps");
    progress->update(step, fmt::format("loss {:.4f}", mean_loss));
  };
  callbacks.on_epoch = [&](const std::string& what, const engine::EpochRecord& r) {
    if (progress) progress->finish();
    const std::string val = r.val_uf1 < 0 ? "" : fmt::format(", val UF1 {:.4f} UAR {:.4f}", r.val_uf1, r.val_uar);
    spdlog::info("{} epoch {}/{}: loss {:.4f}, train acc {:.3f}{}, lr {:.2e}, {:.1f} s, {:.1f} clips/s, model busy {:.0f}%{}",
                 what, r.epoch, epochs, r.train_loss, r.train_acc, val, r.lr, r.seconds, r.clips_per_second,
                 100 * r.busy_fraction, training::relabel_summary(r, run.config.classes));
  };
  training::TrainRunResult result;
  try {
    result = training::run_training(run, callbacks);
  } catch (const training::SettingsError& e) {
    throw UsageError(e.what());
  }
  const int status = result.failed == 0 ? kOk : kInputsFailed;
  using Outcome = training::TrainRunResult::Outcome;
  switch (result.outcome) {
    case Outcome::NotRankZero:
      return status;
    case Outcome::Incomplete:
      std::fprintf(stderr, "mexa train --gather: %s: %zu of %zu folds have no test predictions yet: %s; run their shards "
                   "(--fold-shard, --resume) first\n", out.c_str(), result.missing.size(), result.folds,
                   io::first_items(result.missing, 20).c_str());
      return kInputsFailed;
    case Outcome::StoppedEarly:
      // A run on datasets rebuilds its data.csv from the --data its config.ini records.
      std::printf("stopped after epoch %d as asked; continue with: mexa train --out %s%s --resume\n",
                  run.config.stop_after_epoch,
                  out.c_str(), data.empty() ? "" : (" --data " + data).c_str());
      return status;
    case Outcome::ShardDone:
      std::printf("%s: fold shard %d/%d done; %zu of %zu folds are another shard's and not finished yet (%s): the last "
                  "shard to finish, or `mexa train --gather %s`, writes predictions.csv and summary.json\n",
                  out.c_str(), run.fold_shard.index, run.fold_shard.count, result.missing.size(), result.folds,
                  io::first_items(result.missing, 8).c_str(), out.c_str());
      return status;
    case Outcome::Pooled:
      std::fputs(result.pooled->text.c_str(), stdout);
      if (!run.gather && result.failed > 0)
        std::printf("%zu clips could not be read: %s\n", result.failed, (run.dir / "failed.csv").c_str());
      return status;
  }
  return status;
}

}  // namespace

int run_train(const std::vector<std::string>& args) {
  static const Command command{
      "train",
      "Train a spatiotemporal model on a manifest under a subject-independent protocol (split, kfold, loso). "
      "Every option can come from an INI file (--config; same names, flags win). Writes per-fold checkpoints "
      "(atomic, every epoch), per-epoch metrics, test predictions pooled over folds and summary.json (MEGC ACC, "
      "UF1, UAR). --resume continues an interrupted run exactly.",
      "mexa train --data annotations.csv --out RUN [--config configs/small3d-synth.ini] [options]", run_train};
  TrainFlags f;
  po::options_description options = train_options(f);
  po::variables_map vm;
  if (!parse(args, command, options, {}, vm)) return kOk;
  const bool gathering = !f.gather.empty();
  if (gathering) {
    if (vm.count("out") && f.out != f.gather) throw UsageError("--gather RUN and --out name different runs");
    f.out = f.gather;
    if (!fs::exists(fs::path(f.out) / "config.ini"))
      throw UsageError("--gather " + f.out + ": no config.ini there: not a mexa train run folder");
    f.resume = true;  // the run's settings come from its config.ini
  } else if (!vm.count("out") || (!vm.count("data") && !f.resume)) {  // a resumed run's config.ini records its --data
    throw UsageError(std::string("the option '--") + (vm.count("out") ? "data" : "out") + "' is required but missing");
  }
  // How this process was launched: a process group (torchrun, srun with
  // MASTER_ADDR) trains data-parallel; shard numbers alone split the folds.
  engine::LaunchInfo launch;
  pipeline::Shard fold_shard;
  try {
    launch = gathering ? engine::LaunchInfo{} : engine::launch_from_environment();
    fold_shard = gathering ? pipeline::Shard{} : pipeline::resolve_shard(f.fold_shard_text, "--fold-shard", !launch.distributed());
  } catch (const std::invalid_argument& e) {
    throw UsageError(e.what());
  }
  const bool rank0 = launch.rank == 0;
  if (!rank0) spdlog::set_pattern("[rank " + std::to_string(launch.rank) + "] %^%l%$: %v");

  const fs::path run_dir(f.out), config_path = run_dir / "config.ini";
  // A fold shard joins a run another shard started: same settings, no --resume needed.
  const bool joining = !f.resume && fold_shard.count > 1 && fs::exists(config_path);
  const bool saved_without_augment = read_run_config(f, options, vm, config_path, joining);
  if (gathering) f.resume = true;  // po::notify() above reset the switch from the file

  const DataChoice chosen_data = choose_data(f, options, vm, run_dir);
  const bool from_datasets = chosen_data.from_datasets;
  const io::ManifestOptions& manifest_opts = chosen_data.manifest_options;
  const bool data_images = chosen_data.images;
  resolve_input(f, vm, from_datasets, data_images);
  resolve_training(f, vm, {saved_without_augment, f.resume || joining, launch, manifest_opts.class_names});
  record_resolved(f, vm, manifest_opts.class_names);

  // ---- the run
  training::TrainRunOptions run;
  run.dir = run_dir;
  run.data = f.data;
  run.manifest_options = manifest_opts;
  run.spec = f.spec;
  run.config = f.tc;
  run.protocol = f.po_;
  run.protocol_name = f.protocol;
  run.loss_name = f.loss;
  run.eval_label = f.eval_label;
  run.cache = f.cache;
  run.fold_shard = fold_shard;
  run.launch = launch;
  run.dist_timeout = std::chrono::seconds(f.dist_timeout);
  run.resume = f.resume;
  run.joining = joining;
  run.gather = gathering;
  run.report_test_selected = f.report_test_selected;
  run.settings = effective_config(vm);
  return run_and_report(run, f.out, from_datasets ? "" : f.data);
}

}  // namespace mexa::cli
