// The trainer's augmentation: a mirrored optical flow field points the other way.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "../../engine/src/augment.h"

namespace mexa::engine {
namespace {

TEST(Augment, FlipOfAFlowFieldNegatesUAndMirrorsEveryChannel) {
  // [3, 1, 2, 3]: u = column index + 1, v = 10 * (row + 1), strain = 5.
  auto x = torch::zeros({3, 1, 2, 3});
  for (int r = 0; r < 2; ++r)
    for (int c = 0; c < 3; ++c) {
      x[0][0][r][c] = c + 1;
      x[1][0][r][c] = 10 * (r + 1);
      x[2][0][r][c] = 5;
    }
  Augment a{.flip = 1.0, .shift = 0, .rotation = 0, .scale = 0, .flow_field = true};
  const auto y = augment_clip(x, a, /*seed=*/3);
  for (int r = 0; r < 2; ++r)
    for (int c = 0; c < 3; ++c) {
      EXPECT_EQ(y[0][0][r][c].item<float>(), -static_cast<float>(3 - c)) << r << "," << c;  // mirrored and negated
      EXPECT_EQ(y[1][0][r][c].item<float>(), 10.0f * (r + 1));
      EXPECT_EQ(y[2][0][r][c].item<float>(), 5.0f);
    }
  a.flow_field = false;  // frames: mirrored only
  const auto z = augment_clip(x, a, 3);
  EXPECT_EQ(z[0][0][0][0].item<float>(), 3.0f);
  EXPECT_TRUE(torch::equal(x[0][0][0][0], torch::tensor(1.0f)));  // the input is untouched
}

}  // namespace
}  // namespace mexa::engine
