// io::ArrayCache: round trip, persistence, replacement, misses, bad shapes.
#include <gtest/gtest.h>

#include "../common/temp_dir_test.h"
#include "mexa/io/array_cache.h"
#include "mexa/io/errors.h"

namespace mexa::io {
namespace {

class Cache : public test::TempDirTest {};

TEST_F(Cache, StoresArraysAcrossReopening) {
  const std::string path = (dir_ / "clips.h5").string();
  std::vector<float> data(2 * 3 * 4);
  for (size_t i = 0; i < data.size(); ++i) data[i] = 0.5f * static_cast<float>(i) - 3;
  {
    ArrayCache cache(path);
    EXPECT_FALSE(cache.get("clip a|T16|64x64").has_value());
    cache.put("clip a|T16|64x64", {2, 3, 4}, data);
    cache.put("clip b|T16|64x64", {24}, data);
    EXPECT_EQ(cache.size(), 2);
  }
  ArrayCache cache(path);
  const auto hit = cache.get("clip a|T16|64x64");
  ASSERT_TRUE(hit.has_value());
  EXPECT_EQ(hit->shape, (std::vector<int64_t>{2, 3, 4}));
  EXPECT_EQ(hit->data, data);
  EXPECT_FALSE(cache.get("clip a|T8|64x64").has_value());
  std::vector<float> other(24, 1.0f);
  cache.put("clip a|T16|64x64", {24}, other);  // replaces
  EXPECT_EQ(cache.get("clip a|T16|64x64")->data, other);
  EXPECT_EQ(cache.size(), 2);
}

TEST_F(Cache, WrongShapesAndUnwritablePathsAreNamed) {
  ArrayCache cache((dir_ / "c.h5").string());
  EXPECT_THROW(cache.put("k", {2, 2}, std::vector<float>(5)), StorageError);
  EXPECT_THROW(cache.put("k", {0}, {}), StorageError);
  try {
    ArrayCache bad((dir_ / "missing" / "c.h5").string());
    FAIL();
  } catch (const StorageError& e) {
    EXPECT_NE(std::string(e.what()).find("missing/c.h5"), std::string::npos);
  }
}

}  // namespace
}  // namespace mexa::io
