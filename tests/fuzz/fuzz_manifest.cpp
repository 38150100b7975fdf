// Fuzz target: io::read_manifest in every --style (io/styles.h), paths not
// checked, both class sets; the first byte picks style and classes.
#include <cstddef>
#include <cstdint>

#include "fuzz_support.h"
#include "mexa/io/errors.h"
#include "mexa/io/manifest.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  using mexa::io::AnnotationStyle;
  const auto& styles = mexa::io::styles();
  mexa::io::ManifestOptions options;
  options.style = styles[(data[0] & 0x3f) % styles.size()].style;
  if (data[0] & 0x80) options = mexa::io::with_classes(options, mexa::io::megc3_classes());
  options.check_paths = false;
  options.strict = (data[0] & 0x40) != 0;
  const std::string path = mexa::fuzz::write_file("manifest.csv", data + 1, size - 1);
  try {
    const auto manifest = mexa::io::read_manifest(path, options);
    for (const auto& row : manifest.rows) {
      if (row.label < 0 || row.label >= static_cast<int>(options.class_names.size())) __builtin_trap();
      if (row.onset > row.offset || (row.apex >= 0 && (row.apex < row.onset || row.apex > row.offset))) __builtin_trap();
    }
  } catch (const mexa::Error&) {
  }
  return 0;
}
