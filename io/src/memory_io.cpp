#include "memory_io.h"

#include <algorithm>
#include <cstdio>
#include <cstring>

extern "C" {
#include <libavutil/error.h>
}

namespace mexa::io {

int read_memory(void* opaque, uint8_t* buffer, int capacity) {
  auto* cursor = static_cast<MemoryCursor*>(opaque);
  const size_t n = std::min(static_cast<size_t>(std::max(capacity, 0)), cursor->size - cursor->position);
  if (n == 0) return AVERROR_EOF;
  std::memcpy(buffer, cursor->data + cursor->position, n);
  cursor->position += n;
  return static_cast<int>(n);
}

int64_t seek_memory(void* opaque, int64_t offset, int whence) {
  auto* cursor = static_cast<MemoryCursor*>(opaque);
  const auto size = static_cast<int64_t>(cursor->size);
  if (whence & AVSEEK_SIZE) return size;
  int64_t base = 0;
  switch (whence & ~AVSEEK_FORCE) {
    case SEEK_SET: base = 0; break;
    case SEEK_CUR: base = static_cast<int64_t>(cursor->position); break;
    case SEEK_END: base = size; break;
    default: return AVERROR(EINVAL);
  }
  if (offset > size - base || offset < -base) return AVERROR(EINVAL);  // outside the bytes (no overflow)
  cursor->position = static_cast<size_t>(base + offset);
  return base + offset;
}

}  // namespace mexa::io
