#include "mexa/synth/generator.h"

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <numeric>
#include <optional>
#include <random>
#include <stdexcept>

#include "mexa/enum_names.h"

#include "mexa/io/csv.h"
#include "mexa/io/errors.h"
#include "mexa/io/video_writer.h"
#include "mexa/synth/face.h"

namespace mexa::synth {
namespace {

namespace fs = std::filesystem;

const std::vector<std::string>& classes() {
  static const std::vector<std::string> names{"happiness", "sadness", "anger", "contempt", "fear", "disgust", "surprise"};
  return names;
}

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

/// splitmix64: independent, reproducible seeds for each part of the dataset.
uint64_t mix(uint64_t a, uint64_t b) {
  uint64_t z = a + 0x9E3779B97F4A7C15ull * (b + 1);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

float uniform(std::mt19937_64& rng, float lo, float hi) { return std::uniform_real_distribution<float>(lo, hi)(rng); }

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

struct Movement {
  int64_t onset = 0, apex = 0, offset = 0;
  cv::Mat field;  ///< displacement at apex, pixels
  std::string emotion, true_emotion, aus, type = "micro";
  float amplitude = 0;
};

struct Blink {
  int64_t start = 0, frames = 1;
};

/// Where frames go: a video file, or numbered images in a folder.
class FrameSink {
 public:
  /// Image files are PREFIX<first + i>.EXT, the number zero-padded to `width` digits.
  /// `ext` "" = the format's (.jpg or .png); ".bmp" for SMIC.
  FrameSink(const fs::path& path, const SynthOptions& options, std::string prefix = "img", int64_t first = 1,
            int width = 0, std::string ext = "")
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
  void write(const cv::Mat& bgr) {
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
  void finish() {
    if (writer_) writer_->finish();
  }

 private:
  const SynthOptions& options_;
  fs::path path_;
  std::optional<io::VideoWriter> writer_;
  std::string prefix_;
  int64_t first_ = 1;
  int width_ = 0;
  std::string ext_;
  int64_t count_ = 0;
};

/// A clip's place in a dataset layout: folder (relative to DIR), file naming,
/// and the dataset's subject and clip names.
struct LayoutPlace {
  fs::path folder;
  std::string prefix;
  int64_t first = 1;
  int width = 0;
  std::string subject, clip;
  std::string ext;  ///< "" = the format's
};

/// MEGC's 3 classes, as SMIC annotates (and folders) its clips.
std::string smic_class(const std::string& emotion) {
  return emotion == "happiness" ? "positive" : emotion == "surprise" ? "surprise" : "negative";
}

/// A clip's emotion as the dataset's own file spells it, within its own
/// label set: CASME II's negative classes are written "repression" (its
/// 5-class protocol keeps them, and MEGC maps them to negative as it maps
/// the true emotion); SAMM capitalises; CAS(ME)^3 writes happy and sad, and
/// "others" for contempt (a label outside its 6 classes: excluded).
std::string dataset_label(Layout layout, const std::string& emotion) {
  if (layout == Layout::Casme2)
    return emotion == "happiness" || emotion == "disgust" || emotion == "surprise" ? emotion : "repression";
  if (layout == Layout::Samm) {
    std::string out = emotion;
    if (!out.empty()) out[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(out[0])));
    return out;
  }
  if (layout == Layout::Casme3)
    return emotion == "happiness" ? "happy" : emotion == "sadness" ? "sad" : emotion == "contempt" ? "others" : emotion;
  return emotion;
}

LayoutPlace layout_place(Layout layout, int subject, int clip, const std::string& emotion) {
  char buffer[64];
  LayoutPlace p;
  if (layout == Layout::Casme2) {
    std::snprintf(buffer, sizeof buffer, "EP%02d_%02df", clip + 1, subject + 1);
    p.clip = buffer;
    std::snprintf(buffer, sizeof buffer, "sub%02d", subject + 1);
    p.folder = fs::path("CASME2_RAW") / buffer / p.clip;
    p.prefix = "reg_img";
    p.first = 1 + (clip * 17) % 60;  // CASME II numbers a clip's files from where the raw video was cut
    p.subject = std::to_string(subject + 1);
  } else if (layout == Layout::Smic) {
    // HS/s1/micro/negative/s1_ne_01/image0106433.bmp (the class folder is SMIC's 3-class label).
    const std::string cls = smic_class(emotion);
    p.subject = "s" + std::to_string(subject + 1);
    std::snprintf(buffer, sizeof buffer, "%s_%s_%02d", p.subject.c_str(), cls.substr(0, 2).c_str(), clip + 1);
    p.clip = buffer;
    p.folder = fs::path("HS") / p.subject / "micro" / cls / p.clip;
    p.prefix = "image";
    p.first = 100000 + (clip * 997) % 900000;
    p.width = 7;
    p.ext = ".bmp";
  } else if (layout == Layout::Casme3) {
    // spNO.1/a/color/0.jpg ... (part A: frames numbered from where the clip was cut).
    p.subject = "spNO." + std::to_string(subject + 1);
    p.clip = std::string(1, static_cast<char>('a' + clip % 26)) + std::to_string(clip / 26 + 1);
    p.folder = fs::path(p.subject) / p.clip / "color";
    p.prefix = "";
    p.first = (clip * 53) % 300;
  } else {
    std::snprintf(buffer, sizeof buffer, "%03d", subject + 6);  // SAMM's subjects start at 006
    const std::string s = buffer;
    p.clip = s + "_" + std::to_string(clip % 7 + 1) + "_" + std::to_string(clip + 1);
    p.folder = fs::path(s) / p.clip;
    p.prefix = s + "_";
    p.first = 1000 + (clip * 37) % 4000;
    p.width = 5;
    p.subject = std::to_string(subject + 6);
  }
  return p;
}

/// "AU6+AU12" -> "6+12" (SAMM's spelling).
std::string bare_aus(const std::string& aus) {
  std::string out;
  for (size_t i = 0; i < aus.size(); ++i)
    if (!(aus.compare(i, 2, "AU") == 0 && (i == 0 || aus[i - 1] == '+'))) out += aus[i];
    else ++i;
  return out;
}

std::string extension(OutputFormat format) {
  switch (format) {
    case OutputFormat::H264: return io::container_extension(io::VideoCodec::H264);
    case OutputFormat::Ffv1: return io::container_extension(io::VideoCodec::Ffv1);
    default: return "";  // a folder
  }
}

/// Renders frames [0, n) of one video: neutral face, movements, blinks, head
/// motion, flicker and noise.
class VideoRenderer {
 public:
  VideoRenderer(const SubjectFace& face, const cv::Mat& neutral, const SynthOptions& options, uint64_t seed)
      : face_(face), neutral_(neutral), options_(options), rng_(seed), noise_rng_(seed ^ 0x5eedull) {
    flicker_hz_ = uniform(rng_, 7.0f, 23.0f);
    flicker_phase_ = uniform(rng_, 0.0f, 6.2832f);
    for (auto& p : drift_phase_) p = uniform(rng_, 0.0f, 6.2832f);
  }

  std::vector<Movement> movements;
  std::vector<Blink> blinks;
  float drift_pixels = 0;   ///< peak of the head motion
  double drift_period_s = 1;

  cv::Mat frame(int64_t t) {
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

 private:
  const SubjectFace& face_;
  const cv::Mat& neutral_;
  const SynthOptions& options_;
  std::mt19937_64 rng_;
  cv::RNG noise_rng_;
  float flicker_hz_ = 10, flicker_phase_ = 0;
  float drift_phase_[2] = {0, 0};
};

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

void validate(const SynthOptions& o) {
  if (o.out_dir.empty()) throw std::invalid_argument("--out is required");
  if (o.fps != 200 && o.fps != 300 && o.fps != 500)
    throw std::invalid_argument("--fps must be 200, 300 or 500 (DFME's frame rates)");
  if (o.width < 64 || o.height < 64 || o.width % 2 || o.height % 2)
    throw std::invalid_argument("--size must be even and at least 64x64");
  if (o.clips < 1 && !o.long_videos) throw std::invalid_argument("--clips must be at least 1");
  if (o.subjects < 1) throw std::invalid_argument("--subjects must be at least 1");
  if (!(o.amplitude_min > 0) || o.amplitude_max < o.amplitude_min)
    throw std::invalid_argument("--amplitude needs 0 < MIN <= MAX");
  if (o.noise < 0 || o.flicker < 0 || o.drift < 0 || o.blink_rate < 0)
    throw std::invalid_argument("--noise, --flicker, --drift and --blink-rate must not be negative");
  if (o.label_noise < 0 || o.label_noise > 1) throw std::invalid_argument("--label-noise must be in [0, 1]");
  if (o.long_videos && o.long_seconds < 10) throw std::invalid_argument("--long-seconds must be at least 10");
  const bool long_layout = o.layout == Layout::CasmeSq || o.layout == Layout::SammLv;
  if (o.layout != Layout::Mexa && o.format != OutputFormat::Jpg)
    throw std::invalid_argument("--layout writes JPEG folders: use --format jpg");
  if (o.layout != Layout::Mexa && o.long_videos != long_layout)
    throw std::invalid_argument(long_layout ? "--layout casme-sq and samm-lv are long videos: add --long"
                                            : "--layout casme2, samm, smic and casme3 are short clips: without --long");
}

std::string subject_name(int s) {
  char name[16];
  std::snprintf(name, sizeof name, "sub%02d", s + 1);
  return name;
}

}  // namespace

static const EnumNames<Layout>& layout_names() {
  static const EnumNames<Layout> names("--layout", {{Layout::Mexa, "mexa"},
                                                    {Layout::Casme2, "casme2"},
                                                    {Layout::Samm, "samm"},
                                                    {Layout::Smic, "smic"},
                                                    {Layout::Casme3, "casme3"},
                                                    {Layout::CasmeSq, "casme-sq"},
                                                    {Layout::SammLv, "samm-lv"}});
  return names;
}

static const EnumNames<OutputFormat>& format_names() {
  static const EnumNames<OutputFormat> names(
      "--format",
      {{OutputFormat::H264, "h264"}, {OutputFormat::Ffv1, "ffv1"}, {OutputFormat::Jpg, "jpg"}, {OutputFormat::Png, "png"}});
  return names;
}

Layout parse_layout(const std::string& name) { return layout_names().parse(name); }

OutputFormat parse_output_format(const std::string& name) { return format_names().parse(name); }

std::map<std::string, double> default_class_weights() {
  return {{"disgust", 247}, {"surprise", 184}, {"fear", 83},    {"anger", 64},
          {"sadness", 55},  {"happiness", 54}, {"contempt", 20}};
}

std::map<std::string, int> class_counts(const std::map<std::string, double>& weights, int n) {
  double total = 0;
  int positive = 0;
  for (const auto& [name, w] : weights) {
    if (w < 0) throw std::invalid_argument("class weight of " + name + " is negative");
    total += w;
    positive += w > 0;
  }
  if (total <= 0) throw std::invalid_argument("class weights sum to zero");
  std::map<std::string, int> counts;
  std::vector<std::pair<double, std::string>> remainders;
  int assigned = 0;
  const bool floor_one = n >= positive;
  for (const auto& [name, w] : weights) {
    const double exact = n * w / total;
    int c = static_cast<int>(std::floor(exact));
    if (floor_one && w > 0) c = std::max(c, 1);
    counts[name] = c;
    assigned += c;
    remainders.push_back({exact - std::floor(exact), name});
  }
  std::sort(remainders.begin(), remainders.end(), [](const auto& a, const auto& b) {
    return a.first != b.first ? a.first > b.first : a.second < b.second;
  });
  for (size_t i = 0; assigned < n; i = (i + 1) % remainders.size()) {
    if (weights.at(remainders[i].second) > 0) {
      ++counts[remainders[i].second];
      ++assigned;
    }
  }
  // Guaranteeing one per class may overshoot: take back from the largest classes.
  while (assigned > n) {
    auto largest = std::max_element(counts.begin(), counts.end(),
                                    [](const auto& a, const auto& b) { return a.second < b.second; });
    --largest->second;
    --assigned;
  }
  return counts;
}

SynthSummary generate(const SynthOptions& options, const std::function<void(int, int)>& progress) {
  validate(options);
  const fs::path out(options.out_dir);
  fs::create_directories(out);
  const cv::Size size(options.width, options.height);
  const bool placement = options.width > 128 || options.height > 128;

  std::map<std::string, double> weights = options.class_weights;
  if (weights.empty()) weights = default_class_weights();
  if (options.balanced)
    for (const auto& c : classes()) weights[c] = 1;
  for (const auto& [name, w] : weights)
    if (std::find(classes().begin(), classes().end(), name) == classes().end())
      throw std::invalid_argument("unknown class '" + name + "' in the class distribution");

  std::vector<SubjectFace> faces;
  for (int s = 0; s < options.subjects; ++s) faces.push_back(SubjectFace::random(mix(options.seed, 1000 + s), size, placement));

  SynthSummary summary;
  summary.manifest = (out / "annotations.csv").string();
  std::ofstream manifest(summary.manifest, std::ios::binary);
  if (!manifest) throw StorageError(summary.manifest, "cannot write");
  manifest << "subject,clip,path,onset,apex,offset,emotion,aus,fps,n_frames,true_emotion,amplitude\n";
  auto write_row = [&](const std::string& subject, const std::string& clip, const std::string& path, const Movement& m,
                       int64_t n_frames) {
    char amplitude[32];
    std::snprintf(amplitude, sizeof amplitude, "%.2f", m.amplitude);
    manifest << subject << ',' << clip << ',' << io::csv_escape(path) << ',' << m.onset << ',' << m.apex << ','
             << m.offset << ',' << m.emotion << ',' << m.aus << ',' << options.fps << ',' << n_frames << ','
             << m.true_emotion << ',' << amplitude << '\n';
    ++summary.per_class[m.emotion];
    ++summary.clips;
  };
  auto label_noise = [&](Movement& m, std::mt19937_64& rng) {
    if (uniform(rng, 0, 1) >= options.label_noise) return;
    std::vector<std::string> others;
    for (const auto& c : classes())
      if (c != m.true_emotion) others.push_back(c);
    m.emotion = others[static_cast<size_t>(uniform(rng, 0, 0.999f) * others.size())];
  };

  std::ofstream dataset;
  if (options.layout != Layout::Mexa && !options.long_videos) {
    const char* name = options.layout == Layout::Casme2 ? "CASME2-coding-synth.csv"
                       : options.layout == Layout::Samm ? "SAMM_synth_FACS_Codes.csv"
                       : options.layout == Layout::Smic ? "SMIC-HS-E_annotation_synth.csv"
                                                        : "CAS(ME)3_part_A_ME_label_synth.csv";
    summary.dataset_annotations = (out / name).string();
    dataset.open(summary.dataset_annotations, std::ios::binary);
    if (!dataset) throw StorageError(summary.dataset_annotations, "cannot write");
    if (options.layout == Layout::Casme2) {
      dataset << "Subject,Filename,Unnamed: 2,OnsetFrame,ApexFrame,OffsetFrame,Unnamed: 6,Action Units,Estimated Emotion\n";
    } else if (options.layout == Layout::Smic) {
      dataset << "Subject,Filename,OnsetF,OffsetF,Emotion,FirstF\n";  // no apex: spotted
    } else if (options.layout == Layout::Casme3) {
      dataset << "Subject,Filename,Onset,Apex,Offset,AU,Objective class,emotion\n";
    } else {
      dataset << "Facial Micro-movement coding (synthetic, mexa synth --layout samm),,,,,,,,,,,\n";
      for (int i = 0; i < 10; ++i) dataset << "free-text note " << i + 1 << ",,,,,,,,,,,\n";
      dataset << "Subject,Filename,Inducement Code,Onset Frame,Apex Frame,Offset Frame,Duration,Type,Action Units,"
                 "Estimated Emotion,Objective Classes,Notes\n";
    }
  }

  if (!options.long_videos) {
    // Class of each clip, shuffled; subjects in turn so every subject has clips of several classes.
    std::vector<std::string> labels;
    for (const auto& [name, count] : class_counts(weights, options.clips)) labels.insert(labels.end(), count, name);
    std::mt19937_64 order(mix(options.seed, 7));
    std::shuffle(labels.begin(), labels.end(), order);
    for (int i = 0; i < options.clips; ++i) {
      std::mt19937_64 rng(mix(options.seed, 100000 + i));
      const int s = i % options.subjects;
      const SubjectFace& face = faces[static_cast<size_t>(s)];
      const cv::Mat neutral = render_neutral(face, size, mix(options.seed, 200000 + i));
      VideoRenderer renderer(face, neutral, options, mix(options.seed, 300000 + i));

      Movement m = make_movement(face, labels[static_cast<size_t>(i)], size, options.amplitude_min,
                                 options.amplitude_max, rng);
      const int64_t me_frames = std::max<int64_t>(5, std::llround(uniform(rng, 1 / 25.0f, 0.5f) * options.fps));
      const int64_t lead = std::max<int64_t>(3, std::llround(uniform(rng, 0.04f, 0.12f) * options.fps));
      const int64_t tail = std::max<int64_t>(3, std::llround(uniform(rng, 0.04f, 0.12f) * options.fps));
      place(m, lead, me_frames, rng);
      label_noise(m, rng);
      int64_t n_frames = lead + me_frames + tail;
      renderer.movements.push_back(m);
      // CAS(ME)^3: one video in three holds a second micro-expression after the first.
      std::vector<Movement> expressions{m};
      if (options.layout == Layout::Casme3 && i % 3 == 2) {
        Movement m2 = make_movement(face, labels[static_cast<size_t>(i + 1) % labels.size()], size,
                                    options.amplitude_min, options.amplitude_max, rng);
        const int64_t frames2 = std::max<int64_t>(5, std::llround(uniform(rng, 1 / 25.0f, 0.5f) * options.fps));
        place(m2, n_frames, frames2, rng);
        label_noise(m2, rng);
        n_frames += frames2 + tail;
        renderer.movements.push_back(m2);
        expressions.push_back(m2);
      }
      renderer.drift_pixels = options.drift;
      renderer.drift_period_s = 2.0 * n_frames / options.fps;
      const double clip_seconds = static_cast<double>(n_frames) / options.fps;
      if (options.blink_rate > 0 && uniform(rng, 0, 1) < options.blink_rate * clip_seconds)
        renderer.blinks.push_back({static_cast<int64_t>(uniform(rng, 0, 0.8f) * n_frames),
                                   std::llround(0.15 * options.fps)});

      std::string subject = subject_name(s);
      char clip_name[32];
      std::snprintf(clip_name, sizeof clip_name, "%s_%04d", subject.c_str(), i + 1);
      fs::path relative = fs::path("clips") / subject / (clip_name + extension(options.format));
      LayoutPlace place{relative, "img", 1, 0, subject, clip_name};
      if (options.layout != Layout::Mexa) place = layout_place(options.layout, s, i, m.emotion);
      relative = place.folder;
      fs::create_directories((out / relative).parent_path());
      FrameSink sink(out / relative, options, place.prefix, place.first, place.width, place.ext);
      for (int64_t t = 0; t < n_frames; ++t) sink.write(renderer.frame(t));
      sink.finish();
      if (options.layout == Layout::Mexa) {
        write_row(subject, clip_name, relative.string(), m, n_frames);
      } else {
        // annotations.csv (mexa's, the truth) names the clip as the dataset does
        // (CAS(ME)^3: the video folder and the onset, as mexa's casme3 ids do).
        subject = options.layout == Layout::Casme2 ? subject : place.subject;
        const int64_t f = place.first;  // file numbers, as the datasets annotate
        for (const Movement& e : expressions) {
          const std::string label = dataset_label(options.layout, e.emotion);
          write_row(subject,
                    options.layout == Layout::Casme3 ? place.clip + "_" + std::to_string(f + e.onset) : place.clip,
                    relative.string(), e, n_frames);
          if (options.layout == Layout::Casme2)
            dataset << place.subject << ',' << place.clip << ",," << f + e.onset << ',' << f + e.apex << ','
                    << f + e.offset << ",," << io::csv_escape(bare_aus(e.aus)) << ',' << label << '\n';
          else if (options.layout == Layout::Smic)
            dataset << place.subject << ',' << place.clip << ',' << f + e.onset << ',' << f + e.offset << ','
                    << smic_class(e.emotion) << ',' << f << '\n';
          else if (options.layout == Layout::Casme3)
            dataset << place.subject << ',' << place.clip << ',' << f + e.onset << ',' << f + e.apex << ','
                    << f + e.offset << ',' << io::csv_escape(bare_aus(e.aus)) << ",1," << label << '\n';
          else
            dataset << place.subject << ',' << place.clip << ",1," << f + e.onset << ',' << f + e.apex << ','
                    << f + e.offset << ',' << e.offset - e.onset + 1 << ",Micro - 1/2,"
                    << io::csv_escape(bare_aus(e.aus)) << ',' << label << ",1,\n";
        }
      }
      summary.frames += n_frames;
      ++summary.videos;
      if (progress) progress(i + 1, options.clips);
    }
    return summary;
  }

  // Long videos: several micro-expressions at random times, one or two
  // macro-expressions, blinks and head motion; intervals for spotting.
  summary.intervals = (out / "intervals.csv").string();
  std::ofstream intervals(summary.intervals, std::ios::binary);
  if (!intervals) throw StorageError(summary.intervals, "cannot write");
  intervals << "subject,video,path,onset,apex,offset,type,emotion,fps\n";
  std::ofstream subjects_sheet, videos_sheet;
  if (options.layout == Layout::CasmeSq) {
    summary.dataset_annotations = (out / "CAS(ME)^2code_final_synth.csv").string();
    dataset.open(summary.dataset_annotations, std::ios::binary);
    subjects_sheet.open(out / "CAS(ME)^2code_final_synth.subjects.csv", std::ios::binary);
    videos_sheet.open(out / "CAS(ME)^2code_final_synth.videos.csv", std::ios::binary);
    videos_sheet << "0101,synthvideo\n";
    if (!dataset || !subjects_sheet || !videos_sheet) throw StorageError(summary.dataset_annotations, "cannot write");
  } else if (options.layout == Layout::SammLv) {
    summary.dataset_annotations = (out / "SAMM_LongVideos_synth.csv").string();
    dataset.open(summary.dataset_annotations, std::ios::binary);
    if (!dataset) throw StorageError(summary.dataset_annotations, "cannot write");
    dataset << "SAMM long videos (synthetic, mexa synth --layout samm-lv),,,,,,,,,\n";
    for (int i = 0; i < 9; ++i) dataset << "free-text note " << i + 1 << ",,,,,,,,,\n";
    dataset << "Subject,Filename,Inducement Code,Onset,Apex,Offset,Duration,Type,Action Units,Notes\n";
  }
  const auto n_frames = static_cast<int64_t>(std::llround(options.long_seconds * options.fps));
  for (int s = 0; s < options.subjects; ++s) {
    std::mt19937_64 rng(mix(options.seed, 400000 + s));
    const SubjectFace& face = faces[static_cast<size_t>(s)];
    const cv::Mat neutral = render_neutral(face, size, mix(options.seed, 500000 + s));
    VideoRenderer renderer(face, neutral, options, mix(options.seed, 600000 + s));
    renderer.drift_pixels = 2.0f;
    renderer.drift_period_s = uniform(rng, 8.0f, 16.0f);

    // Non-overlapping slots with at least 0.5 s between expressions.
    const int micro = 3 + static_cast<int>(uniform(rng, 0, 3.999f));
    const int macro = 1 + static_cast<int>(uniform(rng, 0, 1.999f));
    std::vector<std::pair<int64_t, Movement>> planned;
    std::vector<std::pair<int64_t, int64_t>> taken;
    std::vector<std::string> labels;
    const auto counts = class_counts(weights, 50);
    for (const auto& [name, count] : counts) labels.insert(labels.end(), count, name);
    for (int k = 0; k < micro + macro; ++k) {
      const bool is_macro = k >= micro;
      const std::string emotion = labels[static_cast<size_t>(uniform(rng, 0, 0.999f) * labels.size())];
      Movement m = is_macro ? make_movement(face, emotion, size, 8.0f, 14.0f, rng)
                            : make_movement(face, emotion, size, options.amplitude_min, options.amplitude_max, rng);
      m.type = is_macro ? "macro" : "micro";
      const int64_t frames = std::max<int64_t>(
          5, std::llround((is_macro ? uniform(rng, 0.6f, 2.0f) : uniform(rng, 1 / 25.0f, 0.5f)) * options.fps));
      for (int attempt = 0; attempt < 200; ++attempt) {
        const auto onset = static_cast<int64_t>(uniform(rng, 0.02f, 0.98f) * (n_frames - frames));
        const int64_t gap = options.fps / 2;
        const bool clash = std::any_of(taken.begin(), taken.end(), [&](const auto& r) {
          return onset < r.second + gap && onset + frames + gap > r.first;
        });
        if (clash) continue;
        place(m, onset, frames, rng);
        label_noise(m, rng);
        taken.push_back({onset, onset + frames});
        planned.push_back({onset, m});
        break;
      }
    }
    std::sort(planned.begin(), planned.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    for (auto& [onset, m] : planned) renderer.movements.push_back(m);
    // Blinks (0.3 per second), kept off the expressions so labels stay clean.
    const int64_t blink_frames = std::llround(0.15 * options.fps);
    for (double t = uniform(rng, 0.5f, 3.0f); t * options.fps + blink_frames < n_frames; t += uniform(rng, 1.5f, 5.0f)) {
      const auto start = static_cast<int64_t>(t * options.fps);
      const bool clash = std::any_of(taken.begin(), taken.end(), [&](const auto& r) {
        return start < r.second + options.fps / 10 && start + blink_frames + options.fps / 10 > r.first;
      });
      if (!clash) renderer.blinks.push_back({start, blink_frames});
    }

    std::string subject = subject_name(s);
    fs::path relative = fs::path("long") / (subject + extension(options.format));
    std::string prefix = "img", code;
    int width = 0;
    if (options.layout == Layout::CasmeSq) {  // rawpic/s15/15_0101synthvideo/img1.jpg
      code = std::to_string(15 + s);
      relative = fs::path("rawpic") / ("s" + code) / (code + "_0101synthvideo");
      subjects_sheet << "s" << code << ',' << code << ',' << s + 1 << '\n';
      subject = code;
    } else if (options.layout == Layout::SammLv) {  // SAMM_longvideos/006_1/006_1_0001.jpg
      char buffer[16];
      std::snprintf(buffer, sizeof buffer, "%03d", s + 6);
      code = buffer;
      relative = fs::path("SAMM_longvideos") / (code + "_1");
      prefix = code + "_1_";
      width = 4;
      subject = std::to_string(s + 6);
    }
    fs::create_directories((out / relative).parent_path());
    FrameSink sink(out / relative, options, prefix, 1, width);
    for (int64_t t = 0; t < n_frames; ++t) sink.write(renderer.frame(t));
    sink.finish();
    int index = 0, interval = 0;
    for (const Movement& m : renderer.movements) {
      intervals << subject << ',' << subject << ',' << io::csv_escape(relative.string()) << ',' << m.onset << ','
                << m.apex << ',' << m.offset << ',' << m.type << ',' << m.emotion << ',' << options.fps << '\n';
      ++interval;  // the dataset's files: 1-based file numbers
      if (options.layout == Layout::CasmeSq)
        dataset << s + 1 << ",synthvideo_" << interval << ',' << m.onset + 1 << ',' << m.apex + 1 << ','
                << (interval == 1 ? 0 : m.offset + 1) << ',' << io::csv_escape(bare_aus(m.aus)) << ','
                << smic_class(m.emotion) << ',' << m.type << "-expression," << m.emotion << '\n';
      else if (options.layout == Layout::SammLv)
        dataset << code << ',' << code << "_1_" << interval << ",1," << m.onset + 1 << ',' << m.apex + 1 << ','
                << m.offset + 1 << ',' << m.offset - m.onset + 1 << ',' << (m.type == "micro" ? "Micro - 1/2" : "Macro")
                << ',' << io::csv_escape(bare_aus(m.aus)) << ",\n";
      if (m.type == "micro") {
        char clip_name[32];
        std::snprintf(clip_name, sizeof clip_name, "%s_me%02d", subject.c_str(), ++index);
        write_row(subject, clip_name, relative.string(), m, n_frames);
      }
    }
    summary.frames += n_frames;
    ++summary.videos;
    if (progress) progress(s + 1, options.subjects);
  }
  return summary;
}

}  // namespace mexa::synth
