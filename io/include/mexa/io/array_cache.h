// io::ArrayCache: an HDF5 file of float arrays by key — the on-disk cache of
// preprocessed clips, so training epochs after the first skip decoding. One
// gzip-compressed dataset per key (key text hashed into the dataset name;
// the key itself is stored as an attribute and checked on read, so a hash
// collision is a miss, never a wrong clip). Each put() is flushed.
//
// Not thread-safe: one cache per thread, or guard it.
//
//   mexa::io::ArrayCache cache("build/cache/clips.h5");
//   if (auto hit = cache.get(key)) use(*hit); else cache.put(key, shape, data);
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace mexa::io {

struct CachedArray {
  std::vector<int64_t> shape;
  std::vector<float> data;
};

class ArrayCache {
 public:
  /// Opens or creates the file; throws StorageError naming it.
  explicit ArrayCache(const std::string& path);
  ~ArrayCache();
  ArrayCache(ArrayCache&&) noexcept;
  ArrayCache& operator=(ArrayCache&&) noexcept;

  std::optional<CachedArray> get(const std::string& key) const;
  /// Stores (or replaces) the array under `key`; data.size() must equal the shape's product.
  void put(const std::string& key, const std::vector<int64_t>& shape, const std::vector<float>& data);
  int64_t size() const;  ///< arrays stored

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace mexa::io
