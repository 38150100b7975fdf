#include "mexa/engine/trainer.h"

#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <map>
#include <stdexcept>

#include "augment.h"
#include "autocast.h"
#include "batch_context.h"
#include "gradient_sync.h"
#include "checkpoint.h"
#include "history.h"
#include "mexa/engine/device.h"
#include "mexa/engine/distributed.h"
#include "mexa/engine/losses.h"
#include "mexa/engine/metrics.h"
#include "mexa/engine/models.h"
#include "optimizer.h"
#include "prefetcher.h"
#include "relabels.h"
#include "scn_guard.h"
#include "training_step.h"

namespace mexa::engine {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) { return std::chrono::duration<double>(Clock::now() - start).count(); }

/// Predictions (argmax) of `model` on `indices`, no augmentation.
std::vector<int> predict_labels(VideoModel& model, ClipSource& source, const std::vector<int64_t>& indices,
                                const torch::Device& device, const TrainConfig& c) {
  model.eval();
  torch::NoGradGuard no_grad;
  Prefetcher prefetcher(
      chunk(indices, c.batch_size),
      [&](int64_t index, int worker) {
        auto clip = source.load(index, 0, worker);
        if (clip.data.empty()) throw std::runtime_error("clip " + std::to_string(index) + " failed to load");
        return to_tensor(std::move(clip));
      },
      c.workers, c.prefetch);
  std::vector<int> predictions;
  for (size_t b = 0; b < prefetcher.size(); ++b) {
    const auto x = torch::stack(prefetcher.next()).to(device);
    torch::Tensor logits;
    {
      AutocastScope autocast(c.amp && device.is_cuda());
      logits = model.forward(x);
    }
    const auto argmax = logits.argmax(1).to(torch::kCPU, torch::kInt64).contiguous();
    const int64_t* classes = argmax.data_ptr<int64_t>();
    predictions.insert(predictions.end(), classes, classes + argmax.numel());
  }
  return predictions;
}

}  // namespace

namespace {

/// One fold's training: the model, its optimiser and loss, and what an epoch needs.
class FoldTraining {
 public:
  FoldTraining(const TrainConfig& config, ClipSource& source, const TrainTargets& targets,
               const std::vector<int64_t>& train, const FitCallbacks& callbacks)
      : config_(config), source_(source), targets_(targets), relabels_(targets.labels), train_(train),
        callbacks_(callbacks), head_(resolve_head(config)), device_(resolve_device(config.device).name) {
    const auto& labels = targets.labels;
    const int num_classes = static_cast<int>(config.classes.size());
    // Class counts (a class missing from this fold's training set counts as 1
    // so that the re-weighting losses stay finite).
    counts_.assign(static_cast<size_t>(num_classes), 0);
    for (int64_t i : train) {
      train_labels_.push_back(labels[static_cast<size_t>(i)]);
      ++counts_[static_cast<size_t>(labels[static_cast<size_t>(i)])];
    }
    for (auto& n : counts_) n = std::max<int64_t>(n, 1);
    step_loss_ = std::make_unique<StepLoss>(config, counts_, head_ == "cosine" ? config.loss.s : 1.0);
    // The input's channel count comes from the data.
    const ClipArray probe = source.load(train.front(), 0, 0);
    if (probe.shape.size() != 4 || probe.data.empty())
      throw std::runtime_error("training clip " + std::to_string(train.front()) + " did not load");
    in_channels_ = static_cast<int>(probe.shape[0]);
    torch::manual_seed(config.seed);
    model_ = build_model(config.model, num_classes, in_channels_, config.cbam, head_, config.uncertainty);
    model_->to(device_);
    optimizer_ = make_optimizer(config, *model_);
    broadcast_model();
  }

  bool writes_files() const { return !config_.group || config_.group->rank() == 0; }

  TrainState restore(const fs::path& checkpoint) {
    TrainState state = restore_checkpoint(checkpoint, device_, config_, head_, *model_, *optimizer_);
    relabels_.restore(state.relabelled, checkpoint.string());
    broadcast_model();
    return state;
  }

  /// What one epoch's steps add up.
  struct EpochTally {
    double loss_sum = 0, model_seconds = 0, lr = 0;
    int64_t seen = 0, correct = 0;
    bool relabelling = false;                 ///< SCN: collect the epoch's logits and weights per clip
    std::map<int64_t, ScnEpochClip> scn_clips;  // relabelled at the epoch's end (scn_guard.h)
    std::map<int64_t, float> uncertainty;       // RUL: the epoch's u per clip
  };

  /// The epoch's sampled order cut into batches, this rank's share of each.
  std::vector<BatchShare> epoch_shares(int epoch) {
    const ClassSampling sampling = epoch < config_.representation_epochs ? ClassSampling::Instance : config_.sampling;
    std::vector<int64_t> order;
    for (int64_t local : epoch_indices(sampling, train_labels_, epoch, config_.schedule.epochs, config_.seed))
      order.push_back(train_[static_cast<size_t>(local)]);
    // Data-parallel: every rank walks the same global batches and takes its
    // contiguous share of each (so the global order is one process's).
    return rank_shares(chunk(order, config_.batch_size), config_.group ? config_.group->rank() : 0,
                       config_.group ? config_.group->size() : 1, warned_small_batch_);
  }

  /// One optimiser step on one batch share; its figures into `tally`.
  void train_step(int epoch, int step, int steps, const BatchShare& share, const std::vector<torch::Tensor>& clips,
                  EpochTally& tally) {
    const auto step_start = Clock::now();
    const std::vector<int64_t>& batch = share.clips;
    StepInput in = step_input(batch);
    in.x = torch::stack(clips).to(device_);
    in.epoch = epoch;
    tally.lr = learning_rate(config_.schedule, epoch, step, steps);
    set_learning_rate(*optimizer_, tally.lr);
    optimizer_->zero_grad();
    const BatchContext context{config_.group ? &config_.group->impl() : nullptr,
                               sample_seed(config_.seed ^ 0x9e3779b97f4a7c15ULL, epoch, step), share.offset,
                               share.global};
    StepOutput out;
    {
      const BatchScope scope(context);
      out = (*step_loss_)(*model_, in);
    }
    if (config_.group) {
      // Each rank's mean loss weighted by its share: the ranks' gradients sum to the global batch's.
      (out.loss * (static_cast<double>(batch.size()) / static_cast<double>(share.global))).backward();
      all_reduce_gradients(*model_, *config_.group);
    } else {
      out.loss.backward();
    }
    optimizer_->step();
    const double batch_loss = out.loss.item<double>();  // waits for the device: the step is done
    tally.correct += (out.logits.argmax(1) == in.y).sum().item<int64_t>();
    if (tally.relabelling) collect(batch, out, tally.scn_clips);
    if (out.uncertainty.defined()) keep_uncertainty(batch, out.uncertainty, tally.uncertainty);
    tally.model_seconds += seconds_since(step_start);
    tally.loss_sum += batch_loss * static_cast<double>(clips.size());
    tally.seen += static_cast<int64_t>(clips.size());
  }

  /// One pass over the epoch's sampled order; the record's training fields.
  EpochRecord train_epoch(int epoch) {
    const auto start = Clock::now();
    const std::vector<BatchShare> shares = epoch_shares(epoch);
    std::vector<std::vector<int64_t>> batches;
    for (const auto& share : shares) batches.push_back(share.clips);
    Prefetcher prefetcher(
        batches,
        [&](int64_t index, int worker) {
          const uint64_t seed = sample_seed(config_.seed, epoch, index);
          auto clip = source_.load(index, seed, worker);
          if (clip.data.empty()) throw std::runtime_error("training clip " + std::to_string(index) + " failed to load");
          auto x = to_tensor(std::move(clip));
          return config_.augment_enabled ? augment_clip(x, config_.augment, seed) : x.clone();
        },
        config_.workers, config_.prefetch);

    model_->train();
    const int steps = static_cast<int>(prefetcher.size());
    EpochTally tally;
    tally.relabelling = config_.uncertainty.scn && epoch + 1 >= config_.uncertainty.scn_relabel_epoch;
    for (int step = 0; step < steps; ++step) {
      train_step(epoch, step, steps, shares[static_cast<size_t>(step)], prefetcher.next(), tally);
      if (callbacks_.on_step)
        callbacks_.on_step(epoch + 1, step + 1, steps, tally.loss_sum / static_cast<double>(tally.seen));
    }
    if (config_.group) {  // the epoch's figures over every rank's clips
      std::vector<double> totals{tally.loss_sum, static_cast<double>(tally.seen), static_cast<double>(tally.correct)};
      config_.group->all_reduce_sum(totals);
      tally.loss_sum = totals[0];
      tally.seen = static_cast<int64_t>(totals[1]);
      tally.correct = static_cast<int64_t>(totals[2]);
    }
    const double seconds = seconds_since(start);
    EpochRecord record;
    record.epoch = epoch + 1;
    record.lr = tally.lr;
    record.train_loss = tally.loss_sum / static_cast<double>(tally.seen);
    record.train_acc = static_cast<double>(tally.correct) / static_cast<double>(tally.seen);
    record.clips_per_second = static_cast<double>(tally.seen) / seconds;
    record.busy_fraction = tally.model_seconds / seconds;
    if (tally.relabelling) relabel(tally.scn_clips, epoch, record);
    if (!tally.uncertainty.empty()) uncertainty_.assign(tally.uncertainty.begin(), tally.uncertainty.end());
    return record;
  }

  /// RUL: a step's per-clip uncertainty, for the audit (the last epoch's is kept).
  static void keep_uncertainty(const std::vector<int64_t>& batch, const torch::Tensor& u, std::map<int64_t, float>& out) {
    const torch::Tensor values = u.to(torch::kCPU, torch::kFloat32).contiguous();
    for (size_t k = 0; k < batch.size(); ++k) out[batch[k]] = values.data_ptr<float>()[k];
  }

  /// A step's logits and importance weights, kept per clip for the epoch's relabelling.
  void collect(const std::vector<int64_t>& batch, const StepOutput& out, std::map<int64_t, ScnEpochClip>& clips) const {
    const torch::Tensor logits = out.logits.detach().to(torch::kCPU, torch::kFloat32).contiguous();
    const torch::Tensor weights = out.importance.to(torch::kCPU, torch::kFloat32).contiguous();
    const auto classes = logits.size(1);
    for (size_t k = 0; k < batch.size(); ++k) {
      ScnEpochClip& c = clips[batch[k]];
      c.index = batch[k];
      c.original = relabels_.original(static_cast<size_t>(batch[k]));
      c.current = relabels_.label(static_cast<size_t>(batch[k]));
      c.importance = weights.data_ptr<float>()[k];
      const float* row = logits.data_ptr<float>() + static_cast<int64_t>(k) * classes;
      c.logits.assign(row, row + classes);
    }
  }

  /// SCN's guarded relabelling after the epoch; the changes go into the record.
  void relabel(const std::map<int64_t, ScnEpochClip>& clips, int epoch, EpochRecord& record) {
    std::vector<ScnEpochClip> list;
    for (const auto& [index, c] : clips) list.push_back(c);
    const UncertaintyConfig& u = config_.uncertainty;
    const ScnPlan plan = plan_relabels(list, counts_, {u.scn_delta, u.scn_ratio, u.scn_class_cap, head_ == "cosine"});
    for (const ScnChange& c : plan.changes) {
      relabels_.set(c.index, c.to, epoch);
      record.relabel_moves.push_back({c.index, c.from, c.to, epoch + 1});
    }
    record.relabelled = static_cast<int>(relabels_.changed().size());
    record.relabel_scale = plan.scale;
    importance_.clear();
    for (const auto& c : list) importance_.emplace_back(c.index, c.importance);
  }

  /// The record's validation fields, from the model's predictions on `val`.
  void validate(const std::vector<int64_t>& val, EpochRecord& record) {
    std::vector<int> val_labels;
    for (int64_t i : val) val_labels.push_back(relabels_.label(static_cast<size_t>(i)));
    const auto report = classification_report(val_labels, predict_labels(*model_, source_, val, device_, config_),
                                              static_cast<int>(config_.classes.size()));
    record.val_acc = report.acc;
    record.val_uf1 = report.uf1;
    record.val_uar = report.uar;
  }

  /// The record's predictions for the watched clips.
  void watch(const std::vector<int64_t>& clips, EpochRecord& record) {
    if (!clips.empty()) record.watched = predict_labels(*model_, source_, clips, device_, config_);
  }

  /// Rank 0's weights and buffers on every rank (data-parallel).
  void broadcast_model() {
    if (config_.group) engine::broadcast_model(*model_, *config_.group);
  }

  void save(const fs::path& path, TrainState& state) {
    state.relabelled = relabels_.all();
    save_checkpoint(path, *model_, *optimizer_, config_, head_, in_channels_, counts_, state);
  }

 private:
  /// The batch's (current) labels, candidate sets and AU targets as tensors.
  StepInput step_input(const std::vector<int64_t>& batch) const {
    StepInput in;
    std::vector<int64_t> labels;
    for (int64_t i : batch) labels.push_back(relabels_.label(static_cast<size_t>(i)));
    in.y = torch::tensor(labels, torch::kInt64).to(device_);
    const UncertaintyConfig& u = config_.uncertainty;
    const auto b = static_cast<int64_t>(batch.size());
    if (u.candidate_labels) {
      in.candidates = torch::zeros({b, static_cast<int64_t>(config_.classes.size())});
      for (int64_t k = 0; k < b; ++k) {
        const auto i = static_cast<size_t>(batch[static_cast<size_t>(k)]);
        in.candidates[k][relabels_.label(i)] = 1;
        if (i < targets_.candidates.size())
          for (int c : targets_.candidates[i]) in.candidates[k][c] = 1;
      }
      in.candidates = in.candidates.to(device_);
    }
    if (!u.au_names.empty()) {
      in.aus = torch::zeros({b, static_cast<int64_t>(u.au_names.size())});
      in.au_annotated = torch::ones({b});
      for (int64_t k = 0; k < b; ++k) {
        const auto i = static_cast<size_t>(batch[static_cast<size_t>(k)]);
        for (int a : targets_.aus[i]) in.aus[k][a] = 1;
        if (i < targets_.au_annotated.size() && !targets_.au_annotated[i]) in.au_annotated[k] = 0;
      }
      in.aus = in.aus.to(device_);
      in.au_annotated = in.au_annotated.to(device_);
    }
    return in;
  }

 public:
  std::vector<Relabel> relabelled() const { return relabels_.changed(); }
  /// SCN's weights of the last relabelling epoch (this process's; empty after a resume at the end).
  const std::vector<std::pair<int64_t, float>>& importance() const { return importance_; }
  const std::vector<std::pair<int64_t, float>>& uncertainty() const { return uncertainty_; }

 private:
  const TrainConfig& config_;
  ClipSource& source_;
  const TrainTargets& targets_;
  Relabels relabels_;  ///< the targets' labels, SCN's changes applied
  std::vector<std::pair<int64_t, float>> importance_;
  std::vector<std::pair<int64_t, float>> uncertainty_;  ///< RUL, the last epoch
  const std::vector<int64_t>& train_;
  const FitCallbacks& callbacks_;
  std::string head_;
  torch::Device device_;
  std::vector<int> train_labels_;
  std::vector<int64_t> counts_;
  std::unique_ptr<StepLoss> step_loss_;
  int in_channels_ = 0;
  std::shared_ptr<VideoModel> model_;
  std::unique_ptr<torch::optim::Optimizer> optimizer_;
  bool warned_small_batch_ = false;
};

}  // namespace

FitResult fit(const TrainConfig& config, ClipSource& source, const std::vector<int>& labels,
              const std::vector<int64_t>& train, const std::vector<int64_t>& val, const std::string& dir, bool resume,
              const FitCallbacks& callbacks) {
  TrainTargets targets;
  targets.labels = labels;
  return fit(config, source, targets, train, val, dir, resume, callbacks);
}

FitResult fit(const TrainConfig& given, ClipSource& source, const TrainTargets& targets,
              const std::vector<int64_t>& train, const std::vector<int64_t>& val, const std::string& dir, bool resume,
              const FitCallbacks& callbacks) {
  const TrainConfig config = resolved(given);
  const std::vector<int>& labels = targets.labels;
  check_config(config);
  const int num_classes = static_cast<int>(config.classes.size());
  if (num_classes < 2) throw std::invalid_argument("training needs at least 2 classes");
  if (train.empty()) throw std::invalid_argument("the training set is empty");
  for (int64_t i : train)
    if (i < 0 || i >= static_cast<int64_t>(labels.size()) || labels[static_cast<size_t>(i)] < 0 ||
        labels[static_cast<size_t>(i)] >= num_classes)
      throw std::invalid_argument("training clip " + std::to_string(i) + " has no valid label");
  if (!config.uncertainty.au_names.empty())
    for (int64_t i : train) {
      if (i >= static_cast<int64_t>(targets.aus.size()))
        throw std::invalid_argument("the AU head needs AU targets for every training clip");
      for (int a : targets.aus[static_cast<size_t>(i)])
        if (a < 0 || a >= static_cast<int>(config.uncertainty.au_names.size()))
          throw std::invalid_argument("training clip " + std::to_string(i) + " has an AU outside the head's list");
    }
  fs::create_directories(dir);
  const fs::path last_path = fs::path(dir) / "last.pt", best_path = fs::path(dir) / "best.pt";

  // Restore -> epochs (train, validate, commit) -> done.
  FoldTraining fold(config, source, targets, train, callbacks);
  TrainState state;
  FitResult result;
  if (resume && fs::exists(last_path)) {
    state = fold.restore(last_path);
    result.resumed_from = state.epoch;
  }
  const int epochs = config.schedule.epochs;
  const int stop_at = config.stop_after_epoch > 0 ? std::min(epochs, config.stop_after_epoch) : epochs;
  for (int epoch = state.epoch; epoch < stop_at; ++epoch) {
    const auto epoch_start = Clock::now();
    EpochRecord record = fold.train_epoch(epoch);
    if (!val.empty()) fold.validate(val, record);
    fold.watch(callbacks.watched, record);
    record.seconds = seconds_since(epoch_start);

    // Commit: the epoch's checkpoint (and best.pt when validation improved), then the history files.
    state.history.push_back(record);
    state.epoch = epoch + 1;
    const bool improved = !val.empty() && record.val_uf1 > state.best_uf1;
    if (improved) {
      state.best_uf1 = record.val_uf1;
      state.best_epoch = record.epoch;
    }
    if (val.empty()) state.best_epoch = record.epoch;
    if (fold.writes_files()) {  // data-parallel: rank 0 alone
      fold.save(last_path, state);
      if (improved) fold.save(best_path, state);
      write_atomically(fs::path(dir) / "metrics.csv", history_csv(state.history));
      write_atomically(fs::path(dir) / "metrics.json", history_json(state.history));
    }
    if (callbacks.on_epoch) callbacks.on_epoch(record);
  }

  result.history = state.history;
  result.relabelled = fold.relabelled();
  result.importance = fold.importance();
  result.uncertainty = fold.uncertainty();
  result.best_epoch = state.best_epoch;
  result.selected_checkpoint = (!val.empty() && fs::exists(best_path) ? best_path : last_path).string();
  return result;
}

}  // namespace mexa::engine
