#include "augment.h"

#include <cmath>
#include <numbers>
#include <random>

namespace mexa::engine {

torch::Tensor augment_clip(const torch::Tensor& x, const Augment& a, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> unit(-1.0, 1.0), coin(0.0, 1.0);
  const bool flip = coin(rng) < a.flip;
  const double angle = a.rotation * unit(rng) * std::numbers::pi / 180.0;
  const double zoom = 1.0 + a.scale * unit(rng);
  const double tx = 2.0 * a.shift * unit(rng), ty = 2.0 * a.shift * unit(rng);  // normalised coordinates span 2
  torch::Tensor frames = x.permute({1, 0, 2, 3});  // [T, C, H, W]
  if (flip) {
    frames = frames.flip({3});
    if (a.flow_field) {  // mirrored flow points the other way horizontally
      frames = frames.clone();
      frames.select(1, 0).neg_();
    }
  }
  if (angle == 0 && zoom == 1 && tx == 0 && ty == 0) return frames.permute({1, 0, 2, 3}).contiguous();
  // affine_grid maps output coordinates to input ones: sampling at (R/zoom) p + t zooms in by `zoom`.
  const double c = std::cos(angle) / zoom, s = std::sin(angle) / zoom;
  const auto theta = torch::tensor({static_cast<float>(c), static_cast<float>(-s), static_cast<float>(tx),
                                    static_cast<float>(s), static_cast<float>(c), static_cast<float>(ty)})
                         .view({1, 2, 3})
                         .expand({frames.size(0), 2, 3});
  namespace F = torch::nn::functional;
  const auto grid = F::affine_grid(theta, frames.sizes().vec(), /*align_corners=*/false);
  frames = F::grid_sample(frames, grid,
                          F::GridSampleFuncOptions().mode(torch::kBilinear).padding_mode(torch::kBorder).align_corners(false));
  return frames.permute({1, 0, 2, 3}).contiguous();
}

}  // namespace mexa::engine
