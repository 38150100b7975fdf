// io::sha256_file against the standard's test vectors (FIPS 180-2), and a
// missing file named in the error.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "mexa/io/checksum.h"
#include "mexa/io/errors.h"

namespace mexa::io {
namespace {

std::string file_with(const std::string& name, const std::string& bytes) {
  const auto path = (std::filesystem::temp_directory_path() / name).string();
  std::ofstream(path, std::ios::binary) << bytes;
  return path;
}

TEST(Checksum, Sha256OfKnownContents) {
  EXPECT_EQ(sha256_file(file_with("mexa-sha-empty", "")),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(sha256_file(file_with("mexa-sha-abc", "abc")),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  // Longer than the 1 MiB read buffer: one million 'a's.
  EXPECT_EQ(sha256_file(file_with("mexa-sha-million", std::string(1000000, 'a'))),
            "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
  EXPECT_EQ(sha256_file(file_with("mexa-sha-two-buffers", std::string((1 << 20) + 3, 'a'))),
            "f5e25b6b994188fdb721357d459785dc479934edfd40f95658a45ab2ce2d8027");  // Python's hashlib
}

TEST(Checksum, AMissingFileIsAStorageErrorNamingIt) {
  try {
    sha256_file("/nonexistent/mexa-checkpoint.pt");
    FAIL() << "no exception";
  } catch (const StorageError& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent/mexa-checkpoint.pt"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace mexa::io
