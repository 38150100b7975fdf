// The optimiser a TrainConfig names, its learning rate, and the head a loss
// implies (engine-internal).
#pragma once

#include <torch/torch.h>

#include <memory>
#include <string>

#include "mexa/engine/models.h"
#include "mexa/engine/trainer.h"

namespace mexa::engine {

/// SGD with momentum or AdamW over the model's parameters; throws
/// std::invalid_argument for another name.
std::unique_ptr<torch::optim::Optimizer> make_optimizer(const TrainConfig& c, VideoModel& model);
void set_learning_rate(torch::optim::Optimizer& optimizer, double lr);
/// "linear" or "cosine": config.head, or for "auto" cosine with the
/// margin losses (ldam-drw, coupling) and linear otherwise.
std::string resolve_head(const TrainConfig& c);

}  // namespace mexa::engine
