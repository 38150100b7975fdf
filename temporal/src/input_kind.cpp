#include "mexa/temporal/input_kind.h"

#include "mexa/enum_names.h"

namespace mexa::temporal {
namespace {

const EnumNames<InputKind>& kind_names() {
  static const EnumNames<InputKind> names("--input", {{InputKind::Frames, "frames"},
                                                      {InputKind::OnsetDifference, "onset-difference"},
                                                      {InputKind::Flow, "flow"},
                                                      {InputKind::FlowImage, "flow-image"}});
  return names;
}

const EnumNames<FlowNorm>& norm_names() {
  static const EnumNames<FlowNorm> names("--flow-norm", {{FlowNorm::SharedMax, "shared-max"}, {FlowNorm::MinMax, "minmax"}});
  return names;
}

}  // namespace

const std::string& input_kind_name(InputKind kind) { return kind_names().name(kind); }
InputKind parse_input_kind(const std::string& name) { return kind_names().parse(name); }
std::string input_kind_choices() { return kind_names().choices(); }
const std::string& flow_norm_name(FlowNorm norm) { return norm_names().name(norm); }
FlowNorm parse_flow_norm(const std::string& name) { return norm_names().parse(name); }

}  // namespace mexa::temporal
