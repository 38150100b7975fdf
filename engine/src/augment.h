// The trainer's spatial augmentation of one clip tensor (engine-internal;
// the engine tests include it).
#pragma once

#include <torch/torch.h>

#include <cstdint>

#include "mexa/engine/trainer.h"

namespace mexa::engine {

/// One random affine transform (flip, rotation, zoom, shift), drawn from
/// `seed`, for every frame of x [C, T, H, W]. A flip of a flow field
/// (a.flow_field) also negates channel 0 (u).
torch::Tensor augment_clip(const torch::Tensor& x, const Augment& a, uint64_t seed);

}  // namespace mexa::engine
