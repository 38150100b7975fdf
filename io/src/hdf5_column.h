// HDF5 building blocks of the results file: fixed-length string types,
// attributes, and a column (one dataset of rows along an unlimited first
// axis with a fixed inner shape, chunked and compressed). Internal to io/.
#pragma once

#include <hdf5.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "hdf5_handle.h"
#include "mexa/io/errors.h"
#include "mexa/io/results.h"

namespace mexa::io::h5 {

constexpr int kGzipLevel = 4;

/// Fixed-length strings in the columns: SWMR writing (our crash safety) does
/// not cover variable-length data, whose bytes live in the global heap.
inline Handle fixed_string_type(size_t width) {
  Handle type(H5Tcopy(H5T_C_S1));
  H5Tset_size(type.get(), width);
  H5Tset_strpad(type.get(), H5T_STR_NULLPAD);
  H5Tset_cset(type.get(), H5T_CSET_UTF8);
  return type;
}


void write_string_attr(hid_t object, const std::string& file, const char* name, const std::string& value);
void write_strings_attr(hid_t object, const std::string& file, const char* name, const std::vector<std::string>& values);
void write_int64_attr(hid_t object, const std::string& file, const char* name, int64_t value);
/// Throws StorageError naming the file when the attribute is missing.
std::vector<std::string> read_strings_attr(hid_t object, const std::string& file, const char* name);
std::string read_string_attr(hid_t object, const std::string& file, const char* name);
int64_t read_int64_attr(hid_t object, const std::string& file, const char* name);

/// One dataset of a group: rows along an unlimited first axis, fixed inner shape.
class Column {
 public:
  Column() = default;

  static Column create(hid_t group, const std::string& file, const std::string& name, hid_t type,
                       std::vector<hsize_t> inner, hsize_t chunk_rows) {
    Column c(file, name, inner);
    std::vector<hsize_t> dims{0}, max_dims{H5S_UNLIMITED}, chunk{chunk_rows};
    for (hsize_t d : inner) {
      dims.push_back(d);
      max_dims.push_back(d);
      chunk.push_back(d);
    }
    Handle space(check(H5Screate_simple(static_cast<int>(dims.size()), dims.data(), max_dims.data()), file, name));
    Handle props(H5Pcreate(H5P_DATASET_CREATE));
    check_status(H5Pset_chunk(props.get(), static_cast<int>(chunk.size()), chunk.data()), file, name);
    check_status(H5Pset_shuffle(props.get()), file, name);
    check_status(H5Pset_deflate(props.get(), kGzipLevel), file, name);
    c.dataset_ = Handle(check(H5Dcreate2(group, name.c_str(), type, space.get(), H5P_DEFAULT, props.get(), H5P_DEFAULT),
                              file, "create dataset " + name));
    return c;
  }

  static Column open(hid_t group, const std::string& file, const std::string& name) {
    if (H5Lexists(group, name.c_str(), H5P_DEFAULT) <= 0) throw StorageError(file, "missing dataset '" + name + "'");
    Column c(file, name, {});
    c.dataset_ = Handle(check(H5Dopen2(group, name.c_str(), H5P_DEFAULT), file, "open dataset " + name));
    Handle space(H5Dget_space(c.dataset_.get()));
    const int rank = H5Sget_simple_extent_ndims(space.get());
    std::vector<hsize_t> dims(static_cast<size_t>(std::max(rank, 1)));
    H5Sget_simple_extent_dims(space.get(), dims.data(), nullptr);
    c.inner_.assign(dims.begin() + 1, dims.end());
    return c;
  }

  bool valid() const { return dataset_.valid(); }
  const std::vector<hsize_t>& inner() const { return inner_; }
  hsize_t row_elements() const {
    hsize_t n = 1;
    for (hsize_t d : inner_) n *= d;
    return n;
  }

  hsize_t rows() const {
    Handle space(H5Dget_space(dataset_.get()));
    hsize_t dims[3] = {};
    H5Sget_simple_extent_dims(space.get(), dims, nullptr);
    return dims[0];
  }

  void resize(hsize_t rows) {
    std::vector<hsize_t> dims{rows};
    dims.insert(dims.end(), inner_.begin(), inner_.end());
    check_status(H5Dset_extent(dataset_.get(), dims.data()), file_, "resize " + name_);
  }

  /// Writes `count` rows at `first`, growing the dataset when needed.
  void write(hsize_t first, hsize_t count, hid_t memory_type, const void* data) {
    if (count == 0) return;
    if (rows() < first + count) resize(first + count);
    const Selection selected = select(first, count);
    check_status(H5Dwrite(dataset_.get(), memory_type, selected.memory.get(), selected.file.get(), H5P_DEFAULT, data), file_,
                 "write " + name_);
  }

  void read(hsize_t first, hsize_t count, hid_t memory_type, void* data) const {
    if (count == 0) return;
    const Selection selected = select(first, count);
    check_status(H5Dread(dataset_.get(), memory_type, selected.memory.get(), selected.file.get(), H5P_DEFAULT, data), file_,
                 "read " + name_);
  }

  /// Width in bytes of a fixed-length string column (0 for other columns).
  size_t string_width() const {
    Handle type(H5Dget_type(dataset_.get()));
    return H5Tget_class(type.get()) == H5T_STRING ? H5Tget_size(type.get()) : 0;
  }

  std::vector<std::string> read_strings(hsize_t first, hsize_t count) const {
    const size_t width = string_width();
    std::vector<char> raw(count * width);
    Handle type = fixed_string_type(width);
    read(first, count, type.get(), raw.data());
    std::vector<std::string> values;
    values.reserve(count);
    for (hsize_t i = 0; i < count; ++i) {
      const char* begin = raw.data() + i * width;
      values.emplace_back(begin, strnlen(begin, width));
    }
    return values;
  }

  /// Writes strings. One longer than the column's width is cut (`truncate`,
  /// for free text such as error messages) or stored as stored_text(): a hash
  /// of the whole text and its tail, unique and the same on every run.
  void write_strings(hsize_t first, const std::vector<const std::string*>& values, bool truncate) {
    const size_t width = string_width();
    std::vector<char> raw(values.size() * width, '\0');
    for (size_t i = 0; i < values.size(); ++i) {
      const std::string value = valid_utf8(*values[i]);
      if (value.size() > width && !truncate) {
        const std::string stored = stored_text(value, width);
        std::memcpy(raw.data() + i * width, stored.data(), stored.size());
        continue;
      }
      size_t n = std::min(value.size(), width);
      while (n < value.size() && n > 0 && (static_cast<unsigned char>(value[n]) & 0xC0) == 0x80) --n;  // whole UTF-8 characters
      std::memcpy(raw.data() + i * width, value.data(), n);
    }
    Handle type = fixed_string_type(width);
    write(first, values.size(), type.get(), raw.data());
  }

 private:
  /// Rows [first, first + count) of the dataset, and a memory space of their shape.
  struct Selection {
    Handle file, memory;
  };
  Selection select(hsize_t first, hsize_t count) const {
    Handle file_space(H5Dget_space(dataset_.get()));
    std::vector<hsize_t> start{first}, extent{count};
    for (hsize_t d : inner_) {
      start.push_back(0);
      extent.push_back(d);
    }
    check_status(H5Sselect_hyperslab(file_space.get(), H5S_SELECT_SET, start.data(), nullptr, extent.data(), nullptr),
                 file_, name_);
    return {std::move(file_space), Handle(H5Screate_simple(static_cast<int>(extent.size()), extent.data(), nullptr))};
  }

  Column(std::string file, std::string name, std::vector<hsize_t> inner)
      : file_(std::move(file)), name_(std::move(name)), inner_(std::move(inner)) {}

  std::string file_;
  std::string name_;
  std::vector<hsize_t> inner_;
  Handle dataset_;
};

}  // namespace mexa::io::h5
