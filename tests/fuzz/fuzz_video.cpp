// Fuzz target: io::VideoReader on arbitrary bytes (the corpus holds small
// real videos made with the ffmpeg CLI). Frame size and count are capped so
// the fuzzer looks for memory bugs, not slow decodes.
#include <cstddef>
#include <cstdint>

#include "fuzz_support.h"
#include "mexa/io/errors.h"
#include "mexa/io/video_reader.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string path = mexa::fuzz::write_file("video.bin", data, size);
  try {
    mexa::io::VideoReaderOptions options;
    options.pixel_format = mexa::io::PixelFormat::Gray8;
    options.last_frame = 7;
    options.threads = 1;
    mexa::io::VideoReader reader(path, options);
    if (static_cast<int64_t>(reader.info().width) * reader.info().height > 1024 * 1024) return 0;
    mexa::io::Frame frame;
    while (reader.next(frame))
      if (frame.width() < 1 || frame.height() < 1) __builtin_trap();
  } catch (const mexa::Error&) {
  }
  return 0;
}
