#include "mexa/synth/face.h"

#include <opencv2/imgproc.hpp>

#include <cmath>
#include <random>

namespace mexa::synth {
namespace {

/// One Gaussian bump of displacement: centre and spread in face fractions,
/// direction in pixels per unit intensity.
struct Bump {
  float x, y, sigma;
  float dx, dy;
};

/// Mirrors a bump for each side of the face (x > 0 is the image's right).
std::vector<Bump> both_sides(Bump b) {
  Bump mirrored = b;
  mirrored.x = -b.x;
  mirrored.dx = -b.dx;
  return {b, mirrored};
}

/// The bumps of one AU, from FACS descriptions of the movement (our own
/// simplified templates, not measured data).
std::vector<Bump> bumps_of(ActionUnit au) {
  std::vector<Bump> out;
  auto add_sides = [&](Bump b) {
    for (const Bump& s : both_sides(b)) out.push_back(s);
  };
  switch (au) {
    case ActionUnit::AU1: add_sides({0.14f, -0.42f, 0.12f, 0.0f, -1.0f}); break;          // inner brow raiser
    case ActionUnit::AU2: add_sides({0.50f, -0.40f, 0.12f, 0.0f, -1.0f}); break;          // outer brow raiser
    case ActionUnit::AU4:                                                                    // brow lowerer
      add_sides({0.24f, -0.41f, 0.14f, -0.5f, 0.85f});
      out.push_back({0.0f, -0.33f, 0.08f, 0.0f, 0.3f});
      break;
    case ActionUnit::AU5: add_sides({0.36f, -0.25f, 0.07f, 0.0f, -1.0f}); break;          // upper lid raiser
    case ActionUnit::AU6:                                                                    // cheek raiser
      add_sides({0.42f, 0.02f, 0.15f, 0.0f, -1.0f});
      add_sides({0.36f, -0.14f, 0.07f, 0.0f, -0.5f});
      break;
    case ActionUnit::AU7: add_sides({0.36f, -0.15f, 0.07f, 0.0f, -1.0f}); break;          // lid tightener
    case ActionUnit::AU9:                                                                    // nose wrinkler
      add_sides({0.11f, 0.03f, 0.10f, 0.2f, -1.0f});
      add_sides({0.12f, -0.36f, 0.08f, 0.0f, 0.4f});
      break;
    case ActionUnit::AU10:                                                                   // upper lip raiser
      out.push_back({0.0f, 0.37f, 0.10f, 0.0f, -1.0f});
      add_sides({0.13f, 0.38f, 0.09f, 0.0f, -0.8f});
      break;
    case ActionUnit::AU12: add_sides({0.30f, 0.46f, 0.10f, 0.7f, -0.7f}); break;          // lip corner puller
    case ActionUnit::AU14: add_sides({0.30f, 0.46f, 0.08f, -0.8f, -0.2f}); break;         // dimpler
    case ActionUnit::AU15: add_sides({0.30f, 0.47f, 0.10f, 0.0f, 1.0f}); break;           // lip corner depressor
    case ActionUnit::AU17:                                                                   // chin raiser
      out.push_back({0.0f, 0.76f, 0.15f, 0.0f, -1.0f});
      out.push_back({0.0f, 0.54f, 0.08f, 0.0f, -0.5f});
      break;
    case ActionUnit::AU20: add_sides({0.30f, 0.47f, 0.10f, 1.0f, 0.15f}); break;          // lip stretcher
    case ActionUnit::AU23: add_sides({0.20f, 0.46f, 0.08f, -0.6f, 0.0f}); break;          // lip tightener
    case ActionUnit::AU25: out.push_back({0.0f, 0.53f, 0.07f, 0.0f, 0.6f}); break;        // lips part
    case ActionUnit::AU26:                                                                   // jaw drop
      out.push_back({0.0f, 0.56f, 0.12f, 0.0f, 1.0f});
      out.push_back({0.0f, 0.80f, 0.20f, 0.0f, 1.0f});
      break;
  }
  return out;
}

void add_bump(cv::Mat& field, const SubjectFace& face, const Bump& b, float intensity) {
  const cv::Point2f c = face.at(b.x, b.y);
  const float sigma = b.sigma * face.half_width;
  const int reach = static_cast<int>(std::ceil(3.5f * sigma));
  const int x0 = std::max(0, static_cast<int>(c.x) - reach), x1 = std::min(field.cols - 1, static_cast<int>(c.x) + reach);
  const int y0 = std::max(0, static_cast<int>(c.y) - reach), y1 = std::min(field.rows - 1, static_cast<int>(c.y) + reach);
  const float inv = 1.0f / (2.0f * sigma * sigma);
  for (int y = y0; y <= y1; ++y) {
    auto* row = field.ptr<cv::Vec2f>(y);
    for (int x = x0; x <= x1; ++x) {
      const float d2 = (x - c.x) * (x - c.x) + (y - c.y) * (y - c.y);
      const float w = intensity * std::exp(-d2 * inv);
      row[x][0] += w * b.dx;
      row[x][1] += w * b.dy;
    }
  }
}

/// Smooth noise in [-1, 1]: random values on a coarse grid, resized with cubic
/// interpolation and blurred. `cell` is the feature size in pixels.
cv::Mat smooth_noise(cv::Size size, float cell, std::mt19937_64& rng) {
  const int gw = std::max(2, static_cast<int>(size.width / cell) + 2);
  const int gh = std::max(2, static_cast<int>(size.height / cell) + 2);
  cv::Mat grid(gh, gw, CV_32F);
  std::uniform_real_distribution<float> u(-1.0f, 1.0f);
  for (int y = 0; y < gh; ++y)
    for (int x = 0; x < gw; ++x) grid.at<float>(y, x) = u(rng);
  cv::Mat big;
  cv::resize(grid, big, size, 0, 0, cv::INTER_CUBIC);
  cv::GaussianBlur(big, big, cv::Size(0, 0), std::max(0.5f, cell / 4));
  return big;
}

cv::Scalar bgr(const cv::Vec3f& c) { return {c[0], c[1], c[2]}; }

/// cv drawing with 4 fractional bits: sub-pixel feature positions.
constexpr int kShift = 4;
cv::Point fixed(cv::Point2f p) { return {cvRound(p.x * (1 << kShift)), cvRound(p.y * (1 << kShift))}; }
cv::Size fixed(cv::Size2f s) { return {cvRound(s.width * (1 << kShift)), cvRound(s.height * (1 << kShift))}; }

}  // namespace

int au_number(ActionUnit au) {
  static const int numbers[] = {1, 2, 4, 5, 6, 7, 9, 10, 12, 14, 15, 17, 20, 23, 25, 26};
  return numbers[static_cast<int>(au)];
}

std::vector<ActionUnit> all_action_units() {
  std::vector<ActionUnit> all;
  for (int i = 0; i <= static_cast<int>(ActionUnit::AU26); ++i) all.push_back(static_cast<ActionUnit>(i));
  return all;
}

SubjectFace SubjectFace::random(uint64_t seed, cv::Size canvas, bool placement) {
  std::mt19937_64 rng(seed);
  auto uniform = [&](float lo, float hi) { return std::uniform_real_distribution<float>(lo, hi)(rng); };
  SubjectFace f;
  const float side = static_cast<float>(std::min(canvas.width, canvas.height));
  if (placement) {
    f.half_width = side * uniform(0.14f, 0.22f);
    f.half_height = f.half_width * uniform(1.2f, 1.35f);
    f.center = {uniform(f.half_width * 1.2f, canvas.width - f.half_width * 1.2f),
                uniform(f.half_height * 1.15f, canvas.height - f.half_height * 1.15f)};
  } else {
    f.half_width = side * uniform(0.36f, 0.42f);
    f.half_height = std::min(side * 0.49f, f.half_width * uniform(1.18f, 1.3f));
    f.center = {canvas.width / 2.0f + uniform(-1.5f, 1.5f), canvas.height / 2.0f + uniform(0.0f, 3.0f)};
  }
  // Skin tones from dark to light (BGR), with a little tint.
  const float tone = uniform(0.0f, 1.0f);
  f.skin = cv::Vec3f(70 + 120 * tone, 90 + 120 * tone, 130 + 105 * tone) + cv::Vec3f(uniform(-8, 8), uniform(-8, 8), 0);
  f.iris = cv::Vec3f(uniform(20, 120), uniform(30, 100), uniform(20, 80));
  const float hair_tone = uniform(0.0f, 1.0f);  // black .. brown .. blond
  f.hair = cv::Vec3f(15 + 60 * hair_tone, 20 + 95 * hair_tone, 25 + 130 * hair_tone);
  f.eye_x = uniform(0.32f, 0.40f);
  f.eye_y = uniform(-0.24f, -0.16f);
  f.brow_y = f.eye_y - uniform(0.16f, 0.22f);
  f.nose_y = uniform(0.14f, 0.22f);
  f.mouth_y = uniform(0.42f, 0.52f);
  f.mouth_half_width = uniform(0.24f, 0.34f);
  f.brow_thickness = uniform(0.05f, 0.09f);
  f.texture_seed = rng();
  return f;
}

cv::Mat render_neutral(const SubjectFace& f, cv::Size size, uint64_t background_seed) {
  std::mt19937_64 background_rng(background_seed);
  cv::Mat image(size, CV_32FC3);
  // Background: a soft gradient with blotches.
  const cv::Mat blotches = smooth_noise(size, 24, background_rng);
  const float base = std::uniform_real_distribution<float>(60, 140)(background_rng);
  for (int y = 0; y < size.height; ++y) {
    auto* row = image.ptr<cv::Vec3f>(y);
    for (int x = 0; x < size.width; ++x) {
      const float v = base + 25.0f * y / size.height + 12.0f * blotches.at<float>(y, x);
      row[x] = cv::Vec3f(v * 1.05f, v, v * 0.95f);
    }
  }

  // Hair above the forehead, then the face: skin with shading and texture
  // (pores and blotches at two scales give optical flow something to track).
  std::mt19937_64 rng(f.texture_seed);
  cv::ellipse(image, fixed(f.at(0, -0.25f)), fixed(cv::Size2f(f.half_width * 1.08f, f.half_height * 0.95f)), 0, 180,
              360, bgr(f.hair), cv::FILLED, cv::LINE_AA, kShift);
  cv::Mat face_mask = cv::Mat::zeros(size, CV_32F);
  cv::ellipse(face_mask, fixed(f.center), fixed(cv::Size2f(f.half_width, f.half_height)), 0, 0, 360, 1.0, cv::FILLED,
              cv::LINE_AA, kShift);
  const cv::Mat coarse = smooth_noise(size, f.half_width / 3, rng);
  const cv::Mat fine = smooth_noise(size, 2.5f, rng);
  for (int y = 0; y < size.height; ++y) {
    auto* row = image.ptr<cv::Vec3f>(y);
    for (int x = 0; x < size.width; ++x) {
      const float m = face_mask.at<float>(y, x);
      if (m <= 0) continue;
      const float u = (x - f.center.x) / f.half_width, v = (y - f.center.y) / f.half_height;
      const float r2 = u * u + v * v;
      const float shade = (1.0f - 0.28f * r2 * r2) * (1.0f + 0.07f * coarse.at<float>(y, x) + 0.05f * fine.at<float>(y, x));
      row[x] = row[x] * (1 - m) + f.skin * (shade * m);
    }
  }

  const cv::Vec3f dark = f.skin * 0.55f;
  for (int s : {-1, 1}) {
    // Brows: thick arcs.
    const cv::Point2f brow = f.at(s * f.eye_x, f.brow_y);
    cv::ellipse(image, fixed(brow + cv::Point2f(0, f.half_height * 0.06f)),
                fixed(cv::Size2f(f.half_width * 0.2f, f.half_height * 0.06f)), 0, 200, 340, bgr(f.hair),
                std::max(1, cvRound(f.brow_thickness * f.half_height)), cv::LINE_AA, kShift);
    // Eyes: white, iris, pupil, upper lid line.
    const cv::Point2f eye = f.at(s * f.eye_x, f.eye_y);
    const cv::Size2f eye_size(f.half_width * 0.16f, f.half_height * 0.055f);
    cv::ellipse(image, fixed(eye), fixed(eye_size), 0, 0, 360, cv::Scalar(225, 230, 235), cv::FILLED, cv::LINE_AA,
                kShift);
    cv::circle(image, fixed(eye), cvRound(eye_size.height * 0.95f * (1 << kShift)), bgr(f.iris), cv::FILLED,
               cv::LINE_AA, kShift);
    cv::circle(image, fixed(eye), cvRound(eye_size.height * 0.45f * (1 << kShift)), cv::Scalar(15, 15, 15),
               cv::FILLED, cv::LINE_AA, kShift);
    cv::ellipse(image, fixed(eye), fixed(eye_size), 0, 180, 360, bgr(f.hair * 0.8f), 1, cv::LINE_AA, kShift);
    // Nostrils.
    cv::ellipse(image, fixed(f.at(s * 0.08f, f.nose_y)), fixed(cv::Size2f(f.half_width * 0.05f, f.half_height * 0.025f)),
                s * 20, 0, 360, bgr(dark * 0.6f), cv::FILLED, cv::LINE_AA, kShift);
  }
  // Nose ridge shading and the mouth (lips, then the line between them).
  cv::line(image, fixed(f.at(0.04f, f.eye_y + 0.05f)), fixed(f.at(0.05f, f.nose_y - 0.03f)), bgr(f.skin * 0.8f), 1,
           cv::LINE_AA, kShift);
  const cv::Vec3f lips(f.skin[0] * 0.65f, f.skin[1] * 0.6f, std::min(255.0f, f.skin[2] * 1.05f));
  cv::ellipse(image, fixed(f.at(0, f.mouth_y)), fixed(cv::Size2f(f.half_width * f.mouth_half_width, f.half_height * 0.07f)),
              0, 0, 360, bgr(lips), cv::FILLED, cv::LINE_AA, kShift);
  cv::line(image, fixed(f.at(-f.mouth_half_width, f.mouth_y)), fixed(f.at(f.mouth_half_width, f.mouth_y)),
           bgr(dark * 0.5f), 1, cv::LINE_AA, kShift);
  // A few moles.
  std::uniform_real_distribution<float> spot(-0.7f, 0.7f);
  for (int i = 0; i < 4; ++i)
    cv::circle(image, fixed(f.at(spot(rng), spot(rng))), cvRound(1.0f * (1 << kShift)), bgr(dark), cv::FILLED,
               cv::LINE_AA, kShift);
  cv::GaussianBlur(image, image, cv::Size(0, 0), 0.5);
  return image;
}

cv::Mat au_field(const SubjectFace& face, const std::vector<AuActivation>& activations, cv::Size size) {
  cv::Mat field = cv::Mat::zeros(size, CV_32FC2);
  for (const AuActivation& a : activations)
    for (const Bump& b : bumps_of(a.au)) {
      // Unilateral: keep only bumps on the chosen side (centre bumps stay).
      if (a.side != 0 && b.x != 0 && (b.x > 0) != (a.side > 0)) continue;
      add_bump(field, face, b, a.intensity);
    }
  return field;
}

cv::Mat blink_field(const SubjectFace& face, float closure, cv::Size size) {
  cv::Mat field = cv::Mat::zeros(size, CV_32FC2);
  const float lid_travel = face.half_height * 0.14f * closure;  // pixels the upper lid comes down
  for (int s : {-1, 1}) add_bump(field, face, {s * face.eye_x, face.eye_y - 0.02f, 0.11f, 0.0f, lid_travel}, 1.0f);
  return field;
}

float max_displacement(const cv::Mat& field) {
  float best = 0;
  for (int y = 0; y < field.rows; ++y) {
    const auto* row = field.ptr<cv::Vec2f>(y);
    for (int x = 0; x < field.cols; ++x) best = std::max(best, std::hypot(row[x][0], row[x][1]));
  }
  return best;
}

cv::Mat warp(const cv::Mat& image, const cv::Mat& field, cv::Point2f shift) {
  cv::Mat map_x(image.size(), CV_32F), map_y(image.size(), CV_32F);
  for (int y = 0; y < image.rows; ++y) {
    const auto* d = field.empty() ? nullptr : field.ptr<cv::Vec2f>(y);
    auto* mx = map_x.ptr<float>(y);
    auto* my = map_y.ptr<float>(y);
    for (int x = 0; x < image.cols; ++x) {
      mx[x] = x - shift.x - (d ? d[x][0] : 0.0f);
      my[x] = y - shift.y - (d ? d[x][1] : 0.0f);
    }
  }
  cv::Mat out;
  cv::remap(image, out, map_x, map_y, cv::INTER_LINEAR, cv::BORDER_REPLICATE);
  return out;
}

}  // namespace mexa::synth
