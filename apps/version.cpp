// `mexa version`: versions of mexa and its libraries, and the device that
// `--device` would resolve to.
#include <cstdio>
#include <stdexcept>

extern "C" {
#include <libavcodec/version.h>
#include <libavformat/version.h>
}
#include <H5public.h>
#include <opencv2/core/version.hpp>

#include "cli.h"
#include "commands.h"
#include "mexa/engine/device.h"
#include "mexa/engine/malloc_tuning.h"

namespace mexa::cli {

int run_version(const std::vector<std::string>& args) {
  static const Command command{"version", "Print the versions of mexa, LibTorch, FFmpeg, OpenCV and HDF5, and the "
                                          "compute device chosen by --device.",
                               "mexa version [--device auto|cpu|cuda[:N]]", run_version};
  po::options_description options("Version options");
  options.add_options()("device", po::value<std::string>()->default_value("auto"), "auto, cpu, cuda or cuda:N");
  po::variables_map vm;
  if (!parse(args, command, options, {}, vm)) return kOk;
  engine::DeviceChoice device;
  try {
    device = engine::resolve_device(vm["device"].as<std::string>());
  } catch (const std::invalid_argument& e) {
    throw UsageError(e.what());
  } catch (const std::runtime_error& e) {
    std::fprintf(stderr, "mexa version: %s\n", e.what());
    return kFatal;
  }
  std::printf("mexa      %s\n", engine::engine_version().c_str());
  std::printf("LibTorch  %s\n", engine::torch_version().c_str());
  std::printf("FFmpeg    libavformat %s, libavcodec %s\n", AV_STRINGIFY(LIBAVFORMAT_VERSION),
              AV_STRINGIFY(LIBAVCODEC_VERSION));
  std::printf("OpenCV    %s\n", CV_VERSION);
  std::printf("HDF5      %d.%d.%d\n", H5_VERS_MAJOR, H5_VERS_MINOR, H5_VERS_RELEASE);
  std::printf("CUDA      %d device(s)\n", engine::cuda_device_count());
  std::printf("device    %s\n", device.name.c_str());
  const auto m = engine::malloc_tuning();
  if (m.applied)
    std::printf("malloc    heap up to %zu MiB per block, keeps %zu MiB free (MEXA_MALLOC=default: glibc's own)\n",
                m.mmap_threshold >> 20, m.trim_threshold >> 20);
  else
    std::printf("malloc    glibc's own thresholds (%s)\n", m.reason.empty() ? "not tuned" : m.reason.c_str());
  std::printf("scoring   CPU blocks of %zu MiB and more reused from a cache of up to %zu MiB (MEXA_MALLOC=default: "
              "none)\n", engine::kBlockCacheMinBytes >> 20, engine::kBlockCacheLimit >> 20);
  return kOk;
}

}  // namespace mexa::cli
