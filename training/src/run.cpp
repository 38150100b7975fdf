#include "mexa/training/run.h"

#include <spdlog/fmt/ranges.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <map>
#include <memory>
#include <set>
#include <sstream>

#include "mexa/engine/device.h"
#include "mexa/io/checksum.h"
#include "mexa/io/class_sets.h"
#include "mexa/io/csv.h"
#include "mexa/io/errors.h"
#include "mexa/io/failpoint.h"
#include "mexa/io/frame_folder.h"
#include "mexa/io/results.h"
#include "mexa/io/text.h"
#include "mexa/key_values.h"
#include "mexa/pipeline/manifest_clip_source.h"
#include "mexa/pipeline/model_input.h"
#include "mexa/training/predictions.h"
#include "mexa/training/relabel_audit.h"
#include "mexa/training/targets.h"
#include "mexa/training/test_selected.h"

namespace mexa::training {

namespace fs = std::filesystem;

std::string cache_path_for(const std::string& cache, const fs::path& run_dir, const pipeline::Shard& shard, int rank) {
  if (cache == "none") return "";
  std::string path = cache == "auto" ? (run_dir / "clips.h5").string() : cache;
  std::string suffix;
  if (shard.count > 1) suffix += ".shard" + std::to_string(shard.index);
  if (rank > 0) suffix += ".rank" + std::to_string(rank);
  return io::with_h5_suffix(path, suffix);
}

namespace {

constexpr auto kForever = std::chrono::hours(24 * 7);

/// One run, one process: the state shared by its stages.
class Run {
 public:
  Run(const TrainRunOptions& o, const TrainRunCallbacks& callbacks)
      : o_(o), callbacks_(callbacks), config_(o.config), rank0_(o.launch.rank == 0) {}

  TrainRunResult run() {
    read_data();
    join_group();
    if (o_.gather)
      failures_ = read_failures(o_.dir / "failed.csv", manifest_);
    else
      prepare_clips();
    make_folds();
    TrainRunResult result;
    result.folds = folds_.size();
    result.failed = failures_.size();
    RunDescription description{o_.dir,     &manifest_,      folds_,       config_.classes, config_.uncertainty.au_names,
                               failures_, o_.protocol_name, config_.model, o_.loss_name,    o_.eval_label,
                               config_.seed};
    if (o_.gather) {
      result.missing = unfinished_folds(description);
      if (!result.missing.empty()) {
        result.outcome = TrainRunResult::Outcome::Incomplete;
        return result;
      }
      result.pooled = write_pooled_run(description);
      return result;
    }
    const bool stopped_early = train_my_folds();
    if (!rank0_) {
      // torchrun stops every worker once one exits non-zero (1: unreadable
      // clips): the other ranks leave only after rank 0 has written its files.
      group_->store_wait("run/finished", kForever);
      result.outcome = TrainRunResult::Outcome::NotRankZero;
      return result;
    }
    if (stopped_early) {
      result.outcome = TrainRunResult::Outcome::StoppedEarly;
    } else if (result.missing = unfinished_folds(description); !result.missing.empty()) {
      result.outcome = TrainRunResult::Outcome::ShardDone;  // the last shard to finish, or --gather, pools
    } else {
      result.pooled = write_pooled_run(description);
    }
    if (group_) group_->store_set("run/finished", "1");
    return result;
  }

 private:
  /// The manifest, its targets, and (resuming or joining) the check that it is the run's.
  void read_data() {
    manifest_ = io::read_manifest(o_.data, o_.manifest_options);
    for (const auto& problem : manifest_.skipped) spdlog::warn("{}", problem.message);
    if (manifest_.rows.empty()) throw DataError(o_.data, "no usable rows");
    if (o_.spec.kind == temporal::InputKind::FlowImage)  // refused now, not after every clip failed to load
      for (const auto& row : manifest_.rows)
        if (!io::is_image_extension(fs::path(row.path).extension().string()))
          throw SettingsError("--input flow-image: " + o_.data + " line " + std::to_string(row.line) + " names " +
                              row.path + ", not an image file (a flow image per clip: `mexa flow` writes them)");
    auto& uc = config_.uncertainty;
    if (!uc.au_names.empty()) uc.au_names = au_vocabulary(manifest_);
    targets_ = train_targets(manifest_, uc.au_names);
    eval_labels_ = evaluation_labels(manifest_, o_.eval_label, o_.manifest_options);
    // The audit's truth (--scn, --rul): the --eval-label column, or synth's true_emotion.
    if (!evaluates_training_label(o_.eval_label)) {
      truth_ = eval_labels_, truth_column_ = o_.eval_label;
    } else if ((uc.scn || uc.rul) && !manifest_.rows.empty() &&
               std::all_of(manifest_.rows.begin(), manifest_.rows.end(),
                           [](const io::ManifestRow& r) { return r.extra.count("true_emotion") > 0; })) {
      truth_ = evaluation_labels(manifest_, "true_emotion", o_.manifest_options), truth_column_ = "true_emotion";
    }
    if (!uc.au_names.empty()) spdlog::info("AU head: {} AUs ({})", uc.au_names.size(), fmt::join(uc.au_names, " "));
    const auto with_candidates = std::count_if(manifest_.rows.begin(), manifest_.rows.end(),
                                               [](const io::ManifestRow& r) { return !r.candidates.empty(); });
    if (uc.candidate_labels && with_candidates == 0)
      spdlog::warn("--candidate-labels: no row of {} lists candidates (emotion written \"a|b\"): plain cross-entropy",
                   o_.data);
    if (!uc.candidate_labels && with_candidates > 0)
      spdlog::warn("{} rows of {} list candidate emotions (\"a|b\"): trained on the first (--candidate-labels uses all)",
                   with_candidates, o_.data);
    config_.metadata = pipeline::input_metadata(o_.spec);
    config_.metadata["input.jitter"] = std::to_string(o_.spec.jitter);
    config_.metadata["data.manifest"] = fs::absolute(o_.data).string();
    data_hash_ = io::sha256_file(o_.data);
    if (o_.resume || o_.joining) check_run_manifest(o_.resume ? "--resume" : "--fold-shard");
  }

  /// A resume trains on the same clips: the manifest's content, not only its path, must match.
  void check_run_manifest(const std::string& who) const {
    const fs::path path = o_.dir / "manifest.sha256";
    if (!fs::exists(path)) return;
    std::istringstream in(io::read_text_file(path.string()));
    std::string trained_on;
    in >> trained_on;
    if (trained_on != data_hash_)
      throw SettingsError(who + ": " + o_.data + " is not the manifest this run was trained on (sha256 " + data_hash_ +
                          ", the run's " + trained_on + "); start a new --out for other data");
  }

  /// Every rank has checked what it was given; joining the group waits for all
  /// of them, so no rank reads a file another rank is writing.
  void join_group() {
    if (!o_.launch.distributed() || o_.gather) return;
    try {
      group_ = std::make_unique<engine::ProcessGroup>(o_.launch, config_.device, o_.dist_timeout);
    } catch (const std::runtime_error& e) {
      throw DataError(o_.launch.master_addr + ":" + std::to_string(o_.launch.master_port), e.what());
    }
    config_.group = group_.get();
    if (rank0_)
      spdlog::info("data-parallel: {} ranks ({}, {}), global batch {} ({} per rank), {} threads per rank",
                   o_.launch.world_size, o_.launch.launcher, group_->backend(), config_.batch_size,
                   config_.batch_size / o_.launch.world_size, engine::compute_threads());
  }

  /// The run's files (the first process writes them), then every clip decoded once into the cache.
  void prepare_clips() {
    const fs::path config_path = o_.dir / "config.ini", hash_path = o_.dir / "manifest.sha256";
    if (rank0_) {
      fs::create_directories(o_.dir / "folds");
      // Fold shards starting together race to create these: one wins, the others compare.
      if (!io::create_text_file(config_path.string(), o_.settings) && !o_.resume && !o_.joining)
        check_same_settings(read_settings(config_path.string()), parse_settings(o_.settings), config_path.string(),
                            "--fold-shard");
      if (!io::create_text_file(hash_path.string(), data_hash_ + "\n") && !o_.resume && !o_.joining)
        check_run_manifest("--fold-shard");
    }
    // Data-parallel ranks after the first start from rank 0's cache (a copy:
    // HDF5 files take one writer) once it is filled.
    const std::string cache_path = cache_path_for(o_.cache, o_.dir, o_.fold_shard, o_.launch.rank);
    const std::string prepared_key =
        "prepared/" + std::to_string(o_.fold_shard.index) + "/" + std::to_string(o_.fold_shard.count);
    if (group_ && !cache_path.empty() && !rank0_) {
      group_->store_wait(prepared_key, kForever);
      const std::string rank0_cache = cache_path_for(o_.cache, o_.dir, o_.fold_shard, 0);
      if (fs::exists(rank0_cache) && !fs::exists(cache_path))
        fs::copy_file(rank0_cache, cache_path, fs::copy_options::skip_existing);
    }
    source_ = std::make_unique<pipeline::ManifestClipSource>(manifest_.rows, o_.spec, cache_path,
                                                             std::max(1, config_.workers), /*record_failures=*/false);
    source_->prepare([&](int64_t done, int64_t total) {
      if (rank0_ && callbacks_.on_prepare) callbacks_.on_prepare(done, total);
    });
    if (group_ && rank0_) group_->store_set(prepared_key, "1");
    failures_ = source_->failures();
    std::string failed_csv = "id,path,error\n";
    for (const auto& [index, message] : failures_) {
      const auto& row = manifest_.rows[static_cast<size_t>(index)];
      if (rank0_) spdlog::error("{}", message);
      failed_csv += io::csv_escape(row.id) + "," + io::csv_escape(row.path) + "," + io::csv_escape(message) + "\n";
    }
    if (rank0_) io::write_text_file((o_.dir / "failed.csv").string(), failed_csv);
    no_face_ = source_->no_face();
    if (rank0_) report_no_face();
  }

  /// Clips whose detector found no face (trained and tested on the whole frame,
  /// as `mexa score` scores them): one warning, and no_face.csv in the run.
  void report_no_face() const {
    std::string csv = "id,path\n";
    std::vector<std::string> ids;
    for (int64_t i : no_face_) {
      const auto& row = manifest_.rows[static_cast<size_t>(i)];
      csv += io::csv_escape(row.id) + "," + io::csv_escape(row.path) + "\n";
      ids.push_back(row.id);
    }
    io::write_text_file((o_.dir / "no_face.csv").string(), csv);
    if (!ids.empty())
      spdlog::warn("{} of {} clips: no face found on the alignment frame, the whole frame is used ({}; "
                   "--require-face fails them): {}",
                   ids.size(), manifest_.rows.size(), (o_.dir / "no_face.csv").string(), io::first_items(ids, 8));
  }

  /// Subject-independent folds of the clips that could be read, indexed by manifest row.
  void make_folds() {
    for (size_t i = 0; i < manifest_.rows.size(); ++i)
      if (!failures_.count(static_cast<int64_t>(i))) usable_.push_back(static_cast<int64_t>(i));
    if (usable_.empty()) throw DataError(o_.data, "no clip could be read");
    std::vector<std::string> subjects;
    for (int64_t i : usable_) subjects.push_back(manifest_.rows[static_cast<size_t>(i)].subject);
    try {
      folds_ = engine::make_folds(subjects, o_.protocol);
    } catch (const std::invalid_argument& e) {
      throw DataError(o_.data, e.what());
    }
    for (auto& fold : folds_)  // make_folds indexed the usable clips; back to manifest rows
      for (auto* part : {&fold.train, &fold.val, &fold.test})
        for (auto& i : *part) i = usable_[static_cast<size_t>(i)];
  }

  /// This shard's folds, each trained and tested unless done earlier; true when stopped early on purpose.
  bool train_my_folds() {
    const std::vector<size_t> mine = folds_of_shard(folds_.size(), o_.fold_shard);
    if (rank0_) log_plan(mine);
    bool stopped_early = false;
    for (size_t f : mine) {
      const auto& fold = folds_[f];
      const fs::path done_marker = o_.dir / "folds" / fold.name / "test_predictions.csv";
      if ((o_.resume || o_.joining) && fs::exists(done_marker)) {
        if (rank0_) spdlog::info("fold {} ({}/{}): done earlier", fold.name, f + 1, folds_.size());
        continue;
      }
      if (!train_fold(f)) stopped_early = true;
    }
    return stopped_early;
  }

  void log_plan(const std::vector<size_t>& mine) const {
    std::set<std::string> subjects;
    for (int64_t i : usable_) subjects.insert(manifest_.rows[static_cast<size_t>(i)].subject);
    spdlog::info("{} clips ({} unreadable), {} classes, {} subjects, {} folds ({}), model {} on {}, loss {}",
                 usable_.size(), failures_.size(), config_.classes.size(), subjects.size(), folds_.size(),
                 o_.protocol_name, config_.model, engine::resolve_device(config_.device).name, o_.loss_name);
    if (o_.fold_shard.count > 1) {
      std::vector<std::string> names;
      for (size_t f : mine) names.push_back(folds_[f].name);
      spdlog::info("fold shard {}/{}: {} of {} folds (f % {} == {}): {}", o_.fold_shard.index, o_.fold_shard.count,
                   mine.size(), folds_.size(), o_.fold_shard.count, o_.fold_shard.index, io::first_items(names, 12));
    }
  }

  /// Trains fold f, then (rank 0) tests it and writes its files; false when stopped after an epoch on purpose.
  bool train_fold(size_t f) {
    const auto& fold = folds_[f];
    const fs::path dir = o_.dir / "folds" / fold.name;
    const std::string what = "fold " + fold.name + " (" + std::to_string(f + 1) + "/" + std::to_string(folds_.size()) + ")";
    if (rank0_ && !no_face_.empty()) {
      const auto count = [&](const std::vector<int64_t>& part) {
        return std::count_if(part.begin(), part.end(), [&](int64_t i) { return no_face_.count(i) > 0; });
      };
      spdlog::info("{}: no face found in {} of {} training and {} of {} test clips (whole frame used)", what,
                   count(fold.train), fold.train.size(), count(fold.test), fold.test.size());
    }
    engine::FitCallbacks fit_callbacks;
    fit_callbacks.on_step = [&](int epoch, int step, int steps, double mean_loss) {
      io::failpoint("kill-in-training-step");  // crash tests: a rank that dies mid-epoch
      if (rank0_ && callbacks_.on_step) callbacks_.on_step(what, epoch, step, steps, mean_loss);
    };
    if (rank0_ && callbacks_.on_epoch)
      fit_callbacks.on_epoch = [&](const engine::EpochRecord& r) { callbacks_.on_epoch(what, r); };
    if (o_.report_test_selected) fit_callbacks.watched = fold.test;
    const auto result = engine::fit(config_, *source_, targets_, fold.train, fold.val, dir.string(), o_.resume,
                                    fit_callbacks);
    if (static_cast<int>(result.history.size()) < config_.schedule.epochs) return false;  // stop_after_epoch
    if (!rank0_) {
      // Data-parallel: rank 0 tests and writes the fold's files. Waiting for
      // that in the store, not in the next fold's first collective, keeps a
      // long test set from running into the group's timeout.
      group_->store_wait("fold-done/" + fold.name, kForever);
      return true;
    }
    test_fold(fold, dir, result, what);
    if (group_) group_->store_set("fold-done/" + fold.name, "1");
    return true;
  }

  /// The fold's test clips through its selected checkpoint, and its files; the predictions file last (it marks the fold done).
  void test_fold(const engine::Fold& fold, const fs::path& dir, const engine::FitResult& result,
                 const std::string& what) {
    const auto& uc = config_.uncertainty;
    if (uc.scn) {
      io::write_text_file((dir / "relabelled.csv").string(), relabelled_csv(result.relabelled, manifest_, config_.classes));
      spdlog::info("{}: SCN relabelled {} training clips ({})", what, result.relabelled.size(),
                   (dir / "relabelled.csv").string());
      io::write_text_file((dir / "relabels_by_epoch.csv").string(),
                          relabels_by_epoch_csv(result.history, manifest_, config_.classes));
    }
    if ((uc.scn || uc.rul) && !truth_.empty()) {
      const auto audit = audit_relabels(fold.train, targets_.labels, truth_, result.relabelled, result.importance,
                                        config_.classes.size(), result.uncertainty);
      nlohmann::json j = audit_to_json(audit, config_.classes);
      j["truth"] = truth_column_;
      io::write_text_file((dir / "audit.json").string(), j.dump(2) + "\n");
      if (uc.scn)
        spdlog::info("{}: relabelling audit against {}: precision {:.3f}, recall {:.3f} ({} of {} noisy clips fixed)",
                     what, truth_column_, audit.precision(), audit.recall(), audit.restored, audit.noisy);
      if (uc.rul)
        spdlog::info("{}: RUL uncertainty against {}: AUC {:.3f} for the {} noisy of {} training clips", what,
                     truth_column_, audit.uncertainty_auc, audit.noisy, audit.training);
    }
    engine::Predictor predictor(result.selected_checkpoint, config_.device);
    const auto outputs = predictor.predict_all(*source_, fold.test, config_.batch_size, config_.workers);
    const bool au_head = !uc.au_names.empty();
    IndexedPredictions predictions;
    std::vector<AuPrediction> aus;
    for (size_t t = 0; t < fold.test.size(); ++t) {
      const auto& row = manifest_.rows[static_cast<size_t>(fold.test[t])];
      predictions.emplace_back(fold.test[t],
                               PredictionRow{row.id, row.subject, fold.name, eval_labels_[static_cast<size_t>(fold.test[t])],
                                             predicted_class(outputs[t].probs), outputs[t].probs});
      if (au_head)
        if (auto a = au_prediction(targets_, fold.test[t], row.id, outputs[t].au_probs)) aus.push_back(std::move(*a));
    }
    if (au_head) io::write_text_file((dir / "test_aus.csv").string(), au_predictions_csv(aus, uc.au_names));
    write_fold_record(dir, result.best_epoch);
    if (o_.report_test_selected)
      io::write_text_file((dir / "test_by_epoch.csv").string(),
                          test_by_epoch_csv(result.history, fold.test, manifest_, eval_labels_, config_.classes));
    io::write_text_file((dir / "test_predictions.csv").string(),
                        predictions_csv(rows_of(predictions), config_.classes, /*with_fold=*/true));
  }

  const TrainRunOptions& o_;
  const TrainRunCallbacks& callbacks_;
  engine::TrainConfig config_;
  const bool rank0_;
  io::Manifest manifest_;
  engine::TrainTargets targets_;
  std::vector<int> eval_labels_;
  std::vector<int> truth_;     ///< true labels for the relabelling audit; empty: none known
  std::string truth_column_;
  std::string data_hash_;
  std::unique_ptr<engine::ProcessGroup> group_;
  std::unique_ptr<pipeline::ManifestClipSource> source_;
  std::map<int64_t, std::string> failures_;
  std::set<int64_t> no_face_;
  std::vector<int64_t> usable_;
  std::vector<engine::Fold> folds_;
};

/// config.ini for a run a program started: what changes its results, as key = value lines.
std::string describe(const TrainRunOptions& o) {
  const auto& c = o.config;
  std::map<std::string, std::string> fields = pipeline::input_metadata(o.spec);
  fields["model"] = c.model;
  fields["head"] = c.head;
  fields["loss"] = o.loss_name;
  fields["optimizer"] = c.optimizer;
  fields["lr"] = fmt::format("{}", c.schedule.base);
  fields["epochs"] = std::to_string(c.schedule.epochs);
  fields["batch"] = std::to_string(c.batch_size);
  fields["weight-decay"] = fmt::format("{}", c.weight_decay);
  fields["augment"] = c.augment_enabled ? "true" : "false";
  fields["seed"] = std::to_string(c.seed);
  fields["classes"] = fmt::format("{}", fmt::join(c.classes, ","));
  fields["protocol"] = o.protocol_name;
  fields["folds"] = std::to_string(o.protocol.folds);
  fields["val-fraction"] = fmt::format("{}", o.protocol.val_fraction);
  fields["eval-label"] = o.eval_label;
  std::string text = "# training::run_training: the settings of a run started by a program\n";
  for (const auto& [key, value] : fields) text += key + " = " + value + "\n";
  return text;
}

}  // namespace

TrainRunOptions default_run_options(const std::string& data, const fs::path& dir, const std::string& classes,
                                    const std::string& input_kind) {
  TrainRunOptions o;
  o.dir = dir;
  o.data = data;
  o.manifest_options = io::with_classes(io::ManifestOptions{}, io::parse_class_set(classes));
  o.spec = pipeline::default_clip_spec(input_kind);
  o.config = engine::default_train_config();
  o.config.model = pipeline::default_model(input_kind);
  o.config.classes = o.manifest_options.class_names;
  o.config.augment.flow_field = o.spec.kind == temporal::InputKind::Flow || o.spec.kind == temporal::InputKind::FlowImage;
  return o;  // settings: derived from the options by run_training
}

TrainRunResult run_training(const TrainRunOptions& options, const TrainRunCallbacks& callbacks) {
  if (!parse_key_values(options.settings).empty()) return Run(options, callbacks).run();
  // A program's run (no command line): its settings are what it computes with,
  // so a second run into the folder with other settings is refused.
  TrainRunOptions described = options;
  described.settings = describe(options);
  return Run(described, callbacks).run();
}

}  // namespace mexa::training
