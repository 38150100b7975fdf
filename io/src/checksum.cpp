#include "mexa/io/checksum.h"

extern "C" {
#include <libavutil/mem.h>
#include <libavutil/sha.h>
}

#include <cstdio>
#include <fstream>
#include <memory>
#include <vector>

#include "mexa/io/errors.h"

namespace mexa::io {

std::string sha256_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw StorageError(path, "cannot open for checksumming");
  std::unique_ptr<AVSHA, decltype(&av_free)> sha(av_sha_alloc(), &av_free);
  if (!sha || av_sha_init(sha.get(), 256) < 0) throw StorageError(path, "cannot start SHA-256");
  std::vector<char> buffer(1 << 16);
  while (in) {
    in.read(buffer.data(), static_cast<std::streamsize>(buffer.size()));
    if (in.gcount() > 0)
      av_sha_update(sha.get(), reinterpret_cast<const uint8_t*>(buffer.data()), static_cast<unsigned>(in.gcount()));
  }
  if (in.bad()) throw StorageError(path, "read error while checksumming");
  uint8_t digest[32];
  av_sha_final(sha.get(), digest);
  std::string hex;
  char byte[3];
  for (uint8_t b : digest) {
    std::snprintf(byte, sizeof byte, "%02x", b);
    hex += byte;
  }
  return hex;
}

}  // namespace mexa::io
