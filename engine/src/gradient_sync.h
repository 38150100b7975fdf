// Data-parallel training's share of the work and its communication, out of
// the trainer: how a global batch is cut between ranks, rank 0's weights on
// every rank, and gradients summed over the ranks in buckets.
#pragma once

#include <cstdint>
#include <vector>

#include "mexa/engine/distributed.h"
#include "mexa/engine/models.h"

namespace mexa::engine {

/// This rank's part of one global batch.
struct BatchShare {
  std::vector<int64_t> clips;
  int64_t offset = 0, global = 0;  ///< where the part starts in the global batch, and its size
};

/// Each global batch cut into `ranks` contiguous parts, this rank's kept (so
/// the global order is one process's). A last batch too small to give every
/// rank a clip is left out on every rank, with one warning (`warned`).
std::vector<BatchShare> rank_shares(const std::vector<std::vector<int64_t>>& global_batches, int64_t rank,
                                    int64_t ranks, bool& warned);

/// Rank 0's weights and buffers on every rank.
void broadcast_model(VideoModel& model, ProcessGroup& group);

/// Gradients summed over the ranks, in buckets of about 25 MB all-reduced
/// concurrently (in the reverse order of the parameters, the order backward
/// finishes them).
void all_reduce_gradients(VideoModel& model, ProcessGroup& group);

}  // namespace mexa::engine
