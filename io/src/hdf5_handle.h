// Move-only owner of an HDF5 identifier (hid_t is an integer, not a pointer):
// closes it with the H5?close function of its kind. Private to mexa::io.
#pragma once

#include <hdf5.h>

#include <string>
#include <utility>

namespace mexa::io::h5 {

class Handle {
 public:
  Handle() = default;
  explicit Handle(hid_t id) : id_(id) {}
  ~Handle() { reset(); }
  Handle(Handle&& other) noexcept : id_(std::exchange(other.id_, H5I_INVALID_HID)) {}
  Handle& operator=(Handle&& other) noexcept {
    if (this != &other) {
      reset();
      id_ = std::exchange(other.id_, H5I_INVALID_HID);
    }
    return *this;
  }
  Handle(const Handle&) = delete;
  Handle& operator=(const Handle&) = delete;

  hid_t get() const { return id_; }
  bool valid() const { return id_ >= 0; }
  void reset();
  /// Gives up ownership without closing.
  hid_t release() { return std::exchange(id_, H5I_INVALID_HID); }

 private:
  hid_t id_ = H5I_INVALID_HID;
};

/// Variable-length UTF-8 string type (attributes, keys).
Handle vlen_string_type();

/// Throws StorageError(file, what + HDF5's innermost error message) when id < 0.
hid_t check(hid_t id, const std::string& file, const std::string& what);
/// Same for herr_t results.
void check_status(herr_t status, const std::string& file, const std::string& what);

/// Silences HDF5's automatic error printing for this thread's lifetime of the
/// guard; errors are turned into exceptions instead.
class QuietErrors {
 public:
  QuietErrors();
  ~QuietErrors();
  QuietErrors(const QuietErrors&) = delete;
  QuietErrors& operator=(const QuietErrors&) = delete;

 private:
  H5E_auto2_t old_function_ = nullptr;
  void* old_data_ = nullptr;
};

}  // namespace mexa::io::h5
