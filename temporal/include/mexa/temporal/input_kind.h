// What a model reads, by name: the input kinds and the flow normalisations,
// each in one table (names for --input and --flow-norm, checkpoint metadata,
// config.ini and --help all come from it).
//
//   mexa::temporal::InputKind k = mexa::temporal::parse_input_kind("flow-image");
//   mexa::temporal::input_kind_name(k)  // "flow-image"
#pragma once

#include <string>

namespace mexa::temporal {

enum class InputKind {
  Frames,           ///< sampled frames of the aligned face
  OnsetDifference,  ///< sampled frames minus the onset frame
  Flow,             ///< onset -> apex optical flow (u, v, strain) computed by mexa
  FlowImage,        ///< a precomputed flow image per clip (the MEGC 2019 composite's form): R u, G v, B strain
};

/// How computed flow (InputKind::Flow) is scaled.
enum class FlowNorm {
  SharedMax,  ///< u and v divided by one shared max |flow| (signed, [-1, 1]); strain by its max ([0, 1])
  MinMax,     ///< each channel min-max scaled to [0, 1] on its own (the composite's images / 255)
};

const std::string& input_kind_name(InputKind kind);
/// Throws std::invalid_argument listing the names.
InputKind parse_input_kind(const std::string& name);
/// "frames, onset-difference, flow or flow-image": for messages and --help.
std::string input_kind_choices();

const std::string& flow_norm_name(FlowNorm norm);
/// Throws std::invalid_argument listing the names.
FlowNorm parse_flow_norm(const std::string& name);

}  // namespace mexa::temporal
