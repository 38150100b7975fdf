// --threads and --device of the engine commands (eval, score).
#pragma once

#include <string>

namespace mexa::cli {

/// Sets LibTorch's CPU threads and checks the device text; throws UsageError for bad values.
void apply_compute_options(int threads, const std::string& device);

}  // namespace mexa::cli
