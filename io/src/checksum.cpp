#include "mexa/io/checksum.h"

#include <openssl/evp.h>

#include <cstdio>
#include <fstream>
#include <memory>
#include <vector>

#include "mexa/io/errors.h"

namespace mexa::io {

std::string sha256_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw StorageError(path, "cannot open for checksumming");
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> sha(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
  if (!sha || EVP_DigestInit_ex(sha.get(), EVP_sha256(), nullptr) != 1)
    throw StorageError(path, "cannot start SHA-256");
  std::vector<char> buffer(1 << 20);
  while (in) {
    in.read(buffer.data(), static_cast<std::streamsize>(buffer.size()));
    if (in.gcount() > 0 && EVP_DigestUpdate(sha.get(), buffer.data(), static_cast<size_t>(in.gcount())) != 1)
      throw StorageError(path, "SHA-256 failed");
  }
  if (in.bad()) throw StorageError(path, "read error while checksumming");
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (EVP_DigestFinal_ex(sha.get(), digest, &length) != 1 || length != 32)
    throw StorageError(path, "SHA-256 failed");
  std::string hex;
  char byte[3];
  for (unsigned int i = 0; i < length; ++i) {
    const unsigned char b = digest[i];
    std::snprintf(byte, sizeof byte, "%02x", b);
    hex += byte;
  }
  return hex;
}

}  // namespace mexa::io
