#include "mexa/engine/malloc_tuning.h"

#include <cstdlib>
#include <cstring>
#include <limits>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace mexa::engine {

namespace {

MallocTuning apply() {
  MallocTuning t;
#if defined(__GLIBC__)
  if (const char* choice = std::getenv("MEXA_MALLOC"); choice && std::strcmp(choice, "default") == 0) {
    t.reason = "MEXA_MALLOC=default";
    return t;
  }
  static_assert(kMallocMmapThreshold <= static_cast<size_t>(std::numeric_limits<int>::max()) &&
                kMallocTrimThreshold <= static_cast<size_t>(std::numeric_limits<int>::max()));
  for (const char* name : {"MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_", "MALLOC_TOP_PAD_", "MALLOC_MMAP_MAX_"}) {
    if (std::getenv(name)) {
      t.reason = std::string(name) + " is set";
      return t;
    }
  }
  if (const char* tunables = std::getenv("GLIBC_TUNABLES")) {
    for (const char* name : {"glibc.malloc.mmap_threshold", "glibc.malloc.trim_threshold", "glibc.malloc.top_pad",
                             "glibc.malloc.mmap_max"}) {
      if (std::strstr(tunables, name)) {
        t.reason = std::string("GLIBC_TUNABLES sets ") + name;
        return t;
      }
    }
  }
#if defined(__SANITIZE_ADDRESS__)
  t.reason = "AddressSanitizer's allocator: mallopt does not apply";  // scripts/test --sanitize
  return t;
#endif
  // glibc before 2.26 or so caps the mmap threshold at 32 MiB (HEAP_MAX_SIZE / 2) and refuses more.
  if (mallopt(M_MMAP_THRESHOLD, static_cast<int>(kMallocMmapThreshold)) != 1 ||
      mallopt(M_TRIM_THRESHOLD, static_cast<int>(kMallocTrimThreshold)) != 1) {
    t.reason = "this glibc refused the thresholds";
    return t;
  }
  t.applied = true;
  t.mmap_threshold = kMallocMmapThreshold;
  t.trim_threshold = kMallocTrimThreshold;
#else
  t.reason = "not glibc";
#endif
  return t;
}

MallocTuning& state() {
  static MallocTuning s;
  return s;
}

}  // namespace

MallocTuning tune_malloc() {
  static const bool once = (state() = apply(), true);
  (void)once;
  return state();
}

MallocTuning malloc_tuning() { return state(); }

}  // namespace mexa::engine
