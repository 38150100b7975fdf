#include "sibling.h"

#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>
#include <string_view>

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

int exec_engine(char** argv) {
  // `mexa score` shares the cores between its decode/analysis workers and
  // LibTorch's OpenMP threads; OpenMP threads that spin between parallel
  // regions take CPU from the workers (small3d scoring: 7 % faster with
  // passive waiting, r3d_18 unchanged; docs/scoring.md). OpenMP reads this
  // when LibTorch loads, so it is set here, before the exec; a value the
  // user set is kept.
  if (argv[1] && std::string_view(argv[1]) == "score") setenv("OMP_WAIT_POLICY", "PASSIVE", /*overwrite=*/0);
  return exec_sibling("mexa-torch", argv);
}

}  // namespace mexa::cli
