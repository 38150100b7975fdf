// Synthetic faces for `mexa synth`: a subject's neutral face, and facial
// action units (FACS AUs) as smooth local displacement fields applied with
// cv::remap. Stateless functions, thread-safe.
//
//   auto face = mexa::synth::SubjectFace::random(/*seed=*/7, {128, 128});
//   cv::Mat neutral = mexa::synth::render_neutral(face, {128, 128});      // CV_32FC3, BGR
//   cv::Mat field = mexa::synth::au_field(face, {{ActionUnit::AU12, 1.0f}}); // CV_32FC2, pixels
//   cv::Mat smiling = mexa::synth::warp(neutral, field * 3.0);
#pragma once

#include <opencv2/core.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace mexa::synth {

enum class ActionUnit { AU1, AU2, AU4, AU5, AU6, AU7, AU9, AU10, AU12, AU14, AU15, AU17, AU20, AU23, AU25, AU26 };

int au_number(ActionUnit au);
std::vector<ActionUnit> all_action_units();

struct AuActivation {
  ActionUnit au;
  float intensity = 1.0f;
  int side = 0;  ///< 0 both sides; -1 the face's right side only, +1 its left (unilateral AU12/14)
};

/// Geometry, colour and texture of one synthetic subject. Positions of the
/// features are fractions of the face's half width (x) and half height (y)
/// from its centre.
struct SubjectFace {
  cv::Point2f center;       ///< pixels
  float half_width = 48;    ///< pixels
  float half_height = 60;
  cv::Vec3f skin{150, 170, 200};  ///< BGR
  cv::Vec3f iris{40, 60, 90};
  cv::Vec3f hair{30, 35, 40};
  float eye_x = 0.36f, eye_y = -0.20f;
  float brow_y = -0.40f;
  float nose_y = 0.18f;
  float mouth_y = 0.46f, mouth_half_width = 0.30f;
  float brow_thickness = 0.07f;
  uint64_t texture_seed = 1;

  /// A random subject whose face fits `canvas`. With `placement` false the face
  /// fills a centred crop (like CASME II's cropped releases); with true it is
  /// smaller and at a random position (for face-detection paths).
  static SubjectFace random(uint64_t seed, cv::Size canvas, bool placement = false);
  /// Pixel position of a point given in face fractions.
  cv::Point2f at(float x, float y) const { return {center.x + x * half_width, center.y + y * half_height}; }
};

/// The neutral face on a textured background: CV_32FC3, BGR, 0..255.
cv::Mat render_neutral(const SubjectFace& face, cv::Size size, uint64_t background_seed);

/// Sum of the activated AUs' displacement fields (CV_32FC2, pixels), before
/// any amplitude scaling: each AU moves its region by about `intensity` px.
cv::Mat au_field(const SubjectFace& face, const std::vector<AuActivation>& activations, cv::Size size);

/// Eyelids closing: `closure` 0 (open) .. 1 (shut), CV_32FC2 pixels.
cv::Mat blink_field(const SubjectFace& face, float closure, cv::Size size);

/// Largest displacement length in a field (pixels).
float max_displacement(const cv::Mat& field);

/// Backward warp: out(p) = image(p - field(p) - shift). Bilinear, borders replicated.
cv::Mat warp(const cv::Mat& image, const cv::Mat& field, cv::Point2f shift = {0, 0});

}  // namespace mexa::synth
