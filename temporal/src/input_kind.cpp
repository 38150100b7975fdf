#include "mexa/temporal/input_kind.h"

#include <stdexcept>
#include <utility>
#include <vector>

namespace mexa::temporal {
namespace {

template <typename E>
using Names = std::vector<std::pair<E, std::string>>;

const Names<InputKind>& kind_names() {
  static const Names<InputKind> names{{InputKind::Frames, "frames"},
                                      {InputKind::OnsetDifference, "onset-difference"},
                                      {InputKind::Flow, "flow"},
                                      {InputKind::FlowImage, "flow-image"}};
  return names;
}

const Names<FlowNorm>& norm_names() {
  static const Names<FlowNorm> names{{FlowNorm::SharedMax, "shared-max"}, {FlowNorm::MinMax, "minmax"}};
  return names;
}

template <typename E>
std::string choices(const Names<E>& names) {
  std::string out;
  for (size_t k = 0; k < names.size(); ++k)
    out += (k == 0 ? "" : k + 1 == names.size() ? " or " : ", ") + names[k].second;
  return out;
}

template <typename E>
const std::string& name_of(const Names<E>& names, E value) {
  for (const auto& [v, name] : names)
    if (v == value) return name;
  throw std::logic_error("unnamed enum value");
}

template <typename E>
E parse(const Names<E>& names, const std::string& name, const char* what) {
  for (const auto& [v, n] : names)
    if (n == name) return v;
  throw std::invalid_argument(std::string(what) + " must be " + choices(names) + " (got '" + name + "')");
}

}  // namespace

const std::string& input_kind_name(InputKind kind) { return name_of(kind_names(), kind); }
InputKind parse_input_kind(const std::string& name) { return parse(kind_names(), name, "--input"); }
std::string input_kind_choices() { return choices(kind_names()); }
const std::string& flow_norm_name(FlowNorm norm) { return name_of(norm_names(), norm); }
FlowNorm parse_flow_norm(const std::string& name) { return parse(norm_names(), name, "--flow-norm"); }

}  // namespace mexa::temporal
