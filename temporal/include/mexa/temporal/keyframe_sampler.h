// temporal::KeyframeSampler: which frames of a clip a model sees. Indices are
// 0-based clip frames; every strategy returns exactly T indices (repeating
// frames when the clip is shorter than T), sorted, within [onset, offset].
// Stateless functions, thread-safe.
//
//   mexa::temporal::SampleSpec spec{.strategy = mexa::temporal::Sampling::Uniform, .frames = 16};
//   auto indices = mexa::temporal::sample_keyframes(spec, {.onset = 3, .apex = 20, .offset = 60});
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace mexa::temporal {

enum class Sampling {
  Uniform,        ///< T frames evenly spaced over [onset, offset], both ends included
  Triplet,        ///< onset, apex, offset (T = 3)
  ApexWindow,     ///< T consecutive frames centred on the apex, shifted to stay inside [onset, offset]
  Interpolate,    ///< T positions evenly spaced over [onset, offset], rounded to the nearest frame
                  ///< (repeats frames when the clip is shorter than T)
  MotionAdaptive, ///< denser where the motion curve changes fastest
};

/// Parses "uniform", "triplet", "apex-window", "interpolate", "motion"; throws std::invalid_argument.
Sampling parse_sampling(const std::string& name);
std::string sampling_name(Sampling strategy);

struct ClipSpan {
  int64_t onset = 0;
  int64_t apex = -1;  ///< -1: unknown (ApexWindow then centres the span)
  int64_t offset = 0;
};

struct SampleSpec {
  Sampling strategy = Sampling::Uniform;
  int frames = 16;       ///< T
  /// Training-time temporal jitter: each index moves by up to this many frames
  /// (clamped to the span, order kept); 0 = none.
  int jitter = 0;
  uint64_t seed = 0;     ///< seed of the jitter
};

/// The T frame indices. `motion` (one value per clip frame) is needed by
/// MotionAdaptive. Throws std::invalid_argument for an invalid span or T < 1.
std::vector<int64_t> sample_keyframes(const SampleSpec& spec, const ClipSpan& span,
                                      const std::vector<float>& motion = {});

}  // namespace mexa::temporal
