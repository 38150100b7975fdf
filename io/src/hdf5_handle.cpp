#include "hdf5_handle.h"

#include "mexa/io/errors.h"

namespace mexa::io::h5 {
namespace {

herr_t take_innermost(unsigned n, const H5E_error2_t* error, void* text) {
  if (n == 0 && error->desc) *static_cast<std::string*>(text) = error->desc;
  return 0;
}

std::string hdf5_error_text() {
  std::string text;
  H5Ewalk2(H5E_DEFAULT, H5E_WALK_UPWARD, take_innermost, &text);
  H5Eclear2(H5E_DEFAULT);
  if (text.empty()) return "HDF5 error";
  // The POSIX driver's write/read failures carry the system's words in a
  // multi-line dump ("..., errno = 28, error message = 'No space left on
  // device', ..."): say those, on one line.
  const std::string key = "error message = '";
  const size_t at = text.find(key);
  const bool writing = text.find("write failed") != std::string::npos;
  if (at != std::string::npos && (writing || text.find("read failed") != std::string::npos)) {
    const size_t end = text.find('\'', at + key.size());
    const std::string system = text.substr(at + key.size(), end == std::string::npos ? std::string::npos : end - at - key.size());
    return std::string(writing ? "writing" : "reading") + " failed: " + system;
  }
  for (char& c : text)
    if (c == '\n') c = ' ';
  return text;
}

}  // namespace

void Handle::reset() {
  if (id_ < 0) return;
  switch (H5Iget_type(id_)) {
    case H5I_FILE: H5Fclose(id_); break;
    case H5I_GROUP: H5Gclose(id_); break;
    case H5I_DATASET: H5Dclose(id_); break;
    case H5I_DATASPACE: H5Sclose(id_); break;
    case H5I_DATATYPE: H5Tclose(id_); break;
    case H5I_ATTR: H5Aclose(id_); break;
    case H5I_GENPROP_LST: H5Pclose(id_); break;
    default: break;
  }
  id_ = H5I_INVALID_HID;
}

Handle vlen_string_type() {
  Handle type(H5Tcopy(H5T_C_S1));
  H5Tset_size(type.get(), H5T_VARIABLE);
  H5Tset_cset(type.get(), H5T_CSET_UTF8);
  return type;
}

hid_t check(hid_t id, const std::string& file, const std::string& what) {
  if (id < 0) throw StorageError(file, what + ": " + hdf5_error_text());
  return id;
}

void check_status(herr_t status, const std::string& file, const std::string& what) {
  if (status < 0) throw StorageError(file, what + ": " + hdf5_error_text());
}

QuietErrors::QuietErrors() {
  H5Eget_auto2(H5E_DEFAULT, &old_function_, &old_data_);
  H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
}

QuietErrors::~QuietErrors() { H5Eset_auto2(H5E_DEFAULT, old_function_, old_data_); }

}  // namespace mexa::io::h5
