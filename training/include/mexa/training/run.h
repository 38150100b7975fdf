// A training run as one library call: what `mexa train` does once its flags
// are resolved. run_training() reads the manifest, prepares every clip once
// (the HDF5 cache), makes the subject-independent folds, trains this
// process's folds (a fold shard's, or every fold; data-parallel when a
// process group is launched), tests each fold with the checkpoint chosen
// without looking at it, and pools the test predictions of every fold into
// the run's files once all are done.
//
// RUN/
//   config.ini                 the run's settings (TrainRunOptions::settings; re-read by --resume)
//   manifest.sha256            the manifest's content hash (a resume refuses other data)
//   data.csv                   (the caller's) the manifest built from datasets
//   failed.csv, no_face.csv    clips that could not be read / whose face was not found
//   folds/NAME/last.pt         checkpoint after every epoch (atomic)
//   folds/NAME/best.pt         best validation UF1 (with a validation split)
//   folds/NAME/metrics.csv|json  per-epoch loss, accuracy, validation metrics, speed
//   folds/NAME/fold.json       the fold's selected epoch
//   folds/NAME/test_aus.csv    an AU head's test clips, annotated and predicted
//   folds/NAME/relabelled.csv  SCN: training clips it relabelled
//   folds/NAME/test_by_epoch.csv  report_test_selected: test predictions after every epoch
//   folds/NAME/test_predictions.csv  the fold's test clips (marks the fold done)
//   predictions.csv, summary.json, aus.csv   pooled over every fold
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "mexa/engine/distributed.h"
#include "mexa/engine/protocols.h"
#include "mexa/engine/trainer.h"
#include "mexa/io/manifest.h"
#include "mexa/pipeline/inputs.h"
#include "mexa/temporal/clip_loader.h"
#include "mexa/training/pool.h"
#include "mexa/training/run_files.h"

namespace mexa::training {

struct TrainRunOptions {
  std::filesystem::path dir;            ///< the run folder
  std::string data;                     ///< a mexa manifest (read with `manifest_options`)
  io::ManifestOptions manifest_options;
  temporal::ClipSpec spec;              ///< the model's input
  /// The trainer's configuration; its classes are the manifest's. With an AU
  /// head, config.uncertainty.au_names is non-empty (a placeholder will do):
  /// the manifest's AUs replace it.
  engine::TrainConfig config;
  engine::ProtocolOptions protocol;
  std::string protocol_name = "loso", loss_name = "ce";  ///< as summary.json records them
  std::string eval_label = "emotion";   ///< the column test folds are scored against
  /// The HDF5 cache of prepared clips: "auto" (RUN/clips.h5), a path or "none";
  /// made distinct per fold shard and per rank.
  std::string cache = "auto";
  pipeline::Shard fold_shard;           ///< this process trains folds f with f % count == index
  engine::LaunchInfo launch;            ///< a data-parallel launch (torchrun, srun), or one process
  std::chrono::seconds dist_timeout{1800};
  bool resume = false;                  ///< continue RUN: finished folds are kept, others continue from last.pt
  bool joining = false;                 ///< a fold shard joining a run another shard started
  bool gather = false;                  ///< only pool the finished folds (train nothing)
  bool report_test_selected = false;    ///< predict each test fold every epoch; summary.json's test_selected
  /// config.ini's text ("key = value" lines): written by the first process to
  /// start the run; a fold shard starting beside it must hold the same
  /// settings. Empty: run_training describes these options itself.
  std::string settings;
};

/// Progress of a run, for a command line or a notebook; each may be empty.
struct TrainRunCallbacks {
  std::function<void(int64_t done, int64_t total)> on_prepare;  ///< clips prepared
  /// A training step: the fold ("fold NAME (k/n)"), epoch (1-based), step, steps, running mean loss.
  std::function<void(const std::string& fold, int epoch, int step, int steps, double loss)> on_step;
  /// An epoch done, its checkpoint written.
  std::function<void(const std::string& fold, const engine::EpochRecord& record)> on_epoch;
};

struct TrainRunResult {
  enum class Outcome {
    Pooled,        ///< every fold done: predictions.csv and summary.json written (`pooled`)
    StoppedEarly,  ///< config.stop_after_epoch reached
    ShardDone,     ///< this shard's folds done; `missing` are another shard's
    Incomplete,    ///< gather: `missing` folds have no test predictions yet
    NotRankZero,   ///< a data-parallel rank other than 0 (rank 0 reports)
  };
  Outcome outcome = Outcome::Pooled;
  std::vector<std::string> missing;  ///< unfinished folds (ShardDone, Incomplete)
  size_t folds = 0;
  size_t failed = 0;                 ///< clips that could not be read (RUN/failed.csv)
  std::optional<PooledRun> pooled;
};

/// Options with mexa's defaults for the manifest `data` (read under the class
/// set `classes`: a name such as "dfme" or "megc3", or a list, io::parse_class_set)
/// trained into `dir`: engine::default_train_config(),
/// pipeline::default_clip_spec(input_kind) and its model, LOSO, the cache in
/// RUN/clips.h5. Change any field before run_training().
TrainRunOptions default_run_options(const std::string& data, const std::filesystem::path& dir,
                                    const std::string& classes = "dfme", const std::string& input_kind = "flow");

/// Runs (or continues, or joins, or gathers) the training run `options`
/// describes. Throws SettingsError for a request the run refuses (other
/// settings or data than the run's), std::invalid_argument for a bad
/// configuration, DataError naming a file for unreadable data.
TrainRunResult run_training(const TrainRunOptions& options, const TrainRunCallbacks& callbacks = {});

/// The preprocessed-clip cache of one process: `cache` ("auto": RUN/clips.h5,
/// a path, or "none": "") made distinct per fold shard and per data-parallel
/// rank (HDF5 files take one writer).
std::string cache_path_for(const std::string& cache, const std::filesystem::path& run_dir, const pipeline::Shard& shard,
                           int rank);

}  // namespace mexa::training
