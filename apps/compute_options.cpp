#include "compute_options.h"

#include <stdexcept>

#include "cli.h"
#include "mexa/engine/device.h"

namespace mexa::cli {

void apply_compute_options(int threads, const std::string& device) {
  try {
    engine::set_compute_threads(threads);
    (void)engine::resolve_device(device);
  } catch (const std::invalid_argument& e) {
    throw UsageError(e.what());
  }
}

}  // namespace mexa::cli
