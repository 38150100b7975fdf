#include "mexa/temporal/keyframe_sampler.h"

#include <algorithm>
#include <cmath>
#include <random>
#include <stdexcept>

#include "mexa/enum_names.h"

namespace mexa::temporal {
namespace {

/// T positions evenly spaced over [first, last] (both ends), rounded half up.
std::vector<int64_t> even(int64_t first, int64_t last, int t) {
  std::vector<int64_t> out;
  out.reserve(static_cast<size_t>(t));
  if (t == 1) return {first + (last - first) / 2};
  for (int i = 0; i < t; ++i) {
    const double position = first + static_cast<double>(last - first) * i / (t - 1);
    out.push_back(static_cast<int64_t>(std::floor(position + 0.5)));
  }
  return out;
}

/// Indices whose spacing follows the motion curve: positions where the
/// cumulative |d motion| (plus a floor, so flat stretches still get frames)
/// reaches evenly spaced levels.
std::vector<int64_t> motion_adaptive(const ClipSpan& span, int t, const std::vector<float>& motion) {
  if (static_cast<int64_t>(motion.size()) <= span.offset)
    throw std::invalid_argument("motion-adaptive sampling needs a motion value for every frame up to the offset");
  const int64_t n = span.offset - span.onset + 1;
  if (n == 1 || t == 1) return even(span.onset, span.offset, t);
  std::vector<double> change(static_cast<size_t>(n), 0.0);
  double total_change = 0;
  for (int64_t i = 1; i < n; ++i) {
    change[static_cast<size_t>(i)] =
        std::abs(motion[static_cast<size_t>(span.onset + i)] - motion[static_cast<size_t>(span.onset + i - 1)]);
    total_change += change[static_cast<size_t>(i)];
  }
  const double floor = total_change > 0 ? 0.1 * total_change / static_cast<double>(n - 1) : 1.0;
  std::vector<double> cumulative(static_cast<size_t>(n), 0.0);
  for (int64_t i = 1; i < n; ++i)
    cumulative[static_cast<size_t>(i)] = cumulative[static_cast<size_t>(i - 1)] + change[static_cast<size_t>(i)] + floor;
  std::vector<int64_t> out;
  for (int k = 0; k < t; ++k) {
    const double level = cumulative.back() * k / (t - 1);
    const auto it = std::lower_bound(cumulative.begin(), cumulative.end(), level - 1e-9);
    out.push_back(span.onset + (it - cumulative.begin()));
  }
  return out;
}

}  // namespace

static const EnumNames<Sampling>& sampling_names() {
  static const EnumNames<Sampling> names("sampling", {{Sampling::Uniform, "uniform"},
                                                      {Sampling::Triplet, "triplet"},
                                                      {Sampling::ApexWindow, "apex-window"},
                                                      {Sampling::Interpolate, "interpolate"},
                                                      {Sampling::MotionAdaptive, "motion"}});
  return names;
}

Sampling parse_sampling(const std::string& name) { return sampling_names().parse(name); }
std::string sampling_name(Sampling strategy) { return sampling_names().name(strategy); }

std::vector<int64_t> sample_keyframes(const SampleSpec& spec, const ClipSpan& span, const std::vector<float>& motion) {
  if (span.onset < 0 || span.offset < span.onset)
    throw std::invalid_argument("invalid span [" + std::to_string(span.onset) + ", " + std::to_string(span.offset) + "]");
  if (span.apex >= 0 && (span.apex < span.onset || span.apex > span.offset))
    throw std::invalid_argument("apex " + std::to_string(span.apex) + " outside the span");
  if (spec.frames < 1) throw std::invalid_argument("T must be at least 1");
  const int t = spec.frames;
  const int64_t n = span.offset - span.onset + 1;
  const int64_t apex = span.apex >= 0 ? span.apex : span.onset + (n - 1) / 2;

  std::vector<int64_t> indices;
  switch (spec.strategy) {
    case Sampling::Triplet:
      if (t != 3) throw std::invalid_argument("triplet sampling gives 3 frames; T is " + std::to_string(t));
      indices = {span.onset, apex, span.offset};
      break;
    case Sampling::ApexWindow: {
      if (n >= t) {
        int64_t first = apex - (t - 1) / 2;
        first = std::clamp(first, span.onset, span.offset - t + 1);
        for (int i = 0; i < t; ++i) indices.push_back(first + i);
      } else {
        indices = even(span.onset, span.offset, t);  // shorter than T: every frame, some twice
      }
      break;
    }
    case Sampling::Uniform:
    case Sampling::Interpolate:
      // Same positions; the names differ in intent (Interpolate is the one to
      // use for clips shorter than T, where frames repeat).
      indices = even(span.onset, span.offset, t);
      break;
    case Sampling::MotionAdaptive: indices = motion_adaptive(span, t, motion); break;
  }

  if (spec.jitter > 0) {
    std::mt19937_64 rng(spec.seed);
    std::uniform_int_distribution<int> shift(-spec.jitter, spec.jitter);
    for (auto& i : indices) i = std::clamp<int64_t>(i + shift(rng), span.onset, span.offset);
    std::sort(indices.begin(), indices.end());
  }
  return indices;
}

}  // namespace mexa::temporal
