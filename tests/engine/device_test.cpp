// engine::resolve_device: parsing and CUDA availability rules.
#include <gtest/gtest.h>

#include <stdexcept>

#include "mexa/engine/device.h"

namespace mexa::engine {
namespace {

TEST(Device, CpuIsAlwaysAvailable) {
  const DeviceChoice cpu = resolve_device("cpu");
  EXPECT_EQ(cpu.name, "cpu");
  EXPECT_FALSE(cpu.cuda);
}

TEST(Device, AutoPicksCudaExactlyWhenAvailable) {
  const DeviceChoice chosen = resolve_device("auto");
  EXPECT_EQ(chosen.cuda, cuda_available());
  EXPECT_EQ(chosen.name, cuda_available() ? "cuda:0" : "cpu");
}

TEST(Device, ExplicitCudaNeverFallsBackSilently) {
  if (cuda_available()) {
    EXPECT_EQ(resolve_device("cuda").name, "cuda:0");
    EXPECT_THROW(resolve_device("cuda:" + std::to_string(cuda_device_count())), std::runtime_error);
  } else {
    EXPECT_THROW(resolve_device("cuda"), std::runtime_error);
    EXPECT_THROW(resolve_device("cuda:0"), std::runtime_error);
  }
}

TEST(Device, MalformedRequestsAreRejected) {
  for (const char* bad : {"gpu", "CUDA", "cuda:", "cuda:x", "cuda:-1", "cuda0", "cpu:0", ""})
    EXPECT_THROW(resolve_device(bad), std::invalid_argument) << bad;
}

TEST(Device, VersionsAreReported) {
  EXPECT_FALSE(engine_version().empty());
  EXPECT_EQ(torch_version().rfind("2.", 0), 0u);
}

}  // namespace
}  // namespace mexa::engine
