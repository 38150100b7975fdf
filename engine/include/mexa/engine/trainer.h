// Training and prediction for one fold, on CPU or CUDA. No LibTorch types in
// this header: the CLI and other modules include it.
//
// Data comes from a ClipSource, implemented outside the engine (apps: decode,
// face alignment, key-frame sampling and the HDF5 clip cache). Worker threads
// prefetch and augment the next batches while the model runs on the current
// one; batches are assembled in a fixed order whatever the thread timing, so a
// run is reproducible on the CPU.
//
// Checkpoints (LibTorch archives) are written atomically (temp file + rename)
// after every epoch to DIR/last.pt and, when the validation UF1 improves, to
// DIR/best.pt. One holds the weights, the optimiser state, the CPU random
// generator, the epoch history and the metadata scoring needs (model name and
// hyper-parameters, class names, the caller's input spec). fit() with resume
// continues from DIR/last.pt: on the CPU, 2 epochs + resume + 2 epochs give
// the same weights and metrics as 4 epochs.
//
//   mexa::engine::TrainConfig config = mexa::engine::default_train_config();
//   config.classes = {...};  config.schedule.epochs = 30;
//   auto result = mexa::engine::fit(config, source, labels, fold.train, fold.val, "run/fold-1", false, {});
//   mexa::engine::Predictor predictor(result.selected_checkpoint, "auto");
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "mexa/engine/loss_config.h"
#include "mexa/engine/lr_schedule.h"
#include "mexa/engine/samplers.h"
#include "mexa/engine/uncertainty_config.h"

namespace mexa::engine {

class ProcessGroup;  // distributed.h

/// A preprocessed clip, [C, T, H, W] floats. Empty data: the clip failed to load.
struct ClipArray {
  std::vector<int64_t> shape;
  std::vector<float> data;
};

/// Where the trainer gets clips. load() is called concurrently from worker
/// threads; `worker` (0 .. workers-1) names the caller, so an implementation
/// can keep one decoder per worker. `seed` is 0 for evaluation (the canonical
/// clip) and a per-sample, per-epoch value for training (temporal jitter).
/// Errors are thrown (training stops) unless the source records them and
/// returns an empty ClipArray (prediction marks the clip failed).
class ClipSource {
 public:
  virtual ~ClipSource() = default;
  virtual ClipArray load(int64_t index, uint64_t seed, int worker) = 0;
};

/// Spatial augmentation applied by the trainer to each training clip (one
/// random draw per clip, the same transform for every frame).
struct Augment {
  double flip = 0.5;      ///< probability of a horizontal mirror
  double shift = 0.05;    ///< largest translation, fraction of the size
  double rotation = 5.0;  ///< largest rotation, degrees
  double scale = 0.05;    ///< zoom in [1 - scale, 1 + scale]
  /// The clip is an optical flow field (channel 0 = u, horizontal flow): a
  /// mirror negates u as well as reversing the columns.
  bool flow_field = false;
};

/// The trainer's settings. Its initialisers are mexa's defaults — the one
/// place they live: `mexa train` binds its flags to default_train_config(),
/// so library and command-line users get the same trainer. They were chosen
/// by measurement (docs/defaults.md, `scripts/bench defaults`): STSTNet on
/// onset->apex optical flow, AdamW at a constant 1e-3 without weight decay,
/// full batches of 256, 500 epochs, plain cross-entropy, the last epoch.
struct TrainConfig {
  std::string model = "ststnet";
  bool cbam = false;
  /// "linear", "cosine" or "auto" (cosine for ldam-drw and coupling, whose
  /// margins assume logits in [-1, 1]; linear otherwise).
  std::string head = "auto";
  std::vector<std::string> classes;  ///< label i is classes[i]
  LossConfig loss;
  ClassSampling sampling = ClassSampling::Instance;
  int representation_epochs = 0;  ///< staged: instance sampling for these first epochs, then `sampling`
  std::string optimizer = "adamw";  ///< "sgd" (Nesterov-free momentum) or "adamw"
  double momentum = 0.9;            ///< SGD only
  double weight_decay = 0;
  /// schedule.epochs is the number of epochs.
  LrSchedule schedule{.kind = LrSchedule::Kind::Constant, .base = 1e-3, .epochs = 500, .warmup_epochs = 0,
                      .min_lr = 0.0, .milestones = {}, .gamma = 0.1};
  int batch_size = 256;
  uint64_t seed = 0;
  std::string device = "auto";
  bool amp = false;   ///< CUDA only: bfloat16 autocast (no loss scaling needed)
  int workers = 2;    ///< prefetch threads (0: load in the training thread)
  int prefetch = 4;   ///< batches loaded ahead
  bool augment_enabled = false;  ///< spatial augmentation (docs/defaults.md: no gain on flow)
  Augment augment;
  /// Label-uncertainty methods and the AU head (all off by default; uncertainty.h).
  UncertaintyConfig uncertainty;
  /// Stop after this epoch (0: train all epochs). Not part of the run's
  /// identity: a run stopped early continues with resume as if uninterrupted.
  int stop_after_epoch = 0;
  /// Data-parallel training (distributed.h): this rank's group, or nullptr for
  /// one process. Every rank trains the same model on its share of each global
  /// batch of `batch_size` clips; rank 0 writes the checkpoints and metrics.
  /// Not part of the run's identity (not saved).
  ProcessGroup* group = nullptr;
  /// Free-form key/value pairs stored in every checkpoint (input spec,
  /// preprocessing, sampler...): what scoring needs to rebuild the input.
  std::map<std::string, std::string> metadata;
};

/// A training clip SCN relabelled.
struct Relabel {
  int64_t index = 0;
  int from = 0, to = 0;
  int epoch = 0;  ///< 1-based epoch of the (last) change
};

struct EpochRecord {
  int epoch = 0;  ///< 1-based
  double lr = 0;  ///< at the epoch's last step
  double train_loss = 0, train_acc = 0;
  double val_acc = -1, val_uf1 = -1, val_uar = -1;  ///< -1 without a validation set
  double seconds = 0;            ///< wall time of the epoch (training + validation)
  double clips_per_second = 0;   ///< training clips per second
  double busy_fraction = 0;      ///< share of the training wall time spent in the model (not waiting for data)
  /// The predicted class of each FitCallbacks::watched clip after this
  /// epoch, in that order (empty when none are watched). Kept in the
  /// checkpoint, not in metrics.csv.
  std::vector<int> watched;
  /// SCN, on its relabelling epochs: this epoch's changes (from -> to; an
  /// undone relabel goes back to the clip's original label), the training
  /// clips relabelled after it, and the logits' multiplier the relabelling
  /// probabilities used (a cosine head's calibrated 1 / temperature; 1 for a
  /// linear head). relabelled -1: no relabelling this epoch. Not in metrics.csv.
  std::vector<Relabel> relabel_moves;
  int relabelled = -1;
  double relabel_scale = 0;
};

/// What a clip is trained towards: its label, and what the uncertainty
/// options use. Indexed like the source's clips.
struct TrainTargets {
  std::vector<int> labels;
  /// Candidate labels per clip (candidate_labels): the label first; empty: the label alone.
  std::vector<std::vector<int>> candidates;
  /// AU targets per clip (AU head): indices into uncertainty.au_names.
  std::vector<std::vector<int>> aus;
  /// Whether each clip's AUs are annotated (AU head; empty: all are). An
  /// unannotated clip is left out of the AU loss.
  std::vector<char> au_annotated;
};

struct FitResult {
  std::vector<EpochRecord> history;
  std::vector<Relabel> relabelled;  ///< SCN: training clips whose label it changed
  /// SCN: each training clip's importance weight in the last epoch (index, weight).
  std::vector<std::pair<int64_t, float>> importance;
  /// RUL: each training clip's uncertainty u (mean of exp(logvar)) in the last epoch (index, u).
  std::vector<std::pair<int64_t, float>> uncertainty;
  int best_epoch = 0;                ///< by validation UF1; the last epoch without validation
  std::string selected_checkpoint;   ///< best.pt with validation, else last.pt
  int resumed_from = 0;              ///< epochs already done when the run started (0: fresh)
};

struct FitCallbacks {
  /// After every training step: epoch (1-based), step (1-based), steps per epoch, running mean loss.
  std::function<void(int epoch, int step, int steps, double loss)> on_step;
  /// After every epoch, its checkpoint written.
  std::function<void(const EpochRecord&)> on_epoch;
  /// Clips (indices into the source) predicted after every epoch, into
  /// EpochRecord::watched: `mexa train --report-test-selected` watches the
  /// test fold. They take no part in training or in choosing an epoch.
  std::vector<int64_t> watched;
};

/// mexa's default trainer (TrainConfig{}); classes are the caller's.
TrainConfig default_train_config();
/// STSTNet's recipe as its authors published and ran it on the MEGC 2019
/// composite's flow images: Adam at 5e-5 (AdamW with weight decay 0 makes
/// the same update), batch 256, 500 epochs, cross-entropy, no augmentation,
/// the last epoch. `mexa train` uses it for the megc2019 style's data: a
/// rate tuned on synthetic data (1e-3) overfits 442 real clips.
TrainConfig ststnet_recipe();

/// `config` with its "automatic" values made explicit: LDAM's deferred
/// re-weighting epoch (-1: at 4/5 of the epochs). fit() trains (and records
/// in checkpoints) the resolved configuration.
TrainConfig resolved(const TrainConfig& config);

/// Checks what fit() would refuse about `config` alone — model name, head,
/// optimizer, AMP without a CUDA device, batch and epochs — and, given the
/// clip shape {C, T, H, W}, that the model accepts it (one forward pass of
/// zeros on the CPU), so a command can refuse before any clip is decoded.
/// Throws std::invalid_argument naming the option (std::runtime_error when a
/// CUDA device is asked for but absent).
void check_config(const TrainConfig& config, const std::vector<int64_t>& clip_shape = {});

/// Why `config` cannot train data-parallel, or "" when it can: --rul and
/// --scn couple the clips of a batch. check_config() refuses it when
/// config.group is set; a command asks before joining a group.
std::string data_parallel_refusal(const TrainConfig& config);

/// Trains on `train` (indices into `labels` and the source), validating on
/// `val` when it is not empty. Writes DIR/last.pt, DIR/best.pt,
/// DIR/metrics.csv and DIR/metrics.json. With `resume`, continues from
/// DIR/last.pt when it exists (throws std::runtime_error when that checkpoint
/// belongs to another model or class set). Throws std::invalid_argument for a
/// bad configuration.
FitResult fit(const TrainConfig& config, ClipSource& source, const std::vector<int>& labels,
              const std::vector<int64_t>& train, const std::vector<int64_t>& val, const std::string& dir, bool resume,
              const FitCallbacks& callbacks = {});
/// The same with the targets the uncertainty options need (candidate sets,
/// AUs); SCN's relabelled clips (those restored on resume included) come
/// back in FitResult::relabelled. Throws std::invalid_argument when an
/// option's targets are missing.
FitResult fit(const TrainConfig& config, ClipSource& source, const TrainTargets& targets,
              const std::vector<int64_t>& train, const std::vector<int64_t>& val, const std::string& dir, bool resume,
              const FitCallbacks& callbacks = {});

struct CheckpointInfo {
  std::string path;
  std::string model;
  std::string head;  ///< "linear" or "cosine"
  bool cbam = false;
  int in_channels = 1;
  int epoch = 0;
  int64_t feature_dim = 0;
  double logit_scale = 1;              ///< cosine head: the loss's s (probabilities are softmax(s cos)); else 1
  std::vector<int64_t> class_counts;   ///< training clips per class (empty in older checkpoints)
  std::vector<std::string> au_names;   ///< the AU head's outputs (empty: no AU head)
  std::vector<std::string> classes;
  std::map<std::string, std::string> metadata;
};

/// Batch inference from a checkpoint written by fit(). Thread-compatible (one
/// predict() at a time).
class Predictor {
 public:
  /// When the model is built and its weights loaded: before the constructor
  /// returns, or on a thread of its own (info() is there at once; the first
  /// predict() or wait_until_loaded() waits for the weights). `mexa score`
  /// uses Background: its workers analyse the first clips meanwhile.
  enum class Loading { Now, Background };
  /// Throws std::runtime_error naming the file when it is not a mexa
  /// checkpoint (with Background, a failure to load its weights is thrown by
  /// wait_until_loaded() and predict(), every time they are called).
  Predictor(const std::string& checkpoint, const std::string& device, Loading loading = Loading::Now);
  ~Predictor();
  Predictor(Predictor&&) noexcept;
  Predictor& operator=(Predictor&&) noexcept;

  const CheckpointInfo& info() const;
  std::string device_name() const;
  /// Waits for a background load; rethrows its failure.
  void wait_until_loaded();

  /// Post-hoc logit adjustment (Menon et al.): probabilities from logits -
  /// tau log(prior), the prior being the training class counts. 0 turns it
  /// off. Throws std::invalid_argument when the checkpoint has no counts.
  void set_logit_adjustment(double tau);

  struct Output {
    bool ok = false;              ///< false: the clip failed to load
    std::vector<float> probs;     ///< softmax, one per class
    std::vector<float> features;  ///< the model's embedding (apex feature)
    std::vector<float> au_probs;  ///< AU head: sigmoid per info().au_names (empty without one)
  };
  /// All clips of one batch must share a shape; empty clips come back !ok.
  std::vector<Output> predict(const std::vector<ClipArray>& clips);

  /// Predicts source clips `indices` in batches, prefetched by `workers`
  /// threads; `on_batch(done, total)` after each batch.
  std::vector<Output> predict_all(ClipSource& source, const std::vector<int64_t>& indices, int batch_size, int workers,
                                  const std::function<void(int64_t, int64_t)>& on_batch = {});

 struct Impl;  // public so that the implementation's helpers can use it

 private:
  std::unique_ptr<Impl> impl_;
};

/// Reads a checkpoint's description without building the model.
CheckpointInfo read_checkpoint_info(const std::string& checkpoint);

}  // namespace mexa::engine
