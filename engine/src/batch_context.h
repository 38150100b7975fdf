// What a training step tells the layers whose output depends on the whole
// batch: batch norm (statistics over every rank's share of the global batch,
// "synchronised batch norm") and dropout (masks drawn for the global batch
// from the step's seed, each rank taking its rows). With them a data-parallel
// step computes what one process computes on the global batch. The trainer
// sets the context around every training forward pass, one process or many;
// outside one (evaluation, prediction, tests) the layers are LibTorch's.
#pragma once

#include <torch/torch.h>

#include <cstdint>

#include "process_group_impl.h"

namespace mexa::engine {

struct BatchContext {
  const ProcessGroup::Impl* group = nullptr;  ///< data-parallel: all-reduce batch statistics
  uint64_t dropout_seed = 0;                  ///< this step's
  int64_t offset = 0;                         ///< first row of this rank's share in the global batch
  int64_t global_batch = 0;                   ///< clips in the global batch (every rank)
};

/// Makes `context` current on this thread while it lives.
class BatchScope {
 public:
  explicit BatchScope(const BatchContext& context);
  ~BatchScope();
  BatchScope(const BatchScope&) = delete;
  BatchScope& operator=(const BatchScope&) = delete;

 private:
  const BatchContext* previous_;
};

/// The current training step's context, or nullptr.
const BatchContext* current_batch();

/// Batch norm: synchronised over the group in a data-parallel training step, else bn->forward(x).
torch::Tensor batch_norm_step(torch::nn::BatchNorm3dImpl& bn, const torch::Tensor& x);
/// Dropout: the step's seeded mask rows in a training step, else dropout->forward(x).
torch::Tensor dropout_step(torch::nn::DropoutImpl& dropout, const torch::Tensor& x);

}  // namespace mexa::engine
