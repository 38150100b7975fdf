// mexa's typed exceptions. Thrown inside the libraries; apps/ turns them into
// exit codes (DESIGN.md section 4). Every message names the file it is about.
//
//   try { mexa::io::VideoReader r("clip.mp4"); }
//   catch (const mexa::DecodeError& e) { spdlog::error("{}", e.what()); }
#pragma once

#include <stdexcept>
#include <string>

namespace mexa {

/// Base of every mexa error: a message and, where known, the file concerned.
class Error : public std::runtime_error {
 public:
  Error(const std::string& file, const std::string& reason)
      : std::runtime_error(file.empty() ? reason : file + ": " + reason), file_(file), reason_(reason) {}
  const std::string& file() const noexcept { return file_; }
  const std::string& reason() const noexcept { return reason_; }

 private:
  std::string file_;
  std::string reason_;
};

/// A video or frame folder could not be opened or decoded.
class DecodeError : public Error {
 public:
  using Error::Error;
};

/// An input file is readable but its content is wrong (manifest rows, schema).
class DataError : public Error {
 public:
  using Error::Error;
};

/// The results store or another output could not be written or read.
class StorageError : public Error {
 public:
  using Error::Error;
};

}  // namespace mexa
