// SHA-256 of a file (FFmpeg's libavutil implementation), for provenance
// (the results file records the checkpoint it was scored with).
#pragma once

#include <string>

namespace mexa::io {

/// Lower-case hex digest. Throws StorageError naming the file when it cannot be read.
std::string sha256_file(const std::string& path);

}  // namespace mexa::io
