#include "mexa/engine/device.h"
#include "mexa/version.h"

#include <torch/torch.h>
#include <torch/version.h>

#include <stdexcept>


namespace mexa::engine {

bool cuda_available() { return torch::cuda::is_available(); }

int cuda_device_count() { return cuda_available() ? static_cast<int>(torch::cuda::device_count()) : 0; }

DeviceChoice resolve_device(const std::string& request) {
  if (request == "auto") {
    if (cuda_available()) return {"cuda:0", true, 0};
    return {"cpu", false, -1};
  }
  if (request == "cpu") return {"cpu", false, -1};
  if (request.rfind("cuda", 0) == 0) {
    int index = 0;
    if (request.size() > 4) {
      if (request[4] != ':' || request.size() == 5)
        throw std::invalid_argument("device '" + request + "': expected cuda or cuda:N");
      try {
        size_t used = 0;
        index = std::stoi(request.substr(5), &used);
        if (used != request.size() - 5 || index < 0) throw std::invalid_argument(request);
      } catch (const std::exception&) {
        throw std::invalid_argument("device '" + request + "': expected cuda or cuda:N");
      }
    }
    const int count = cuda_device_count();
    if (count == 0)
      throw std::runtime_error("device '" + request + "' requested but no CUDA device is available (use --device auto or cpu)");
    if (index >= count)
      throw std::runtime_error("device '" + request + "' requested but only " + std::to_string(count) +
                               " CUDA device(s) exist");
    return {"cuda:" + std::to_string(index), true, index};
  }
  throw std::invalid_argument("device '" + request + "': expected auto, cpu, cuda or cuda:N");
}

void set_compute_threads(int threads) {
  if (threads < 0) throw std::invalid_argument("threads must be >= 0");
  if (threads > 0) at::set_num_threads(threads);
}
int compute_threads() { return at::get_num_threads(); }

std::string engine_version() { return MEXA_VERSION; }
std::string torch_version() { return TORCH_VERSION; }

}  // namespace mexa::engine
