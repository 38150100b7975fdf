#include "mexa/engine/lr_schedule.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "mexa/enum_names.h"

namespace mexa::engine {

namespace {
const EnumNames<LrSchedule::Kind>& schedule_names() {
  using K = LrSchedule::Kind;
  static const EnumNames<K> names("learning-rate schedule", {{K::Constant, "constant"}, {K::Cosine, "cosine"}, {K::Step, "step"}});
  return names;
}
}  // namespace

LrSchedule::Kind parse_lr_schedule(const std::string& name) { return schedule_names().parse(name); }
std::string lr_schedule_name(LrSchedule::Kind kind) { return schedule_names().name(kind); }

double learning_rate(const LrSchedule& s, int epoch, int step, int steps_per_epoch) {
  if (s.epochs < 1 || steps_per_epoch < 1) throw std::invalid_argument("schedule needs epochs and steps");
  const double e = epoch + static_cast<double>(step) / steps_per_epoch;  // fractional epoch
  if (e < s.warmup_epochs) return s.base * (e + 1.0 / steps_per_epoch) / s.warmup_epochs;
  if (s.kind == LrSchedule::Kind::Constant) return s.base;
  if (s.kind == LrSchedule::Kind::Step) {
    const auto passed = std::count_if(s.milestones.begin(), s.milestones.end(), [&](int m) { return epoch >= m; });
    return s.base * std::pow(s.gamma, static_cast<double>(passed));
  }
  const double span = std::max(1, s.epochs - s.warmup_epochs);
  const double p = std::clamp((e - s.warmup_epochs) / span, 0.0, 1.0);
  return s.min_lr + (s.base - s.min_lr) * (1 + std::cos(M_PI * p)) / 2;
}

}  // namespace mexa::engine
