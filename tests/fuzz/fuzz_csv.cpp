// Fuzz target: io::parse_csv (RFC 4180 with BOM, CRLF, quotes).
#include <cstddef>
#include <cstdint>
#include <string>

#include "mexa/io/csv.h"
#include "mexa/io/errors.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    const auto records = mexa::io::parse_csv(std::string(reinterpret_cast<const char*>(data), size), "fuzz.csv");
    for (const auto& r : records)
      if (r.line < 1) __builtin_trap();  // lines are 1-based
  } catch (const mexa::Error&) {
  }
  return 0;
}
