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

namespace mexa::engine {

/// LibTorch's CPU allocator with a cache of large blocks, for inference
/// (issue 29; engine::Predictor installs it on the CPU).
///
/// Inference repeats the same tensor sizes batch after batch. Blocks of 1 MiB
/// and more are kept on free and handed out again to the next request they
/// fit (the smallest free block of at least the size asked, and at most
/// twice it), so batch k + 1's activations reuse batch k's without going back
/// to malloc and without page faults. At most kBlockCacheLimit free bytes are
/// kept; beyond that, and for smaller blocks, LibTorch's own allocation. The
/// limit is 1 GiB because r3d_18 at batch 8 (16x112x112) frees about 700 MiB
/// of large blocks per batch: with 512 MiB, 11 of each batch's ~114 large
/// requests missed, every batch, and each miss faulted its pages in again
/// (98 MiB conv outputs; 830,000 page faults and 8 s of system time over 48
/// clips, against 379,000 and 1.4 s with 1 GiB). The limit does not raise the
/// peak: the first batch's own high-water mark sets that. Once
/// the cache is in place the raised glibc thresholds of tune_malloc() are
/// lowered again (large blocks mapped one by one, 32 MiB kept at the heap's
/// top): the cache does their job, and the heap no longer keeps the
/// high-water mark that fragmentation gave it (r3d_18 scoring, 48 clips,
/// batch 8: peak RSS 2.1 GiB with the thresholds alone, 1.47 GiB with the
/// cache; docs/bench-score.md). Installed once, for the whole process (the
/// blocks' deleters outlive any scope); MEXA_MALLOC=default leaves LibTorch's
/// and glibc's own behaviour in place. Returns whether the cache is in place.
bool use_cpu_block_cache();

/// Frees the cache's free blocks (returns their bytes). engine::Predictor
/// calls it once the weights are loaded: the checkpoint's other tensors (an
/// optimizer's moments) and the model's first initialisation are freed by
/// then, and blocks of their sizes would sit beside the activations' own
/// (r3d_18 scoring: 190 MiB less at the peak).
size_t release_cpu_block_cache();

inline constexpr size_t kBlockCacheMinBytes = size_t{1} << 20;
inline constexpr size_t kBlockCacheLimit = size_t{1024} << 20;
inline constexpr size_t kBlockCacheTrim = size_t{32} << 20;

/// Cache figures, for tests and `mexa version`.
struct BlockCacheStats {
  bool installed = false;
  size_t hits = 0, misses = 0;   ///< large requests served from the cache / by malloc
  size_t cached_bytes = 0;       ///< free bytes held now
};
BlockCacheStats block_cache_stats();

}  // namespace mexa::engine
