// engine::learning_rate: warm-up, cosine and step values computed by hand.
#include <gtest/gtest.h>

#include <cmath>

#include "mexa/engine/lr_schedule.h"

namespace mexa::engine {
namespace {

TEST(LrSchedule, LinearWarmupThenCosine) {
  const LrSchedule s{.base = 0.1, .epochs = 10, .warmup_epochs = 2};
  EXPECT_NEAR(learning_rate(s, 0, 0, 4), 0.1 * 0.25 / 2, 1e-12);  // first step of warm-up
  EXPECT_NEAR(learning_rate(s, 1, 3, 4), 0.1 * 2.0 / 2, 1e-12);   // last warm-up step reaches base
  EXPECT_NEAR(learning_rate(s, 2, 0, 4), 0.1, 1e-12);              // cosine starts at base
  EXPECT_NEAR(learning_rate(s, 6, 0, 4), 0.05, 1e-12);             // halfway: (1 + cos(pi/2)) / 2
  EXPECT_NEAR(learning_rate(s, 10, 0, 4), 0.0, 1e-12);             // end of the schedule
  const LrSchedule floor{.base = 0.1, .epochs = 4, .min_lr = 0.01};
  EXPECT_NEAR(learning_rate(floor, 2, 0, 1), 0.01 + 0.09 * 0.5, 1e-12);
}

TEST(LrSchedule, StepDecayAtMilestones) {
  const LrSchedule s{.kind = LrSchedule::Kind::Step, .base = 0.1, .epochs = 200, .warmup_epochs = 5,
                     .milestones = {160, 180}, .gamma = 0.1};
  EXPECT_NEAR(learning_rate(s, 100, 0, 10), 0.1, 1e-12);
  EXPECT_NEAR(learning_rate(s, 160, 0, 10), 0.01, 1e-12);
  EXPECT_NEAR(learning_rate(s, 185, 5, 10), 0.001, 1e-12);
  EXPECT_NEAR(learning_rate(s, 0, 0, 10), 0.1 * 0.1 / 5, 1e-12);
}

TEST(LrSchedule, BadInputIsRejected) {
  EXPECT_THROW(learning_rate({.epochs = 0}, 0, 0, 1), std::invalid_argument);
  EXPECT_THROW(learning_rate({}, 0, 0, 0), std::invalid_argument);
  EXPECT_THROW(parse_lr_schedule("linear"), std::invalid_argument);
  EXPECT_EQ(parse_lr_schedule("step"), LrSchedule::Kind::Step);
}

}  // namespace
}  // namespace mexa::engine
