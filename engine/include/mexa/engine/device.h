// Run-time choice of the compute device (`--device auto|cpu|cuda[:N]`).
// auto = the first CUDA device when LibTorch sees one, else the CPU.
// Thread-safe. No LibTorch types here: other modules include this header.
//
//   const auto device = mexa::engine::resolve_device("auto");
//   spdlog::info("running on {}", device.name);   // "cpu" or "cuda:0"
#pragma once

#include <string>

namespace mexa::engine {

struct DeviceChoice {
  std::string name;  ///< "cpu" or "cuda:N", accepted by torch::Device
  bool cuda = false;
  int index = -1;    ///< CUDA device index, -1 for the CPU
};

/// Parses and resolves "auto", "cpu", "cuda" or "cuda:N". Throws
/// std::invalid_argument for other text and std::runtime_error when CUDA is
/// asked for but not available (explicit requests never fall back silently).
DeviceChoice resolve_device(const std::string& request);

bool cuda_available();
int cuda_device_count();

/// LibTorch's intra-op CPU threads (0: leave LibTorch's default, the core count).
void set_compute_threads(int threads);
int compute_threads();

std::string engine_version();
std::string torch_version();

}  // namespace mexa::engine
