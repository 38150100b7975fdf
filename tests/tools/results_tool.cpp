// Helper process for the HDF5 tests.
//   results_tool sample PATH [BATCHES]   write BATCHES (default 3) sample batches, close
//   results_tool crash-writer PATH       create PATH, print "ready", then append batches
//                                        forever, printing each batch number once append()
//                                        returned (the parent SIGKILLs it)
//   results_tool large PATH CLIPS FRAMES  CLIPS clips of FRAMES frames each, no landmarks
//                                        or per-frame probabilities (bench/report_scale.sh)
#include <cstdio>
#include <cstring>
#include <algorithm>
#include <cstdlib>
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
    if (mode == "large" && argc > 4) {
      auto meta = mexa::test::sample_meta();
      meta.frame_landmarks = meta.frame_probs = false;
      mexa::io::ResultsWriter writer(path, meta, mexa::io::ResultsWriter::Mode::Overwrite);
      const long clips = std::atol(argv[3]), frames = std::atol(argv[4]);
      for (long first = 0; first < clips; first += 1000) {
        mexa::io::ResultsBatch batch;
        for (long c = first; c < std::min(clips, first + 1000); ++c) {
          mexa::io::ClipRow clip;
          clip.id = "sub" + std::to_string(c % 50) + "/clip" + std::to_string(c);
          clip.source = "clips/" + clip.id + ".mp4";
          clip.subject = "sub" + std::to_string(c % 50);
          clip.status = c % 97 == 0 ? mexa::io::ClipStatus::NoFace : mexa::io::ClipStatus::Ok;
          clip.fps = 200;
          clip.n_frames = frames;
          clip.onset = 5;
          clip.apex = static_cast<int32_t>(frames / 2);
          clip.offset = static_cast<int32_t>(frames - 5);
          clip.pred = static_cast<int16_t>(c % 7);
          clip.probs.assign(7, 1.0f / 7);
          clip.apex_feature.assign(16, 0.5f);
          batch.clips.push_back(clip);
          for (long f = 0; f < frames; ++f) {
            mexa::io::FrameRow row;
            row.clip = static_cast<int64_t>(batch.clips.size() - 1);
            row.index = f;
            row.time = f / 200.0;
            row.success = 1;
            row.motion = static_cast<float>((f * (frames - f)) % 1000) / 1000.0f;
            batch.frames.push_back(row);
          }
        }
        writer.append(batch);
      }
      writer.close();
      return 0;
    }
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
