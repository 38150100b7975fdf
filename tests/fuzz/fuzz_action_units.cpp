// Fuzz target: io::parse_action_units (CASME II, SAMM, DFME spellings).
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>

#include "mexa/io/action_units.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    for (int au : mexa::io::parse_action_units(std::string(reinterpret_cast<const char*>(data), size)))
      if (au < 1 || au > 99) __builtin_trap();
  } catch (const std::invalid_argument&) {  // "unknown AU spelling": the documented answer
  }
  return 0;
}
