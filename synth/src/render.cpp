#include "render.h"

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cmath>

#include "mexa/io/errors.h"

namespace mexa::synth::detail {

namespace fs = std::filesystem;

const std::vector<std::string>& classes() {
  static const std::vector<std::string> names{"happiness", "sadness", "anger", "contempt", "fear", "disgust", "surprise"};
  return names;
}

uint64_t mix(uint64_t a, uint64_t b) {
  uint64_t z = a + 0x9E3779B97F4A7C15ull * (b + 1);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

float uniform(std::mt19937_64& rng, float lo, float hi) { return std::uniform_real_distribution<float>(lo, hi)(rng); }

namespace {

/// FACS prototypes of the DFME emotions (contempt: unilateral AU12 or AU14).
std::vector<ActionUnit> prototype(const std::string& emotion) {
  using A = ActionUnit;
  if (emotion == "happiness") return {A::AU6, A::AU12};
  if (emotion == "sadness") return {A::AU1, A::AU4, A::AU15};
  if (emotion == "surprise") return {A::AU1, A::AU2, A::AU5, A::AU26};
  if (emotion == "fear") return {A::AU1, A::AU2, A::AU4, A::AU5, A::AU20};
  if (emotion == "anger") return {A::AU4, A::AU7, A::AU23};
  if (emotion == "disgust") return {A::AU9, A::AU10};
  return {};  // contempt: chosen in sample_aus
}

/// A random subset of the emotion's AUs with random intensities, sometimes an
/// extra AU: classes overlap as in real data.
std::vector<AuActivation> sample_aus(const std::string& emotion, std::mt19937_64& rng) {
  std::vector<AuActivation> chosen;
  if (emotion == "contempt") {
    const int side = uniform(rng, 0, 1) < 0.5f ? -1 : 1;
    chosen.push_back({uniform(rng, 0, 1) < 0.6f ? ActionUnit::AU12 : ActionUnit::AU14, uniform(rng, 0.6f, 1.0f), side});
  } else {
    const auto aus = prototype(emotion);
    for (ActionUnit au : aus)
      if (uniform(rng, 0, 1) < 0.75f) chosen.push_back({au, uniform(rng, 0.4f, 1.0f), 0});
    if (chosen.empty())
      chosen.push_back({aus[static_cast<size_t>(uniform(rng, 0, 0.999f) * aus.size())], uniform(rng, 0.5f, 1.0f), 0});
  }
  if (uniform(rng, 0, 1) < 0.15f) {
    const auto all = all_action_units();
    chosen.push_back({all[static_cast<size_t>(uniform(rng, 0, 0.999f) * all.size())], uniform(rng, 0.2f, 0.5f), 0});
  }
  return chosen;
}

std::string au_text(const std::vector<AuActivation>& aus) {
  std::string text;
  for (const auto& a : aus) {
    if (!text.empty()) text += "+";
    text += (a.side < 0 ? "R" : a.side > 0 ? "L" : "") + std::string("AU") + std::to_string(au_number(a.au));
  }
  return text;
}

/// Intensity of a movement at frame t: rises as tau^1.5 from onset to a peak
/// at apex, falls as (1 - tau)^1.5 to offset. Smooth at onset and offset, a
/// cusp at apex, so the annotated apex is where the motion is largest.
float profile(int64_t t, int64_t onset, int64_t apex, int64_t offset) {
  if (t <= onset || t >= offset) return t == apex ? 1.0f : 0.0f;
  if (t <= apex) return std::pow(static_cast<float>(t - onset) / static_cast<float>(apex - onset), 1.5f);
  return std::pow(static_cast<float>(offset - t) / static_cast<float>(offset - apex), 1.5f);
}

}  // namespace

/// A movement of `emotion` with peak displacement in [lo, hi] pixels.
Movement make_movement(const SubjectFace& face, const std::string& emotion, cv::Size size, float lo, float hi,
                       std::mt19937_64& rng) {
  Movement m;
  m.emotion = m.true_emotion = emotion;
  const auto aus = sample_aus(emotion, rng);
  m.aus = au_text(aus);
  m.field = au_field(face, aus, size);
  m.amplitude = uniform(rng, lo, hi);
  const float peak = max_displacement(m.field);
  if (peak > 0) m.field *= m.amplitude / peak;
  return m;
}

void place(Movement& m, int64_t onset, int64_t frames, std::mt19937_64& rng) {
  m.onset = onset;
  m.offset = onset + frames - 1;
  m.apex = onset + std::clamp<int64_t>(std::llround(uniform(rng, 0.3f, 0.6f) * (frames - 1)), 1, frames - 2);
}

std::string extension(OutputFormat format) {
  switch (format) {
    case OutputFormat::H264: return io::container_extension(io::VideoCodec::H264);
    case OutputFormat::Ffv1: return io::container_extension(io::VideoCodec::Ffv1);
    default: return "";  // a folder
  }
}

FrameSink::FrameSink(const fs::path& path, const SynthOptions& options, std::string prefix, int64_t first, int width,
                     std::string ext)
    : options_(options), path_(path), prefix_(std::move(prefix)), first_(first), width_(width), ext_(std::move(ext)) {
  if (options.format == OutputFormat::H264 || options.format == OutputFormat::Ffv1) {
    io::VideoWriterOptions video;
    video.codec = options.format == OutputFormat::H264 ? io::VideoCodec::H264 : io::VideoCodec::Ffv1;
    video.width = options.width;
    video.height = options.height;
    video.fps = options.fps;
    video.crf = 12;  // keeps 1-px movements above the coding noise
    writer_.emplace(path.string(), video);
  } else {
    fs::create_directories(path);
  }
}

void FrameSink::write(const cv::Mat& bgr) {
  ++count_;
  if (writer_) {
    writer_->write(bgr.data, bgr.step);
    return;
  }
  const std::string ext = !ext_.empty() ? ext_ : options_.format == OutputFormat::Jpg ? ".jpg" : ".png";
  std::string number = std::to_string(first_ + count_ - 1);
  if (static_cast<int>(number.size()) < width_) number.insert(0, static_cast<size_t>(width_) - number.size(), '0');
  const fs::path file = path_ / (prefix_ + number + ext);
  const std::vector<int> params = ext == ".jpg"   ? std::vector<int>{cv::IMWRITE_JPEG_QUALITY, 95}
                                  : ext == ".png" ? std::vector<int>{cv::IMWRITE_PNG_COMPRESSION, 3}
                                                  : std::vector<int>{};
  if (!cv::imwrite(file.string(), bgr, params)) throw DecodeError(file.string(), "cannot write the image");
}

void FrameSink::finish() {
  if (writer_) writer_->finish();
}

VideoRenderer::VideoRenderer(const SubjectFace& face, const cv::Mat& neutral, const SynthOptions& options,
                             uint64_t seed)
    : face_(face), neutral_(neutral), options_(options), rng_(seed), noise_rng_(seed ^ 0x5eedull) {
  flicker_hz_ = uniform(rng_, 7.0f, 23.0f);
  flicker_phase_ = uniform(rng_, 0.0f, 6.2832f);
  for (auto& p : drift_phase_) p = uniform(rng_, 0.0f, 6.2832f);
}

cv::Mat VideoRenderer::frame(int64_t t) {
  cv::Mat field = cv::Mat::zeros(neutral_.size(), CV_32FC2);
  for (const Movement& m : movements) {
    const float k = profile(t, m.onset, m.apex, m.offset);
    if (k > 0) cv::scaleAdd(m.field, k, field, field);
  }
  for (const Blink& b : blinks) {
    if (t < b.start || t >= b.start + b.frames) continue;
    const float closure = std::sin(3.14159265f * static_cast<float>(t - b.start + 1) / static_cast<float>(b.frames + 1));
    field += blink_field(face_, closure, neutral_.size());
  }
  const double seconds = static_cast<double>(t) / options_.fps;
  const double w = 2 * 3.14159265 * seconds / drift_period_s;
  const cv::Point2f shift(static_cast<float>(drift_pixels * std::sin(w + drift_phase_[0])),
                          static_cast<float>(0.7 * drift_pixels * std::sin(0.77 * w + drift_phase_[1])));
  cv::Mat image = warp(neutral_, field, shift);
  const double gain = 1.0 + options_.flicker * std::sin(2 * 3.14159265 * flicker_hz_ * seconds + flicker_phase_);
  image *= gain;
  if (options_.noise > 0) {
    cv::Mat noise(image.size(), CV_32FC3);
    noise_rng_.fill(noise, cv::RNG::NORMAL, 0.0, options_.noise);
    image += noise;
  }
  cv::Mat out;
  image.convertTo(out, CV_8UC3);
  return out;
}

}  // namespace mexa::synth::detail
