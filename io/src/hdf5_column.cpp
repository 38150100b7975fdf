#include "hdf5_column.h"

namespace mexa::io::h5 {

void write_string_attr(hid_t object, const std::string& file, const char* name, const std::string& value) {
  const std::string text = valid_utf8(value);  // the attribute is tagged UTF-8 (h5py decodes it)
  Handle type = h5::vlen_string_type();
  Handle space(H5Screate(H5S_SCALAR));
  if (H5Aexists(object, name) > 0) H5Adelete(object, name);
  Handle attr(check(H5Acreate2(object, name, type.get(), space.get(), H5P_DEFAULT, H5P_DEFAULT), file, name));
  const char* data = text.c_str();
  check_status(H5Awrite(attr.get(), type.get(), &data), file, std::string("write attribute ") + name);
}

void write_strings_attr(hid_t object, const std::string& file, const char* name, const std::vector<std::string>& values) {
  Handle type = h5::vlen_string_type();
  const hsize_t n = values.size();
  Handle space(H5Screate_simple(1, &n, nullptr));
  if (H5Aexists(object, name) > 0) H5Adelete(object, name);
  Handle attr(check(H5Acreate2(object, name, type.get(), space.get(), H5P_DEFAULT, H5P_DEFAULT), file, name));
  std::vector<const char*> data;
  for (const auto& v : values) data.push_back(v.c_str());
  check_status(H5Awrite(attr.get(), type.get(), data.data()), file, std::string("write attribute ") + name);
}

void write_int64_attr(hid_t object, const std::string& file, const char* name, int64_t value) {
  Handle space(H5Screate(H5S_SCALAR));
  Handle attr;
  if (H5Aexists(object, name) > 0)
    attr = Handle(check(H5Aopen(object, name, H5P_DEFAULT), file, name));
  else
    attr = Handle(check(H5Acreate2(object, name, H5T_STD_I64LE, space.get(), H5P_DEFAULT, H5P_DEFAULT), file, name));
  check_status(H5Awrite(attr.get(), H5T_NATIVE_INT64, &value), file, std::string("write attribute ") + name);
}

std::vector<std::string> read_strings_attr(hid_t object, const std::string& file, const char* name) {
  if (H5Aexists(object, name) <= 0) throw StorageError(file, std::string("missing attribute '") + name + "'");
  Handle attr(check(H5Aopen(object, name, H5P_DEFAULT), file, name));
  Handle space(H5Aget_space(attr.get()));
  const hssize_t n = H5Sget_simple_extent_npoints(space.get());
  std::vector<char*> data(static_cast<size_t>(std::max<hssize_t>(n, 0)), nullptr);
  Handle type = h5::vlen_string_type();
  check_status(H5Aread(attr.get(), type.get(), data.data()), file, std::string("read attribute ") + name);
  std::vector<std::string> values;
  for (char* s : data) values.emplace_back(s ? s : "");
  H5Dvlen_reclaim(type.get(), space.get(), H5P_DEFAULT, data.data());
  return values;
}

std::string read_string_attr(hid_t object, const std::string& file, const char* name) {
  auto values = read_strings_attr(object, file, name);
  return values.empty() ? std::string() : values.front();
}

int64_t read_int64_attr(hid_t object, const std::string& file, const char* name) {
  if (H5Aexists(object, name) <= 0) throw StorageError(file, std::string("missing attribute '") + name + "'");
  Handle attr(check(H5Aopen(object, name, H5P_DEFAULT), file, name));
  int64_t value = 0;
  check_status(H5Aread(attr.get(), H5T_NATIVE_INT64, &value), file, std::string("read attribute ") + name);
  return value;
}

}  // namespace mexa::io::h5
