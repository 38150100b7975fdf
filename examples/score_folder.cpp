// Score a folder of videos into an HDF5 results file through the library,
// as `mexa score` does:
//   score_folder FOLDER CHECKPOINT.pt RESULTS.h5
// Every video and frame folder under FOLDER becomes a clip row (probabilities,
// features) with per-frame face, motion and phase rows.
#include <atomic>
#include <cstdio>
#include <exception>

#include "mexa/pipeline/scorer.h"

int main(int argc, char** argv) {
  if (argc != 4) {
    std::fprintf(stderr, "usage: %s FOLDER CHECKPOINT.pt RESULTS.h5\n", argv[0]);
    return 2;
  }
  try {
    mexa::pipeline::ScoreOptions options;
    options.inputs = {argv[1]};
    options.model = argv[2];
    options.out = argv[3];
    options.output = mexa::pipeline::ScoreOptions::Output::Overwrite;

    std::atomic<bool> stop{false};  // a signal handler may set it: the batch in flight is finished and saved
    const auto summary = mexa::pipeline::score(options, stop, [](int64_t written, int64_t total) {
      std::fprintf(stderr, "\r%lld/%lld clips", static_cast<long long>(written), static_cast<long long>(total));
    });

    std::printf("\n%lld clips written to %s: %lld ok, %lld failed\n", static_cast<long long>(summary.written),
                argv[3], static_cast<long long>(summary.ok), static_cast<long long>(summary.failed()));
    return summary.failed() == 0 && summary.problems.empty() ? 0 : 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "score_folder: %s\n", e.what());
    return 3;
  }
}
