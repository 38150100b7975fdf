// Rendering of synthetic clips (generator.cpp's first stage): the movements
// of one video (an emotion's AUs as a displacement field with an onset, apex
// and offset), the renderer that turns them into frames with blinks, head
// motion, flicker and noise, and where the frames go (a video file or
// numbered images). Internal to synth/.
#pragma once

#include <opencv2/core.hpp>

#include <cstdint>
#include <filesystem>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "mexa/io/video_writer.h"
#include "mexa/synth/face.h"
#include "mexa/synth/generator.h"

namespace mexa::synth::detail {

/// DFME's 7 emotions, the classes mexa synth draws from.
const std::vector<std::string>& classes();

/// splitmix64: independent, reproducible seeds for each part of the dataset.
uint64_t mix(uint64_t a, uint64_t b);

float uniform(std::mt19937_64& rng, float lo, float hi);

struct Movement {
  int64_t onset = 0, apex = 0, offset = 0;
  cv::Mat field;  ///< displacement at apex, pixels
  std::string emotion, true_emotion, aus, type = "micro";
  float amplitude = 0;
};

struct Blink {
  int64_t start = 0, frames = 1;
};

/// A movement of `emotion` with peak displacement in [lo, hi] pixels.
Movement make_movement(const SubjectFace& face, const std::string& emotion, cv::Size size, float lo, float hi,
                       std::mt19937_64& rng);

/// Puts `m` at [onset, onset + frames), its apex at 30-60 % of the span.
void place(Movement& m, int64_t onset, int64_t frames, std::mt19937_64& rng);

/// The video file extension of `format` ("" for the image formats: a folder).
std::string extension(OutputFormat format);

/// Where frames go: a video file, or numbered images in a folder.
class FrameSink {
 public:
  /// Image files are PREFIX<first + i>.EXT, the number zero-padded to `width` digits.
  /// `ext` "" = the format's (.jpg or .png); ".bmp" for SMIC.
  FrameSink(const std::filesystem::path& path, const SynthOptions& options, std::string prefix = "img",
            int64_t first = 1, int width = 0, std::string ext = "");
  void write(const cv::Mat& bgr);
  void finish();

 private:
  const SynthOptions& options_;
  std::filesystem::path path_;
  std::optional<io::VideoWriter> writer_;
  std::string prefix_;
  int64_t first_ = 1;
  int width_ = 0;
  std::string ext_;
  int64_t count_ = 0;
};

/// Renders frames [0, n) of one video: neutral face, movements, blinks, head
/// motion, flicker and noise.
class VideoRenderer {
 public:
  VideoRenderer(const SubjectFace& face, const cv::Mat& neutral, const SynthOptions& options, uint64_t seed);

  std::vector<Movement> movements;
  std::vector<Blink> blinks;
  float drift_pixels = 0;   ///< peak of the head motion
  double drift_period_s = 1;

  cv::Mat frame(int64_t t);

 private:
  const SubjectFace& face_;
  const cv::Mat& neutral_;
  const SynthOptions& options_;
  std::mt19937_64 rng_;
  cv::RNG noise_rng_;
  float flicker_hz_ = 10, flicker_phase_ = 0;
  float drift_phase_[2] = {0, 0};
};

}  // namespace mexa::synth::detail
