// engine::use_cpu_block_cache: LibTorch's CPU allocator with large blocks
// reused (see malloc_tuning.h).
#include <c10/core/Allocator.h>
#include <c10/core/CPUAllocator.h>
#include <c10/core/impl/alloc_cpu.h>

#if defined(__GLIBC__)
#include <malloc.h>
#endif
#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>
#include <unordered_map>

#include "mexa/engine/malloc_tuning.h"

namespace mexa::engine {
namespace {

class BlockCache;

BlockCache*& instance();

class BlockCache final : public c10::Allocator {
 public:
  // Every block's context is its data pointer and every block has the same
  // deleter, so LibTorch's raw_allocate / raw_deallocate work too; the sizes
  // of the large blocks out on loan are looked up by address.
  c10::DataPtr allocate(size_t n) override {
    void* p = n < kBlockCacheMinBytes ? c10::alloc_cpu(n) : take(n);
    return {p, p, &release, c10::Device(c10::DeviceType::CPU)};
  }

  c10::DeleterFnPtr raw_deleter() const override { return &release; }
  void copy_data(void* dest, const void* src, size_t count) const override { default_copy_data(dest, src, count); }

  /// Frees every cached block; blocks on loan are kept track of as before.
  size_t release() {
    std::multimap<size_t, void*> blocks;
    size_t bytes = 0;
    {
      std::lock_guard lock(mutex_);
      blocks.swap(free_);
      bytes = cached_;
      cached_ = 0;
    }
    for (const auto& [size, data] : blocks) c10::free_cpu(data);
    return bytes;
  }

  BlockCacheStats stats() {
    std::lock_guard lock(mutex_);
    return {true, hits_, misses_, cached_};
  }

 private:
  void* take(size_t n) {
    {
      std::lock_guard lock(mutex_);
      auto it = free_.lower_bound(n);
      if (it != free_.end() && it->first <= 2 * n) {
        void* p = it->second;
        const size_t bytes = it->first;
        free_.erase(it);
        cached_ -= bytes;
        ++hits_;
        lent_[p] = bytes;
        return p;
      }
      ++misses_;
    }
    void* p = c10::alloc_cpu(n);
    std::lock_guard lock(mutex_);
    lent_[p] = n;
    return p;
  }

  static void release(void* data) { instance()->keep(data); }

  void keep(void* data) {
    if (!data) return;
    {
      std::lock_guard lock(mutex_);
      const auto it = lent_.find(data);
      if (it != lent_.end()) {
        const size_t bytes = it->second;
        lent_.erase(it);
        if (cached_ + bytes <= kBlockCacheLimit) {
          free_.emplace(bytes, data);
          cached_ += bytes;
          return;
        }
      }
    }
    c10::free_cpu(data);  // a small block, or the cache is full
  }

  std::mutex mutex_;
  std::multimap<size_t, void*> free_;  // by size; best fit, at most twice the request
  std::unordered_map<void*, size_t> lent_;                // large blocks in use
  size_t cached_ = 0, hits_ = 0, misses_ = 0;
};

/// The process's cache: created on first use and never destroyed, since
/// tensors freed during static destruction still return their blocks to it.
BlockCache*& instance() {
  static BlockCache* cache = nullptr;
  return cache;
}

}  // namespace

bool use_cpu_block_cache() {
  static const bool installed = [] {
    if (const char* choice = std::getenv("MEXA_MALLOC"); choice && std::strcmp(choice, "default") == 0) return false;
#if defined(__GLIBC__)
    // Large blocks are the cache's now: glibc maps them one by one again and
    // keeps little free memory at its heap's top, so the high-water mark of
    // the raised thresholds goes.
    if (malloc_tuning().applied) {
      mallopt(M_MMAP_THRESHOLD, static_cast<int>(kBlockCacheMinBytes));
      mallopt(M_TRIM_THRESHOLD, static_cast<int>(kBlockCacheTrim));
    }
#endif
    instance() = new BlockCache();  // intentionally never deleted (see instance())
    c10::SetCPUAllocator(instance(), /*priority=*/1);
    return c10::GetCPUAllocator() == instance();
  }();
  return installed;
}

size_t release_cpu_block_cache() {
  return instance() && c10::GetCPUAllocator() == instance() ? instance()->release() : 0;
}

BlockCacheStats block_cache_stats() {
  return instance() && c10::GetCPUAllocator() == instance() ? instance()->stats() : BlockCacheStats{};
}

}  // namespace mexa::engine
