// FFmpeg reading from memory (VideoReader over a MemoryInput): the read
// position, the AVIOContext callbacks, and its deleter. Internal to io/.
#pragma once

#include <cstddef>
#include <cstdint>

extern "C" {
#include <libavformat/avio.h>
#include <libavutil/mem.h>
}

namespace mexa::io {

/// Read position in a MemoryInput: the opaque pointer of its AVIOContext.
struct MemoryCursor {
  const uint8_t* data = nullptr;
  size_t size = 0;
  size_t position = 0;
};

/// AVIOContext read callback: copies up to `capacity` bytes; AVERROR_EOF at the end.
int read_memory(void* opaque, uint8_t* buffer, int capacity);
/// AVIOContext seek callback (AVSEEK_SIZE answered); AVERROR(EINVAL) outside the bytes.
int64_t seek_memory(void* opaque, int64_t offset, int whence);

struct AvioDeleter {
  void operator()(AVIOContext* p) const {
    if (!p) return;
    av_freep(&p->buffer);
    avio_context_free(&p);
  }
};

}  // namespace mexa::io
