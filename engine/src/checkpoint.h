// Checkpoint files (engine-internal): what fit() writes after every epoch and
// what resume, Predictor and read_checkpoint_info() read back. One LibTorch
// archive: format tag, model and optimiser state, the training settings
// (which a resumed run must share), metadata, classes, class counts, history
// and the CPU random generator.
#pragma once

#include <torch/torch.h>

#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "mexa/engine/models.h"
#include "mexa/engine/trainer.h"

namespace mexa::engine {

/// Where a fold's training stands (what a checkpoint adds to the weights).
struct TrainState {
  int epoch = 0;  // epochs done
  int best_epoch = 0;
  double best_uf1 = -1;
  std::vector<EpochRecord> history;
  std::vector<Relabel> relabelled;  // SCN
};

/// The model a checkpoint's fields describe: with RUL, SCN or an AU head
/// (heads.any_head()), a MethodModel around it. initialise = false skips the
/// model's own initialisation (ModelSpec::initialise): weights are loaded next.
std::shared_ptr<VideoModel> build_model(const std::string& name, int classes, int in_channels, bool cbam,
                                        const std::string& head, const UncertaintyConfig& heads = {},
                                        bool initialise = true);
/// The heads a checkpoint's model has (RUL, SCN, the AU head's names).
UncertaintyConfig heads_of(const CheckpointInfo& info);

/// Writes the checkpoint atomically (path.tmp, then rename).
void save_checkpoint(const std::filesystem::path& path, VideoModel& model, torch::optim::Optimizer& optimizer,
                     const TrainConfig& config, const std::string& head, int in_channels,
                     const std::vector<int64_t>& class_counts, const TrainState& state);

/// Resume: loads weights, optimiser state and the CPU generator from `path`
/// into `model` and `optimizer` and returns the state there. Throws
/// std::runtime_error naming the file when a training setting or the classes
/// differ from `config`.
TrainState restore_checkpoint(const std::filesystem::path& path, const torch::Device& device, const TrainConfig& config,
                              const std::string& head, VideoModel& model, torch::optim::Optimizer& optimizer);

/// Opens a checkpoint archive; throws std::runtime_error naming the file.
torch::serialize::InputArchive open_archive(const std::string& path, const torch::Device& device);
/// The description stored in an open archive; throws naming `path` when it is not a mexa checkpoint.
CheckpointInfo info_from_archive(torch::serialize::InputArchive& archive, const std::string& path);

}  // namespace mexa::engine
