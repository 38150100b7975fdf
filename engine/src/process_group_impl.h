// The c10d objects behind engine::ProcessGroup, for the engine's own use
// (data-parallel training step, synchronised batch norm) and its tests.
//
// The Gloo process group's header needs gloo's headers, which the torch wheel
// does not ship: mexa compiles against Debian's libgloo-dev and links none of
// it (libtorch_cpu has gloo built in). That is safe only while no mexa object
// file instantiates an inline gloo class or a header class overriding gloo's
// virtuals (ProcessGroupGloo::GlooStore): every gloo object is then made and
// called inside libtorch, with the wheel's own gloo. This file is the only
// one that includes the header; tests/engine/distributed_symbols_test.sh
// checks mexa's binaries define no gloo symbol.
#pragma once

#include <torch/torch.h>

#include <chrono>
#include <string>
#include <vector>

#include "mexa/engine/distributed.h"

namespace c10d {
class Backend;
class Store;
}  // namespace c10d

namespace mexa::engine {

struct ProcessGroup::Impl {
  LaunchInfo launch;
  torch::Device device{torch::kCPU};
  std::chrono::milliseconds timeout{0};
  std::string backend_name;
  c10::intrusive_ptr<c10d::Store> store;
  c10::intrusive_ptr<c10d::Backend> backend;

  /// In-place sum over the ranks of tensors on this rank's device; several
  /// tensors are all-reduced concurrently (one collective each) and waited for.
  void all_reduce(std::vector<torch::Tensor>& tensors) const;
  void broadcast(std::vector<torch::Tensor>& tensors, int root) const;
  void barrier() const;
  /// The error text of a failed collective, naming this rank and the group.
  [[noreturn]] void fail(const std::string& what, const std::exception& e) const;
};

/// Sums `x` over the ranks in the forward pass and the gradient in the
/// backward pass (the gradient of a sum every rank's loss depends on).
torch::Tensor all_reduce_sum(const torch::Tensor& x, const ProcessGroup::Impl& group);

}  // namespace mexa::engine
