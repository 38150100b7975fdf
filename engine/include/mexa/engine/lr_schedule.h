// Learning-rate schedules for the trainer: linear warm-up, then cosine decay
// or step decay. Evaluated per optimisation step (fractional epoch), so a
// resumed run gets the same rate at the same step. Plain C++, thread-safe.
//
//   warm-up:  lr(e) = base * (e + 1/steps) / warmup_epochs   for e < warmup_epochs
//   cosine:   lr(e) = min_lr + (base - min_lr) * (1 + cos(pi * p)) / 2,
//             p = (e - warmup) / (epochs - warmup)
//   step:     lr(e) = base * gamma^(number of milestones <= e)
//             (the LDAM-DRW recipe: milestones 160, 180; gamma 0.1 -> x0.01, x0.001... )
//   constant: lr(e) = base (the STSTNet recipe's Adam at 1e-3)
//
//   LrSchedule s{.base = 0.1, .epochs = 200, .warmup_epochs = 5};
//   double lr = learning_rate(s, /*epoch=*/3, /*step=*/10, /*steps_per_epoch=*/50);
#pragma once

#include <string>
#include <vector>

namespace mexa::engine {

struct LrSchedule {
  enum class Kind { Cosine, Step, Constant };
  Kind kind = Kind::Cosine;
  double base = 0.01;
  int epochs = 30;
  int warmup_epochs = 0;
  double min_lr = 0.0;               ///< cosine floor
  std::vector<int> milestones;       ///< step: epochs where the rate is multiplied by gamma
  double gamma = 0.1;
};

/// Parses "cosine", "step" or "constant"; throws std::invalid_argument.
LrSchedule::Kind parse_lr_schedule(const std::string& name);
std::string lr_schedule_name(LrSchedule::Kind kind);

/// Rate for step `step` (0-based) of `epoch` (0-based). Throws std::invalid_argument
/// for a schedule without epochs or steps.
double learning_rate(const LrSchedule& schedule, int epoch, int step, int steps_per_epoch);

}  // namespace mexa::engine
