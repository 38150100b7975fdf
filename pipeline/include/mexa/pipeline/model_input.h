// What a checkpoint needs to see: the input spec (frames, size, sampling,
// face, normalisation, input kind) stored as checkpoint metadata by
// `mexa train` and read back by `mexa eval` and `mexa score`, so that every
// command rebuilds exactly the input the model was trained on.
//
//   auto [predictor, spec] = mexa::pipeline::load_model("run/folds/0/best.pt", "auto");
//   mexa::temporal::ClipLoader loader(spec);
#pragma once

#include <map>
#include <memory>
#include <string>

#include "mexa/engine/trainer.h"
#include "mexa/temporal/clip_loader.h"

namespace mexa::pipeline {

/// The input spec as checkpoint metadata ("input.frames" = "16", ...).
std::map<std::string, std::string> input_metadata(const temporal::ClipSpec& spec);
/// Back from checkpoint metadata; throws std::runtime_error naming a missing key.
temporal::ClipSpec input_spec_from(const std::map<std::string, std::string>& metadata);

/// What `mexa train` feeds the model when no input option is given.
inline constexpr const char* kDefaultInputKind = "flow";
/// The model input `mexa train` builds for an input kind ("flow", "frames",
/// "onset-difference", "flow-image") when its other input options are not
/// given — with the trainer's defaults (engine::TrainConfig), the one place
/// of the defaults, chosen by docs/defaults.md: flow is onset->apex TV-L1 u,
/// v and strain, 3 x 1 x 28 x 28, scaled by the shared max; a flow image is
/// 3 x 1 x 28 x 28, pixels / 255 (mean 0, std 1: STSTNet's recipe); frames
/// and onset differences are grey, 16 x 64 x 64, sampled uniformly. Throws
/// std::invalid_argument for another kind.
temporal::ClipSpec default_clip_spec(const std::string& input_kind);
/// The model for an input kind when --model is not given: ststnet for flow and flow images, small3d otherwise.
std::string default_model(const std::string& input_kind);

/// A checkpoint ready to predict, and the input spec it was trained on.
struct LoadedModel {
  std::unique_ptr<engine::Predictor> predictor;
  temporal::ClipSpec spec;
};
/// Throws DataError naming the file when it is not a usable mexa checkpoint.
/// With Loading::Background the weights load on a thread of their own; call
/// wait_until_loaded() (DataError on failure) before the model's first use
/// matters.
LoadedModel load_model(const std::string& checkpoint, const std::string& device,
                       engine::Predictor::Loading loading = engine::Predictor::Loading::Now);
/// Waits for a background load; throws DataError naming the file when the
/// weights could not be loaded.
void wait_until_loaded(engine::Predictor& predictor);

/// --threads and --device of the inference commands: sets LibTorch's CPU
/// threads and checks the device text; throws std::invalid_argument for bad values.
void apply_compute_options(int threads, const std::string& device);

}  // namespace mexa::pipeline
