// One writer per output file (io-internal): an advisory lock (flock) on a
// hidden sidecar, `.NAME.lock` beside NAME, taken before the output is
// created, resumed or replaced and held until the writer closes. HDF5's own
// file lock cannot do this: SWMR writing drops it so readers can open the
// file, and replacing a file renames a new one over it. The sidecar stays
// (unlinking it would let a third writer lock a fresh inode while a second
// still holds the old one); it is empty.
#pragma once

#include <string>

namespace mexa::io {

class WriterLock {
 public:
  WriterLock() = default;
  /// Takes the lock for `path` or throws StorageError naming `path` when
  /// another process holds it (at once: never waits).
  explicit WriterLock(const std::string& path);
  ~WriterLock();
  WriterLock(WriterLock&& other) noexcept;
  WriterLock& operator=(WriterLock&& other) noexcept;
  WriterLock(const WriterLock&) = delete;
  WriterLock& operator=(const WriterLock&) = delete;

  /// The sidecar's path for an output path.
  static std::string lock_path(const std::string& path);

 private:
  int fd_ = -1;
};

}  // namespace mexa::io
