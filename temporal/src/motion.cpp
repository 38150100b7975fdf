#include "mexa/temporal/motion.h"

#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <numeric>
#include <stdexcept>

namespace mexa::temporal {
namespace {

void add_blob(cv::Mat& map, cv::Point2f center, cv::Size2f half, float weight) {
  cv::Mat blob = cv::Mat::zeros(map.size(), CV_32F);
  cv::ellipse(blob, cv::Point(cvRound(center.x * 16), cvRound(center.y * 16)),
              cv::Size(cvRound(half.width * 16), cvRound(half.height * 16)), 0, 0, 360, weight, cv::FILLED,
              cv::LINE_AA, 4);
  map = cv::max(map, blob);
}

/// Bounding ellipse of landmarks [first, last], grown by `grow`.
void add_landmark_blob(cv::Mat& map, const std::vector<cv::Point2f>& pts, int first, int last, float grow, float weight) {
  cv::Point2f lo(1e9f, 1e9f), hi(-1e9f, -1e9f);
  for (int i = first; i <= last; ++i) {
    lo.x = std::min(lo.x, pts[static_cast<size_t>(i)].x);
    lo.y = std::min(lo.y, pts[static_cast<size_t>(i)].y);
    hi.x = std::max(hi.x, pts[static_cast<size_t>(i)].x);
    hi.y = std::max(hi.y, pts[static_cast<size_t>(i)].y);
  }
  add_blob(map, (lo + hi) * 0.5f, cv::Size2f((hi.x - lo.x) / 2 + grow, (hi.y - lo.y) / 2 + grow), weight);
}

}  // namespace

cv::Mat face_region_weights(cv::Size size, const RegionWeights& w, const std::vector<cv::Point2f>& landmarks) {
  cv::Mat map(size, CV_32F, cv::Scalar(w.rest));
  const float s = static_cast<float>(std::min(size.width, size.height));
  if (landmarks.size() == 68) {
    // iBUG 68: brows 17-26, eyes 36-47, mouth 48-67.
    add_landmark_blob(map, landmarks, 17, 21, 0.05f * s, w.brows);
    add_landmark_blob(map, landmarks, 22, 26, 0.05f * s, w.brows);
    add_landmark_blob(map, landmarks, 48, 67, 0.06f * s, w.mouth);
    cv::Mat eyes(size, CV_32F, cv::Scalar(-1));
    add_landmark_blob(eyes, landmarks, 36, 41, 0.03f * s * w.eye_size, 1.0f);
    add_landmark_blob(eyes, landmarks, 42, 47, 0.03f * s * w.eye_size, 1.0f);
    map.setTo(w.eyes, eyes > 0.5f);
  } else {
    // Canonical positions in an aligned crop (fractions of width/height).
    const auto at = [&](float x, float y) { return cv::Point2f(x * size.width, y * size.height); };
    add_blob(map, at(0.33f, 0.27f), {0.15f * s, 0.07f * s}, w.brows);
    add_blob(map, at(0.67f, 0.27f), {0.15f * s, 0.07f * s}, w.brows);
    add_blob(map, at(0.5f, 0.75f), {0.22f * s, 0.11f * s}, w.mouth);
    cv::Mat eyes(size, CV_32F, cv::Scalar(-1));
    add_blob(eyes, at(0.35f, 0.40f), {0.09f * s * w.eye_size, 0.05f * s * w.eye_size}, 1.0f);
    add_blob(eyes, at(0.65f, 0.40f), {0.09f * s * w.eye_size, 0.05f * s * w.eye_size}, 1.0f);
    map.setTo(w.eyes, eyes > 0.5f);
  }
  const double mean = cv::mean(map)[0];
  if (mean > 0) map /= mean;
  return map;
}

namespace {

/// Blurred float copy of a grey frame, prepared for global alignment when
/// `window` (a Hann window) is given.
ShiftFrame prepared(const cv::Mat& frame, double sigma, const cv::Mat& window) {
  cv::Mat out;
  frame.convertTo(out, CV_32F);
  if (sigma > 0) cv::GaussianBlur(out, out, cv::Size(0, 0), sigma);
  return ShiftFrame(std::move(out), window);
}

/// Motion of `frame` against `reference` after removing their small global
/// translation (when they were prepared with a window).
float compare(const ShiftFrame& reference, const ShiftFrame& frame, const cv::Mat& weights) {
  return aligned_mse(reference, frame, estimate_shift(reference, frame), weights);
}

cv::Mat window_for(cv::Size size, bool wanted) { return wanted ? hann_window(size) : cv::Mat(); }

}  // namespace

std::vector<float> motion_curve(const std::vector<cv::Mat>& frames, const MotionOptions& options,
                                const cv::Mat& weights) {
  if (frames.empty()) return {};
  if (!weights.empty() && weights.size() != frames[0].size())
    throw std::invalid_argument("weight map and frames differ in size");
  if (options.sliding > 0) {
    SlidingMotion stream(options, weights);
    std::vector<float> curve;
    for (const cv::Mat& f : frames) curve.push_back(stream.push(f));
    return curve;
  }
  if (options.reference < 0 || options.reference >= static_cast<int64_t>(frames.size()))
    throw std::invalid_argument("reference frame " + std::to_string(options.reference) + " outside the clip");
  const cv::Mat window = window_for(frames[0].size(), options.compensate_global);
  const ShiftFrame reference = prepared(frames[static_cast<size_t>(options.reference)], options.blur_sigma, window);
  std::vector<float> curve(frames.size(), 0.0f);
  for (size_t t = 0; t < frames.size(); ++t)
    if (static_cast<int64_t>(t) != options.reference)
      curve[t] = compare(reference, prepared(frames[t], options.blur_sigma, window), weights);
  return curve;
}

SlidingMotion::SlidingMotion(const MotionOptions& options, cv::Mat weights)
    : options_(options), weights_(std::move(weights)) {
  if (options.sliding < 1) throw std::invalid_argument("sliding motion needs sliding >= 1");
}

float SlidingMotion::push(const cv::Mat& gray) {
  if (window_.empty() && options_.compensate_global) window_ = window_for(gray.size(), true);
  if (!weights_.empty() && weights_.size() != gray.size()) throw std::invalid_argument("weight map and frames differ in size");
  const size_t slots = static_cast<size_t>(options_.sliding) + 1;
  const int64_t t = count_++;
  const int64_t r = t >= options_.sliding ? t - options_.sliding : 0;
  // Each frame is prepared once and compared twice: now, and as the reference
  // `sliding` frames later.
  if (ring_.size() < slots) ring_.resize(slots);
  ring_[static_cast<size_t>(t) % slots] = prepared(gray, options_.blur_sigma, window_);
  if (r == t) return 0.0f;
  return compare(*ring_[static_cast<size_t>(r) % slots], *ring_[static_cast<size_t>(t) % slots], weights_);
}

int64_t spot_apex(const std::vector<float>& curve, int64_t onset, int64_t offset) {
  if (onset < 0 || offset < onset || offset >= static_cast<int64_t>(curve.size()))
    throw std::invalid_argument("apex search span outside the curve");
  int64_t best = onset;
  float best_value = -1;
  for (int64_t t = onset; t <= offset; ++t) {
    float sum = 0;
    int n = 0;
    for (int64_t d = -1; d <= 1; ++d)
      if (t + d >= onset && t + d <= offset) sum += curve[static_cast<size_t>(t + d)], ++n;
    if (sum / n > best_value) best_value = sum / n, best = t;
  }
  return best;
}

std::vector<float> transient_score(const std::vector<float>& sliding, int k) {
  std::vector<float> out(sliding.size(), 0.0f);
  for (size_t t = 0; t + static_cast<size_t>(k) < sliding.size(); ++t)
    out[t] = std::min(sliding[t], sliding[t + static_cast<size_t>(k)]);
  return out;
}

std::vector<Interval> spot_intervals(const std::vector<float>& score, const SpotOptions& options) {
  if (score.empty()) return {};
  const double mean = std::accumulate(score.begin(), score.end(), 0.0) / static_cast<double>(score.size());
  const double max = *std::max_element(score.begin(), score.end());
  const double threshold = mean + options.p * (max - mean);
  // Candidate peaks: local maxima above the threshold, strongest first.
  std::vector<int64_t> candidates;
  for (size_t t = 0; t < score.size(); ++t) {
    const bool left = t == 0 || score[t] >= score[t - 1];
    const bool right = t + 1 == score.size() || score[t] > score[t + 1];
    if (score[t] > threshold && left && right) candidates.push_back(static_cast<int64_t>(t));
  }
  std::sort(candidates.begin(), candidates.end(),
            [&](int64_t a, int64_t b) { return score[static_cast<size_t>(a)] > score[static_cast<size_t>(b)]; });
  std::vector<int64_t> peaks;
  for (int64_t c : candidates)
    if (std::all_of(peaks.begin(), peaks.end(), [&](int64_t p) { return std::abs(p - c) >= options.k; }))
      peaks.push_back(c);
  std::sort(peaks.begin(), peaks.end());
  std::vector<Interval> out;
  const auto last = static_cast<int64_t>(score.size()) - 1;
  for (int64_t p : peaks)
    out.push_back({std::max<int64_t>(0, p - options.k), p, std::min(last, p + options.k), score[static_cast<size_t>(p)]});
  return out;
}

double interval_iou(const Interval& a, const Interval& b) {
  const int64_t inter = std::min(a.offset, b.offset) - std::max(a.onset, b.onset) + 1;
  if (inter <= 0) return 0;
  const int64_t uni = (a.offset - a.onset + 1) + (b.offset - b.onset + 1) - inter;
  return static_cast<double>(inter) / static_cast<double>(uni);
}

static void finish(SpottingMetric& m) {
  m.precision = m.tp + m.fp > 0 ? static_cast<double>(m.tp) / (m.tp + m.fp) : 0;
  m.recall = m.tp + m.fn > 0 ? static_cast<double>(m.tp) / (m.tp + m.fn) : 0;
  m.f1 = m.precision + m.recall > 0 ? 2 * m.precision * m.recall / (m.precision + m.recall) : 0;
}

SpottingMetric spotting_metric(const std::vector<Interval>& predicted, const std::vector<Interval>& truth) {
  SpottingMetric m;
  std::vector<bool> matched(truth.size(), false);
  for (const Interval& p : predicted) {
    int best = -1;
    double best_iou = 0.5 - 1e-12;
    for (size_t g = 0; g < truth.size(); ++g) {
      const double iou = interval_iou(p, truth[g]);
      if (!matched[g] && iou >= best_iou) best = static_cast<int>(g), best_iou = iou;
    }
    if (best >= 0) {
      matched[static_cast<size_t>(best)] = true;
      ++m.tp;
    } else {
      ++m.fp;
    }
  }
  m.fn = static_cast<int>(truth.size()) - m.tp;
  finish(m);
  return m;
}

SpottingMetric add(const SpottingMetric& a, const SpottingMetric& b) {
  SpottingMetric m{a.tp + b.tp, a.fp + b.fp, a.fn + b.fn, 0, 0, 0};
  finish(m);
  return m;
}

}  // namespace mexa::temporal
