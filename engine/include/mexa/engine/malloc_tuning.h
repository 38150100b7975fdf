// glibc malloc set-up for LibTorch's CPU tensors (issue 11).
//
// LibTorch allocates CPU tensors with the C allocator. A 3D CNN's activations
// are large (r3d_18 at batch 8: ~100 MB per layer-1 tensor), and glibc serves
// every block above its mmap threshold (128 KiB, adapting up to 32 MiB) with
// a fresh mmap and gives it back with munmap on free: each batch faults its
// activations in again, page by page, which the kernel zeroes. Measured on
// `mexa score` with r3d_18 (docs/bench-score.md), most of its system time
// went there.
//
// tune_malloc() raises the mmap and trim thresholds, so freed activations
// stay in the heap and the next batch reuses them. The price is a heap that
// keeps its high-water mark (peak RSS measured in docs/bench-score.md). It
// helps the main thread, where `mexa score` batches and `mexa train` steps
// run; other threads allocate from glibc's per-thread arenas, whose heaps
// are capped at 64 MiB, so their larger blocks are still mapped one by one
// (a long video's intervals, scored on its worker, for example).
// Settings the user made win: nothing is changed when MALLOC_MMAP_THRESHOLD_,
// MALLOC_TRIM_THRESHOLD_, MALLOC_TOP_PAD_ or MALLOC_MMAP_MAX_ is set (or
// GLIBC_TUNABLES sets one of those), or MEXA_MALLOC=default.
//
//   mexa::engine::tune_malloc();   // first thing in main(), before threads start
#pragma once

#include <cstddef>
#include <string>

namespace mexa::engine {

struct MallocTuning {
  bool applied = false;
  std::string reason;              ///< why not, when not applied
  size_t mmap_threshold = 0;       ///< bytes; blocks above still get their own mapping
  size_t trim_threshold = 0;       ///< free bytes at the heap top kept before it shrinks
};

/// Blocks up to this size come from the heap once tuned (1 GiB).
inline constexpr size_t kMallocMmapThreshold = size_t{1} << 30;
/// Free memory the heap keeps at its top (1 GiB): the next batch's activations.
inline constexpr size_t kMallocTrimThreshold = size_t{1} << 30;

/// Applies the thresholds above unless the environment says otherwise (see
/// the file comment); once per process, later calls return the first result.
/// Call before other threads allocate.
MallocTuning tune_malloc();
/// What tune_malloc() did (not applied, reason empty, when it was not called).
MallocTuning malloc_tuning();

}  // namespace mexa::engine
