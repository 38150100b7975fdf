#include "mexa/pipeline/model_input.h"

#include <cstdio>
#include <stdexcept>

#include "mexa/engine/device.h"
#include "mexa/io/errors.h"

namespace mexa::pipeline {
namespace {

std::string number(double v) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.9g", v);
  return buffer;
}

}  // namespace

temporal::ClipSpec default_clip_spec(const std::string& name) {
  temporal::ClipSpec s;
  s.kind = temporal::parse_input_kind(name);
  switch (s.kind) {
    case temporal::InputKind::Flow:
    case temporal::InputKind::FlowImage:
      s.flow_method = temporal::FlowMethod::TvL1;
      s.channels = 3;
      s.frames = 1;
      s.height = s.width = 28;
      if (s.kind == temporal::InputKind::FlowImage) {  // pixels / 255, as the STSTNet recipe feeds them
        s.mean = 0;
        s.std = 1;
      }
      break;
    case temporal::InputKind::Frames:
    case temporal::InputKind::OnsetDifference:
      s.channels = 1;
      s.frames = 16;
      s.height = s.width = 64;
      s.sampling = temporal::Sampling::Uniform;
      break;
  }
  return s;
}

std::string default_model(const std::string& kind) {
  return kind == "flow" || kind == "flow-image" ? "ststnet" : "small3d";
}

std::map<std::string, std::string> input_metadata(const temporal::ClipSpec& s) {
  return {{"input.sampling", temporal::sampling_name(s.sampling)},
          {"input.frames", std::to_string(s.frames)},
          {"input.height", std::to_string(s.height)},
          {"input.width", std::to_string(s.width)},
          {"input.channels", std::to_string(s.channels)},
          {"input.mean", number(s.mean)},
          {"input.std", number(s.std)},
          {"input.face", temporal::face_detector_name(s.face)},
          {"input.min_face", std::to_string(s.min_face)},
          {"input.folder_fps", number(s.folder_fps)},
          {"input.onset_difference", s.kind == temporal::InputKind::OnsetDifference ? "1" : "0"},  // read by older mexa
          {"input.kind", temporal::input_kind_name(s.kind)},
          {"input.flow_method", temporal::flow_method_name(s.flow_method)},
          {"input.flow_norm", temporal::flow_norm_name(s.flow_norm)}};
}

temporal::ClipSpec input_spec_from(const std::map<std::string, std::string>& m) {
  auto get = [&](const std::string& key) -> const std::string& {
    const auto it = m.find(key);
    if (it == m.end()) throw std::runtime_error("the checkpoint has no '" + key + "' (not trained by mexa train?)");
    return it->second;
  };
  temporal::ClipSpec s;
  s.sampling = temporal::parse_sampling(get("input.sampling"));
  s.frames = std::stoi(get("input.frames"));
  s.height = std::stoi(get("input.height"));
  s.width = std::stoi(get("input.width"));
  s.channels = std::stoi(get("input.channels"));
  s.mean = std::stof(get("input.mean"));
  s.std = std::stof(get("input.std"));
  s.face = temporal::parse_face_detector(get("input.face"));
  if (const auto it = m.find("input.min_face"); it != m.end()) s.min_face = std::stoi(it->second);  // older: 0
  s.folder_fps = std::stod(get("input.folder_fps"));
  s.kind = get("input.onset_difference") == "1" ? temporal::InputKind::OnsetDifference : temporal::InputKind::Frames;
  // Checkpoints from before input kinds existed have frames or onset differences.
  if (const auto kind = m.find("input.kind"); kind != m.end()) {
    try {
      s.kind = temporal::parse_input_kind(kind->second);
    } catch (const std::invalid_argument&) {
      throw std::runtime_error("unknown input kind '" + kind->second + "' (a newer mexa's checkpoint?)");
    }
    s.flow_method = temporal::parse_flow_method(get("input.flow_method"));
  }
  // Checkpoints from before --flow-norm scaled flow by the shared max.
  if (const auto norm = m.find("input.flow_norm"); norm != m.end()) {
    try {
      s.flow_norm = temporal::parse_flow_norm(norm->second);
    } catch (const std::invalid_argument&) {
      throw std::runtime_error("unknown flow normalisation '" + norm->second + "' (a newer mexa's checkpoint?)");
    }
  }
  return s;
}

LoadedModel load_model(const std::string& checkpoint, const std::string& device, engine::Predictor::Loading loading) {
  LoadedModel m;
  try {
    m.predictor = std::make_unique<engine::Predictor>(checkpoint, device, loading);
  } catch (const std::runtime_error& e) {
    throw DataError("", e.what());  // the message names the file
  }
  try {
    m.spec = input_spec_from(m.predictor->info().metadata);
  } catch (const std::exception& e) {
    throw DataError(checkpoint, e.what());
  }
  return m;
}

void wait_until_loaded(engine::Predictor& predictor) {
  try {
    predictor.wait_until_loaded();
  } catch (const std::runtime_error& e) {
    throw DataError("", e.what());  // the message names the file
  }
}

void apply_compute_options(int threads, const std::string& device) {
  engine::set_compute_threads(threads);
  (void)engine::resolve_device(device);
}

}  // namespace mexa::pipeline
