// engine::use_cpu_block_cache: large CPU blocks come back to the next request
// they fit; small ones and LibTorch's raw allocation path still work. Its own
// test program: the cache is installed for the whole process.
#include <gtest/gtest.h>
#include <c10/core/CPUAllocator.h>
#include <torch/torch.h>

#include <cstdlib>

#include "mexa/engine/malloc_tuning.h"

namespace mexa::engine {
namespace {

TEST(BlockCache, ReusesLargeBlocksAndPassesSmallOnesThrough) {
  if (const char* m = std::getenv("MEXA_MALLOC"); m && std::string(m) == "default")
    GTEST_SKIP() << "MEXA_MALLOC=default: no cache by design";
  ASSERT_TRUE(use_cpu_block_cache());
  ASSERT_TRUE(use_cpu_block_cache());  // once per process; a second call changes nothing
  const BlockCacheStats before = block_cache_stats();
  ASSERT_TRUE(before.installed);

  void* first = nullptr;
  {
    torch::Tensor a = torch::ones({4, 1024, 1024});  // 16 MiB
    first = a.data_ptr();
  }
  const BlockCacheStats freed = block_cache_stats();
  EXPECT_EQ(freed.cached_bytes, before.cached_bytes + 16 * 1024 * 1024);
  {
    torch::Tensor b = torch::zeros({3, 1024, 1024});  // 12 MiB: fits the 16 MiB block
    EXPECT_EQ(b.data_ptr(), first);
    EXPECT_EQ(b.sum().item<float>(), 0.0f);           // zeroed like any fresh tensor
    torch::Tensor c = torch::ones({1, 1024, 1024});  // 4 MiB: the 16 MiB block is lent, and too big anyway
    EXPECT_NE(c.data_ptr(), first);
  }
  const BlockCacheStats after = block_cache_stats();
  EXPECT_EQ(after.hits, freed.hits + 1);
  EXPECT_EQ(after.misses, freed.misses + 1);

  torch::Tensor small = torch::arange(100);  // below 1 MiB: straight through
  EXPECT_EQ(small.sum().item<int64_t>(), 4950);
  EXPECT_EQ(block_cache_stats().cached_bytes, after.cached_bytes);

  // raw_allocate / raw_deallocate (used by some LibTorch kernels).
  c10::Allocator* allocator = c10::GetCPUAllocator();
  void* raw = allocator->raw_allocate(8 << 20);
  ASSERT_NE(raw, nullptr);
  allocator->raw_deallocate(raw);
  void* raw_small = allocator->raw_allocate(64);
  allocator->raw_deallocate(raw_small);
}

TEST(BlockCache, KeepsAtMostItsLimit) {
  if (const char* m = std::getenv("MEXA_MALLOC"); m && std::string(m) == "default")
    GTEST_SKIP() << "MEXA_MALLOC=default: no cache by design";
  ASSERT_TRUE(use_cpu_block_cache());
  {
    std::vector<torch::Tensor> many;
    for (size_t i = 0; i < kBlockCacheLimit / (64 << 20) + 4; ++i) many.push_back(torch::empty({16, 1024, 1024}));
  }
  EXPECT_LE(block_cache_stats().cached_bytes, kBlockCacheLimit);
}

TEST(BlockCache, ReleaseFreesTheCachedBlocks) {
  if (const char* m = std::getenv("MEXA_MALLOC"); m && std::string(m) == "default")
    GTEST_SKIP() << "MEXA_MALLOC=default: no cache by design";
  ASSERT_TRUE(use_cpu_block_cache());
  { torch::Tensor a = torch::ones({2, 1024, 1024}); }  // 8 MiB, back in the cache
  ASSERT_GE(block_cache_stats().cached_bytes, size_t{8} << 20);
  const size_t held = block_cache_stats().cached_bytes;
  EXPECT_EQ(release_cpu_block_cache(), held);
  EXPECT_EQ(block_cache_stats().cached_bytes, 0u);
  const BlockCacheStats before = block_cache_stats();
  {
    torch::Tensor lent = torch::ones({2, 1024, 1024});  // nothing cached: from malloc
    EXPECT_EQ(block_cache_stats().misses, before.misses + 1);
    EXPECT_EQ(release_cpu_block_cache(), 0u);  // a block on loan is not the cache's to free
    EXPECT_EQ(lent.sum().item<float>(), 2.0f * 1024 * 1024);
  }
  EXPECT_EQ(block_cache_stats().cached_bytes, size_t{8} << 20);  // returned to the cache when freed
}

}  // namespace
}  // namespace mexa::engine
