// Helper process for the HDF5 tests.
//   results_tool sample PATH [BATCHES]   write BATCHES (default 3) sample batches, close
//   results_tool crash-writer PATH       create PATH, print "ready", then append batches
//                                        forever, printing each batch number once append()
//                                        returned (the parent SIGKILLs it)
#include <cstdio>
#include <cstring>
#include <string>

#include "../io/results_fixture.h"

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: results_tool sample|crash-writer PATH [BATCHES]\n");
    return 2;
  }
  const std::string mode = argv[1];
  const std::string path = argv[2];
  try {
    mexa::io::ResultsWriter writer(path, mexa::test::sample_meta(), mexa::io::ResultsWriter::Mode::Overwrite);
    if (mode == "sample") {
      const int batches = argc > 3 ? std::atoi(argv[3]) : 3;
      for (int b = 0; b < batches; ++b) writer.append(mexa::test::make_batch(b));
      writer.close();
      return 0;
    }
    if (mode == "crash-writer") {
      std::printf("ready\n");
      std::fflush(stdout);
      for (int b = 0;; ++b) {
        writer.append(mexa::test::make_batch(b));
        std::printf("%d\n", b);
        std::fflush(stdout);
      }
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "results_tool: %s\n", e.what());
    return 3;
  }
  std::fprintf(stderr, "results_tool: unknown mode %s\n", mode.c_str());
  return 2;
}
