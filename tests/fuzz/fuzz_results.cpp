// Fuzz target: io::ResultsReader on damaged results files (the corpus holds
// real ones written by mexa; the fuzzer flips and cuts their bytes).
#include <cstddef>
#include <cstdint>

#include "fuzz_support.h"
#include "mexa/io/errors.h"
#include "mexa/io/results.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string path = mexa::fuzz::write_file("results.h5", data, size);
  try {
    mexa::io::ResultsReader reader(path);
    // Bounded reads: a damaged count must not make the reader allocate without limit.
    (void)reader.clips(0, 64);
    (void)reader.frames(0, 256);
    (void)reader.intervals(0, 64);
  } catch (const mexa::Error&) {
  }
  return 0;
}
