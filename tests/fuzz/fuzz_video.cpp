// Fuzz target: io::VideoReader on arbitrary bytes in memory (a custom
// AVIOContext: no file per input). The corpus holds small real videos made
// with the ffmpeg CLI. Frame size (1 MPixel) and count (8) are capped so the
// fuzzer looks for memory bugs, not slow decodes.
#include <cstddef>
#include <cstdint>

#include "mexa/io/errors.h"
#include "mexa/io/video_reader.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    mexa::io::VideoReaderOptions options;
    options.pixel_format = (size & 1) ? mexa::io::PixelFormat::Rgb24 : mexa::io::PixelFormat::Gray8;
    options.last_frame = 7;
    options.threads = 1;
    options.max_pixels = 1024 * 1024;
    options.min_side = 1;
    mexa::io::VideoReader reader(mexa::io::MemoryInput{data, size, "fuzz input"}, options);
    mexa::io::Frame frame;
    while (reader.next(frame))
      if (frame.width() < 1 || frame.height() < 1) __builtin_trap();
  } catch (const mexa::Error&) {
  }
  return 0;
}
