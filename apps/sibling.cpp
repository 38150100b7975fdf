#include "sibling.h"

#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <string>

namespace mexa::cli {

int exec_sibling(const char* binary, char** argv) {
  std::error_code ec;
  const auto self = std::filesystem::read_symlink("/proc/self/exe", ec);
  const std::string path = (ec ? std::filesystem::path(argv[0]) : self).parent_path() / binary;
  execv(path.c_str(), argv);
  std::fprintf(stderr, "mexa%s%s: cannot start %s: %s\n", argv[1] ? " " : "", argv[1] ? argv[1] : "", path.c_str(),
               std::strerror(errno));
  return 3;  // cli::kFatal (cli.h is not linked into the launcher)
}

}  // namespace mexa::cli
