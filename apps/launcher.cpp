// `mexa`: picks the executable a command needs and execs it before any
// library loads. `mexa-torch` holds every command and loads LibTorch (with its
// CUDA libraries, ~0.5 s); `mexa-core` holds the commands that need no engine
// (probe, synth, flow, inspect, ...) and loads OpenCV, FFmpeg and HDF5
// (~0.1 s). This file links neither, so an engine command pays one of the two
// start-ups, not both, and a `probe` of a thousand files never loads LibTorch.
#include <cstdlib>
#include <string_view>

#include "engine_commands.h"
#include "sibling.h"

int main(int argc, char** argv) {
  const bool engine = argc >= 2 && mexa::cli::needs_engine(argv[1]);
  // `mexa score` shares the cores between its decode/analysis workers and
  // LibTorch's OpenMP threads; OpenMP threads that spin between parallel
  // regions take CPU from the workers (small3d scoring: 7 % faster with
  // passive waiting, r3d_18 unchanged; docs/scoring.md). OpenMP reads this
  // when LibTorch loads, so it is set here, before the exec; a value the
  // user set is kept.
  if (engine && std::string_view(argv[1]) == "score") setenv("OMP_WAIT_POLICY", "PASSIVE", /*overwrite=*/0);
  return mexa::cli::exec_sibling(engine ? "mexa-torch" : "mexa-core", argv);
}
