// Learning from uncertain labels and action units: the pieces of EAC, RUL,
// SCN, the AU head, phased progressive learning and candidate labels, as
// functions on tensors the trainer combines (and tests check on fixed
// values, tests/engine/uncertainty_reference.py). LibTorch header: include it
// only from engine .cpp files and engine tests.
//
// Sources (../shared/REFERENCES.md, "Label uncertainty and auxiliary tasks"):
//   EAC  Zhang et al., ECCV 2022: L = CE(f(x), y) + lambda MSE(M(x), flip(M(flip(x)))),
//        M the class activation maps (classifier weights detached), lambda = 5,
//        random erasing (area 0.02-0.25, ratio 0.3-3.3, p 0.5) on each view.
//   RUL  Zhang et al., NeurIPS 2021: u = mean_d exp(log var); z = u_i/(u_i+u_j) mu_i
//        + u_j/(u_i+u_j) mu_j for a random partner j; L = 0.5 CE(fc(z), y_i) + 0.5 CE(fc(z), y_j).
//   SCN  Wang et al., CVPR 2020: alpha = sigmoid(w^T x); logits alpha * fc(x) (in training
//        and scoring); rank
//        regularisation max(0, 0.15 - (mean alpha of the top 70 % - mean of the rest));
//        relabel when p_max - p_label > 0.2 (in mexa with guards beyond the paper: once per
//        epoch, on calibrated probabilities, after a warm-up, capped per class,
//        undone when the model changes its mind; engine/src/scn_guard.h).
//   Phased progressive learning: mexa's INTERPRETATION of the coupling loss's
//        schedule (arXiv 2205.12117's equation was not available): alpha(t) = 1, then
//        falling to 0 by a curve (BBN's parabolic 1 - s^2 by default), then 0.
//   Candidate labels (partial-label FER, arXiv 2209.15402): -log sum_{c in S} p_c.
#pragma once

#include <torch/torch.h>

#include "mexa/engine/uncertainty_config.h"

namespace mexa::engine {

/// Horizontal mirror of clips [B, C, T, H, W]; for optical flow (channel 0 =
/// u, horizontal motion) u is negated as well.
torch::Tensor flip_clips(const torch::Tensor& x, bool flow);

/// Random erasing per clip (torchvision's RandomErasing with value 0): with
/// probability p, one rectangle of area share U(min_area, max_area) of H x W
/// and aspect ratio log-uniform in (0.3, 3.3) is zeroed, the same for every
/// channel and frame. Draws from LibTorch's default CPU generator (seeded by
/// the trainer, restored on resume). Returns a new tensor.
torch::Tensor random_erase(const torch::Tensor& x, double p, double min_area, double max_area);

/// EAC's attention consistency: MSE(cams, mirror_W(cams_of_flipped)), both [B, C, T, H, W].
torch::Tensor attention_consistency(const torch::Tensor& cams, const torch::Tensor& cams_of_flipped);

/// RUL's mixed features: u = mean over d of exp(logvar) per clip, partner =
/// index of each clip's partner; z_i = u_i/(u_i+u_j) mu_i + u_j/(u_i+u_j) mu_j.
torch::Tensor rul_mix(const torch::Tensor& mu, const torch::Tensor& logvar, const torch::Tensor& partner);

/// SCN's rank regularisation of importance weights alpha [B]: the top
/// floor(ratio B) (as SCN's code, int(B * ratio); at least 1, at most B - 1) against the rest,
/// max(0, margin - (mean_high - mean_low)). 0 for B < 2.
torch::Tensor scn_rank_loss(const torch::Tensor& alpha, double ratio, double margin);

/// Candidate-set loss: mean over clips of -log sum_{c : mask_c} softmax(z)_c.
/// mask [B, C] (bool or 0/1); a one-candidate row is plain cross-entropy.
torch::Tensor candidate_loss(const torch::Tensor& logits, const torch::Tensor& mask);

/// The AU head's loss: binary cross-entropy on logits, mean over clips and
/// AUs; with `annotated` ([B], 0/1), over the annotated clips only (a clip
/// whose AUs are unknown teaches nothing; 0 when none is annotated).
torch::Tensor au_loss(const torch::Tensor& logits, const torch::Tensor& targets, const torch::Tensor& annotated = {});

/// Phased progressive learning's alpha at 1-based `epoch`: 1 before
/// phase2_epoch, 1 - curve(s) with s = (epoch - phase2 + 1) / (phase3 -
/// phase2 + 1) in between, so every epoch of phase 2 mixes both losses
/// (parabolic s^2, linear s, cosine (1 - cos(pi s)) / 2), 0 from phase3_epoch
/// on. 1 when no phases are set.
double phase_alpha(const UncertaintyConfig& config, int epoch);

}  // namespace mexa::engine
