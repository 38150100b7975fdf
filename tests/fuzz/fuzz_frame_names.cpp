// Fuzz target: frame-folder pattern detection (io::frame_sequence_of) on a
// folder listing, one file name per line.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "mexa/io/errors.h"
#include "mexa/io/frame_folder.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::vector<std::string> names;
  std::string name;
  for (size_t i = 0; i < size; ++i) {
    if (data[i] == '\n') {
      names.push_back(name);
      name.clear();
    } else {
      name += static_cast<char>(data[i]);
    }
  }
  names.push_back(name);
  try {
    const auto seq = mexa::io::frame_sequence_of("frames%dir", names);
    if (seq.count < 1 || seq.count > static_cast<int64_t>(names.size())) __builtin_trap();
  } catch (const mexa::Error&) {
  }
  return 0;
}
