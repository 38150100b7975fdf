// Shared by the fuzz targets: a scratch file or folder per process (the
// readers under test take paths), and the one rule every target keeps: the
// documented errors (mexa::Error and its kinds, std::invalid_argument where an
// API says so) are the expected answers to bad input; anything else — another
// exception, a crash, a sanitizer report — is a finding.
#pragma once

#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>

namespace mexa::fuzz {

/// A path under /dev/shm (else the temp folder) unique to this process.
inline std::filesystem::path scratch(const std::string& name) {
  static const std::filesystem::path root = [] {
    std::error_code ec;
    std::filesystem::path base = std::filesystem::is_directory("/dev/shm", ec) ? "/dev/shm" : std::filesystem::temp_directory_path();
    auto dir = base / ("mexa-fuzz-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    return dir;
  }();
  return root / name;
}

inline std::string write_file(const std::string& name, const uint8_t* data, size_t size) {
  const auto path = scratch(name);
  std::ofstream(path, std::ios::binary | std::ios::trunc).write(reinterpret_cast<const char*>(data),
                                                                static_cast<std::streamsize>(size));
  return path.string();
}

}  // namespace mexa::fuzz
