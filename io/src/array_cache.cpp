#include "mexa/io/array_cache.h"

#include <cstdio>
#include <filesystem>
#include <functional>

#include "hdf5_handle.h"
#include "mexa/io/errors.h"

namespace mexa::io {

using h5::check;
using h5::check_status;
using h5::Handle;

namespace {

/// FNV-1a 64: stable across runs and platforms (std::hash is not).
std::string dataset_name(const std::string& key) {
  uint64_t h = 1469598103934665603ull;
  for (unsigned char c : key) h = (h ^ c) * 1099511628211ull;
  char name[24];
  std::snprintf(name, sizeof name, "a%016llx", static_cast<unsigned long long>(h));
  return name;
}

}  // namespace

struct ArrayCache::Impl {
  std::string path;
  Handle file;
  h5::QuietErrors quiet;
};

ArrayCache::ArrayCache(const std::string& path) : impl_(std::make_unique<Impl>()) {
  impl_->path = path;
  std::error_code ec;
  if (std::filesystem::exists(path, ec))
    impl_->file = Handle(check(H5Fopen(path.c_str(), H5F_ACC_RDWR, H5P_DEFAULT), path, "cannot open the cache"));
  else
    impl_->file = Handle(check(H5Fcreate(path.c_str(), H5F_ACC_EXCL, H5P_DEFAULT, H5P_DEFAULT), path,
                               "cannot create the cache"));
}

ArrayCache::~ArrayCache() = default;
ArrayCache::ArrayCache(ArrayCache&&) noexcept = default;
ArrayCache& ArrayCache::operator=(ArrayCache&&) noexcept = default;

std::optional<CachedArray> ArrayCache::get(const std::string& key) const {
  const std::string name = dataset_name(key);
  const hid_t file = impl_->file.get();
  if (H5Lexists(file, name.c_str(), H5P_DEFAULT) <= 0) return std::nullopt;
  Handle dataset(check(H5Dopen2(file, name.c_str(), H5P_DEFAULT), impl_->path, "open " + name));
  // The key itself, to rule out hash collisions.
  Handle attr(check(H5Aopen(dataset.get(), "key", H5P_DEFAULT), impl_->path, "key of " + name));
  Handle type = h5::vlen_string_type();
  char* stored = nullptr;
  check_status(H5Aread(attr.get(), type.get(), &stored), impl_->path, "read key");
  const bool same = stored && key == stored;
  Handle scalar(H5Screate(H5S_SCALAR));
  H5Dvlen_reclaim(type.get(), scalar.get(), H5P_DEFAULT, &stored);
  if (!same) return std::nullopt;

  Handle space(H5Dget_space(dataset.get()));
  const int rank = H5Sget_simple_extent_ndims(space.get());
  std::vector<hsize_t> dims(static_cast<size_t>(std::max(rank, 0)));
  H5Sget_simple_extent_dims(space.get(), dims.data(), nullptr);
  CachedArray out;
  size_t count = 1;
  for (hsize_t d : dims) {
    out.shape.push_back(static_cast<int64_t>(d));
    count *= d;
  }
  out.data.resize(count);
  check_status(H5Dread(dataset.get(), H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, out.data.data()), impl_->path,
               "read " + name);
  return out;
}

void ArrayCache::put(const std::string& key, const std::vector<int64_t>& shape, const std::vector<float>& data) {
  size_t count = 1;
  std::vector<hsize_t> dims;
  for (int64_t d : shape) {
    if (d < 1) throw StorageError(impl_->path, "array dimensions must be positive");
    dims.push_back(static_cast<hsize_t>(d));
    count *= static_cast<size_t>(d);
  }
  if (count != data.size())
    throw StorageError(impl_->path, "array of " + std::to_string(data.size()) + " values does not fit its shape");
  const std::string name = dataset_name(key);
  const hid_t file = impl_->file.get();
  if (H5Lexists(file, name.c_str(), H5P_DEFAULT) > 0) H5Ldelete(file, name.c_str(), H5P_DEFAULT);
  Handle space(H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr));
  Handle props(H5Pcreate(H5P_DATASET_CREATE));
  check_status(H5Pset_chunk(props.get(), static_cast<int>(dims.size()), dims.data()), impl_->path, "chunk");
  check_status(H5Pset_shuffle(props.get()), impl_->path, "shuffle");
  check_status(H5Pset_deflate(props.get(), 1), impl_->path, "deflate");
  Handle dataset(check(H5Dcreate2(file, name.c_str(), H5T_IEEE_F32LE, space.get(), H5P_DEFAULT, props.get(), H5P_DEFAULT),
                       impl_->path, "create " + name));
  check_status(H5Dwrite(dataset.get(), H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, data.data()), impl_->path,
               "write " + name);
  Handle type = h5::vlen_string_type();
  Handle scalar(H5Screate(H5S_SCALAR));
  Handle attr(check(H5Acreate2(dataset.get(), "key", type.get(), scalar.get(), H5P_DEFAULT, H5P_DEFAULT), impl_->path,
                    "key attribute"));
  const char* text = key.c_str();
  check_status(H5Awrite(attr.get(), type.get(), &text), impl_->path, "write key");
  check_status(H5Fflush(file, H5F_SCOPE_GLOBAL), impl_->path, "flush");
}

int64_t ArrayCache::size() const {
  H5G_info_t info{};
  check_status(H5Gget_info(impl_->file.get(), &info), impl_->path, "count arrays");
  return static_cast<int64_t>(info.nlinks);
}

}  // namespace mexa::io
