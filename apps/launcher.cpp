// `mexa`: picks the executable a command needs and execs it before any
// library loads. `mexa-torch` holds every command and loads LibTorch (with its
// CUDA libraries, ~0.5 s); `mexa-core` holds the commands that need no engine
// (probe, synth, flow, inspect, ...) and loads OpenCV, FFmpeg, dlib and
// HDF5 (~0.1 s). This file links neither, so an engine command pays one of
// the two start-ups, not both, and a `probe` of a thousand files never loads
// LibTorch.
#include "engine_commands.h"
#include "sibling.h"

int main(int argc, char** argv) {
  if (argc >= 2 && mexa::cli::needs_engine(argv[1])) return mexa::cli::exec_engine(argv);
  return mexa::cli::exec_sibling("mexa-core", argv);
}
