// Paths and small helpers shared by the io tests.
#pragma once

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace mexa::test {

/// Folder made by tests/tools/make_test_clips.sh (the ctest fixture `clips`).
inline std::string clips_dir() {
  const char* dir = std::getenv("MEXA_TEST_CLIPS");
  return dir ? dir : MEXA_TEST_CLIPS_DEFAULT;
}

inline std::string clip(const std::string& name) { return clips_dir() + "/" + name; }

/// Hash column of an `ffmpeg -f framemd5` file.
inline std::vector<std::string> framemd5_hashes(const std::string& path) {
  std::ifstream in(path);
  std::vector<std::string> hashes;
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    hashes.push_back(line.substr(line.rfind(", ") + 2));
  }
  return hashes;
}

}  // namespace mexa::test
