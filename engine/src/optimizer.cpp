#include "optimizer.h"

#include <stdexcept>

#include "mexa/engine/loss_config.h"

namespace mexa::engine {

std::unique_ptr<torch::optim::Optimizer> make_optimizer(const TrainConfig& c, VideoModel& model) {
  if (c.optimizer == "sgd")
    return std::make_unique<torch::optim::SGD>(
        model.parameters(),
        torch::optim::SGDOptions(c.schedule.base).momentum(c.momentum).weight_decay(c.weight_decay));
  if (c.optimizer == "adamw")
    return std::make_unique<torch::optim::AdamW>(model.parameters(),
                                                 torch::optim::AdamWOptions(c.schedule.base).weight_decay(c.weight_decay));
  throw std::invalid_argument("optimizer must be sgd or adamw (got '" + c.optimizer + "')");
}

void set_learning_rate(torch::optim::Optimizer& optimizer, double lr) {
  for (auto& group : optimizer.param_groups()) group.options().set_lr(lr);
}

std::string resolve_head(const TrainConfig& c) {
  if (c.head == "linear" || c.head == "cosine") return c.head;
  if (c.head != "auto") throw std::invalid_argument("head must be linear, cosine or auto (got '" + c.head + "')");
  return c.loss.kind == LossKind::Ldam || c.loss.kind == LossKind::Coupling ? "cosine" : "linear";
}

}  // namespace mexa::engine
