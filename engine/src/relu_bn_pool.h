// ReLU -> batch norm -> max pooling as one CPU operation with its own
// backward pass: STSTNet's stream block (docs/training.md, "STSTNet on the
// CPU"). LibTorch runs the three as separate kernels, each a pass over the
// full-resolution map in memory (and max pooling's backward zero-fills one
// more); here the forward is two passes (statistics, then normalise and pool
// in one) and the backward one, which on 28x28 flow images roughly halves
// the time of a training step. Same function as the three modules, up to
// floating-point summation order; tests/engine/relu_bn_pool_test.cpp checks
// values and gradients against them.
#pragma once

#include <torch/torch.h>

namespace mexa::engine {

struct ReluBnPoolOptions {
  int64_t window = 3;      ///< square window; stride = window (windows do not overlap)
  int64_t padding = 1;     ///< each side, < window
  int64_t average = 1;     ///< then the mean of each average x average block (1: none)
  double eps = 1e-5;       ///< batch norm's
  double momentum = 0.1;   ///< running statistics' update
  bool training = true;    ///< batch statistics (and update the running ones) or running ones
};

/// One side's length after the max pooling (before any averaging), for a
/// side at least window - 2 padding long.
int64_t max_pooled_size(int64_t size, int64_t window, int64_t padding);

/// z: [B, C, H, W] float32 on the CPU (the convolution's output, before the
/// ReLU). gamma, beta: [C], batch norm's affine parameters (differentiable).
/// running_mean, running_var: [C], updated in place when training, read
/// otherwise. Returns max_pool(batch_norm(relu(z))), [B, C, Ho, Wo] with
/// Ho = (H + 2 padding - window) / window + 1, or with `average` > 1 its
/// average pooling, [B, C, Ho / average, Wo / average]. Gradients flow to z,
/// gamma, beta.
torch::Tensor relu_bn_pool(const torch::Tensor& z, const torch::Tensor& gamma, const torch::Tensor& beta,
                           torch::Tensor running_mean, torch::Tensor running_var, const ReluBnPoolOptions& options);

}  // namespace mexa::engine
