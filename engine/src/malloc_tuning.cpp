#include "mexa/engine/malloc_tuning.h"

#include <cstdlib>
#include <cstring>

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
  for (const char* name : {"MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_", "MALLOC_TOP_PAD_", "MALLOC_MMAP_MAX_"}) {
    if (std::getenv(name)) {
      t.reason = std::string(name) + " is set";
      return t;
    }
  }
  if (const char* tunables = std::getenv("GLIBC_TUNABLES"); tunables && std::strstr(tunables, "glibc.malloc.")) {
    t.reason = "GLIBC_TUNABLES sets glibc.malloc";
    return t;
  }
  if (mallopt(M_MMAP_THRESHOLD, static_cast<int>(kMallocMmapThreshold)) != 1 ||
      mallopt(M_TRIM_THRESHOLD, static_cast<int>(kMallocTrimThreshold)) != 1) {
    t.reason = "glibc refused the thresholds";
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
