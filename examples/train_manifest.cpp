// Train a model on a manifest through the library, as `mexa train` does:
//   train_manifest MANIFEST.csv RUN_DIR [EPOCHS]
// LOSO folds, mexa's default recipe (STSTNet on onset->apex optical flow),
// the test predictions of every fold pooled into RUN_DIR/summary.json.
#include <cstdio>
#include <exception>
#include <string>

#include "mexa/training/run.h"

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: %s MANIFEST.csv RUN_DIR [EPOCHS]\n", argv[0]);
    return 2;
  }
  try {
    auto options = mexa::training::default_run_options(argv[1], argv[2], "dfme", "flow");
    if (argc > 3) options.config.schedule.epochs = std::stoi(argv[3]);

    mexa::training::TrainRunCallbacks callbacks;
    callbacks.on_epoch = [](const std::string& fold, const mexa::engine::EpochRecord& r) {
      std::printf("%s epoch %d: loss %.4f, train acc %.3f\n", fold.c_str(), r.epoch, r.train_loss, r.train_acc);
    };
    const auto result = mexa::training::run_training(options, callbacks);

    std::printf("%zu folds, %zu clips unreadable\n", result.folds, result.failed);
    if (result.pooled) std::fputs(result.pooled->text.c_str(), stdout);
    return result.failed == 0 ? 0 : 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "train_manifest: %s\n", e.what());
    return 3;
  }
}
