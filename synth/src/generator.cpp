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
#include "layouts.h"
#include "render.h"

namespace mexa::synth {
namespace {

namespace fs = std::filesystem;
using namespace detail;

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

LabelNoiseModel parse_label_noise_model(const std::string& name) {
  static const EnumNames<LabelNoiseModel> names(
      "--label-noise-model", {{LabelNoiseModel::Uniform, "uniform"}, {LabelNoiseModel::Neighbours, "neighbours"}});
  return names.parse(name);
}

std::string noise_neighbour(const std::string& emotion) {
  static const std::map<std::string, std::string> pairs = {
      {"disgust", "contempt"}, {"contempt", "disgust"}, {"fear", "surprise"},
      {"surprise", "fear"},    {"sadness", "anger"},    {"anger", "sadness"}};
  const auto it = pairs.find(emotion);
  return it == pairs.end() ? std::string() : it->second;
}

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

namespace {

/// One run of generate(): the options' derived state, the files being
/// written and the summary.
class Generator {
 public:
  Generator(const SynthOptions& options, const std::function<void(int, int)>& progress)
      : options_(options), progress_(progress), out_(options.out_dir), size_(options.width, options.height) {
    fs::create_directories(out_);
    weights_ = options.class_weights;
    if (weights_.empty()) weights_ = default_class_weights();
    if (options.balanced)
      for (const auto& c : classes()) weights_[c] = 1;
    for (const auto& [name, w] : weights_)
      if (std::find(classes().begin(), classes().end(), name) == classes().end())
        throw std::invalid_argument("unknown class '" + name + "' in the class distribution");
    const bool placement = options.width > 128 || options.height > 128;
    for (int s = 0; s < options.subjects; ++s)
      faces_.push_back(SubjectFace::random(mix(options.seed, 1000 + s), size_, placement));
    summary_.manifest = (out_ / "annotations.csv").string();
    manifest_.open(summary_.manifest, std::ios::binary);
    if (!manifest_) throw StorageError(summary_.manifest, "cannot write");
    manifest_ << "subject,clip,path,onset,apex,offset,emotion,aus,fps,n_frames,true_emotion,amplitude\n";
    layout_ = make_layout_writer(options, out_, summary_);
  }

  SynthSummary run() {
    if (!options_.long_videos) {
      // Class of each clip, shuffled; subjects in turn so every subject has clips of several classes.
      std::vector<std::string> labels;
      for (const auto& [name, count] : class_counts(weights_, options_.clips)) labels.insert(labels.end(), count, name);
      std::mt19937_64 order(mix(options_.seed, 7));
      std::shuffle(labels.begin(), labels.end(), order);
      for (int i = 0; i < options_.clips; ++i) {
        short_clip(i, labels);
        if (progress_) progress_(i + 1, options_.clips);
      }
      return summary_;
    }
    // Long videos: several micro-expressions at random times, one or two
    // macro-expressions, blinks and head motion; intervals for spotting.
    summary_.intervals = (out_ / "intervals.csv").string();
    intervals_.open(summary_.intervals, std::ios::binary);
    if (!intervals_) throw StorageError(summary_.intervals, "cannot write");
    intervals_ << "subject,video,path,onset,apex,offset,type,emotion,fps\n";
    for (int s = 0; s < options_.subjects; ++s) {
      long_video(s);
      if (progress_) progress_(s + 1, options_.subjects);
    }
    return summary_;
  }

 private:
  void write_row(const std::string& subject, const std::string& clip, const std::string& path, const Movement& m,
                 int64_t n_frames) {
    char amplitude[32];
    std::snprintf(amplitude, sizeof amplitude, "%.2f", m.amplitude);
    manifest_ << subject << ',' << clip << ',' << io::csv_escape(path) << ',' << m.onset << ',' << m.apex << ','
              << m.offset << ',' << m.emotion << ',' << m.aus << ',' << options_.fps << ',' << n_frames << ','
              << m.true_emotion << ',' << amplitude << '\n';
    ++summary_.per_class[m.emotion];
    ++summary_.clips;
  }

  void label_noise(Movement& m, std::mt19937_64& rng) const {
    if (uniform(rng, 0, 1) >= options_.label_noise) return;
    std::vector<std::string> others;
    for (const auto& c : classes())
      if (c != m.true_emotion) others.push_back(c);
    // The draw is made under both models, so the clips' pixels do not depend on the model.
    m.emotion = others[static_cast<size_t>(uniform(rng, 0, 0.999f) * others.size())];
    if (options_.label_noise_model == LabelNoiseModel::Neighbours) {
      const std::string neighbour = noise_neighbour(m.true_emotion);
      if (std::find(others.begin(), others.end(), neighbour) != others.end()) m.emotion = neighbour;
    }
  }

  /// Short clip i: one micro-expression (CAS(ME)^3: one video in three holds a second one).
  void short_clip(int i, const std::vector<std::string>& labels) {
    const auto& o = options_;
    std::mt19937_64 rng(mix(o.seed, 100000 + i));
    const int s = i % o.subjects;
    const SubjectFace& face = faces_[static_cast<size_t>(s)];
    const cv::Mat neutral = render_neutral(face, size_, mix(o.seed, 200000 + i));
    VideoRenderer renderer(face, neutral, o, mix(o.seed, 300000 + i));

    Movement m = make_movement(face, labels[static_cast<size_t>(i)], size_, o.amplitude_min, o.amplitude_max, rng);
    const int64_t me_frames = std::max<int64_t>(5, std::llround(uniform(rng, 1 / 25.0f, 0.5f) * o.fps));
    const int64_t lead = std::max<int64_t>(3, std::llround(uniform(rng, 0.04f, 0.12f) * o.fps));
    const int64_t tail = std::max<int64_t>(3, std::llround(uniform(rng, 0.04f, 0.12f) * o.fps));
    place(m, lead, me_frames, rng);
    label_noise(m, rng);
    int64_t n_frames = lead + me_frames + tail;
    renderer.movements.push_back(m);
    std::vector<Movement> expressions{m};
    if (o.layout == Layout::Casme3 && i % 3 == 2) {
      Movement m2 = make_movement(face, labels[static_cast<size_t>(i + 1) % labels.size()], size_, o.amplitude_min,
                                  o.amplitude_max, rng);
      const int64_t frames2 = std::max<int64_t>(5, std::llround(uniform(rng, 1 / 25.0f, 0.5f) * o.fps));
      place(m2, n_frames, frames2, rng);
      label_noise(m2, rng);
      n_frames += frames2 + tail;
      renderer.movements.push_back(m2);
      expressions.push_back(m2);
    }
    renderer.drift_pixels = o.drift;
    renderer.drift_period_s = 2.0 * n_frames / o.fps;
    const double clip_seconds = static_cast<double>(n_frames) / o.fps;
    if (o.blink_rate > 0 && uniform(rng, 0, 1) < o.blink_rate * clip_seconds)
      renderer.blinks.push_back({static_cast<int64_t>(uniform(rng, 0, 0.8f) * n_frames), std::llround(0.15 * o.fps)});
    render_short(i, s, renderer, expressions, n_frames);
  }

  /// Short clip i's frames, its manifest row(s) and the layout's rows.
  void render_short(int i, int s, VideoRenderer& renderer, const std::vector<Movement>& expressions, int64_t n_frames) {
    const auto& o = options_;
    std::string subject = subject_name(s);
    char clip_name[32];
    std::snprintf(clip_name, sizeof clip_name, "%s_%04d", subject.c_str(), i + 1);
    fs::path relative = fs::path("clips") / subject / (clip_name + extension(o.format));
    LayoutPlace place{relative, "img", 1, 0, subject, clip_name};
    if (o.layout != Layout::Mexa) place = layout_place(o.layout, s, i, expressions.front().emotion);
    relative = place.folder;
    fs::create_directories((out_ / relative).parent_path());
    FrameSink sink(out_ / relative, o, place.prefix, place.first, place.width, place.ext);
    for (int64_t t = 0; t < n_frames; ++t) sink.write(renderer.frame(t));
    sink.finish();
    if (o.layout == Layout::Mexa) {
      write_row(subject, clip_name, relative.string(), expressions.front(), n_frames);
    } else {
      // annotations.csv (mexa's, the truth) names the clip as the dataset does
      // (CAS(ME)^3: the video folder and the onset, as mexa's casme3 ids do).
      subject = o.layout == Layout::Casme2 ? subject : place.subject;
      for (const Movement& e : expressions) {
        write_row(subject, o.layout == Layout::Casme3 ? place.clip + "_" + std::to_string(place.first + e.onset) : place.clip,
                  relative.string(), e, n_frames);
        layout_->clip_row(place, e);
      }
    }
    summary_.frames += n_frames;
    ++summary_.videos;
  }

  /// Subject s's long video: 3-6 micro- and 1-2 macro-expressions in
  /// non-overlapping slots at least 0.5 s apart, blinks kept off them.
  void long_video(int s) {
    const auto& o = options_;
    const auto n_frames = static_cast<int64_t>(std::llround(o.long_seconds * o.fps));
    std::mt19937_64 rng(mix(o.seed, 400000 + s));
    const SubjectFace& face = faces_[static_cast<size_t>(s)];
    const cv::Mat neutral = render_neutral(face, size_, mix(o.seed, 500000 + s));
    VideoRenderer renderer(face, neutral, o, mix(o.seed, 600000 + s));
    renderer.drift_pixels = 2.0f;
    renderer.drift_period_s = uniform(rng, 8.0f, 16.0f);
    const auto taken = plan_expressions(face, n_frames, rng, renderer);
    // Blinks (0.3 per second), kept off the expressions so labels stay clean.
    const int64_t blink_frames = std::llround(0.15 * o.fps);
    for (double t = uniform(rng, 0.5f, 3.0f); t * o.fps + blink_frames < n_frames; t += uniform(rng, 1.5f, 5.0f)) {
      const auto start = static_cast<int64_t>(t * o.fps);
      const bool clash = std::any_of(taken.begin(), taken.end(), [&](const auto& r) {
        return start < r.second + o.fps / 10 && start + blink_frames + o.fps / 10 > r.first;
      });
      if (!clash) renderer.blinks.push_back({start, blink_frames});
    }
    render_long(s, renderer, n_frames);
  }

  /// The long video's expressions, in time order, into the renderer; the frame spans they take.
  std::vector<std::pair<int64_t, int64_t>> plan_expressions(const SubjectFace& face, int64_t n_frames,
                                                            std::mt19937_64& rng, VideoRenderer& renderer) {
    const auto& o = options_;
    const int micro = 3 + static_cast<int>(uniform(rng, 0, 3.999f));
    const int macro = 1 + static_cast<int>(uniform(rng, 0, 1.999f));
    std::vector<std::pair<int64_t, Movement>> planned;
    std::vector<std::pair<int64_t, int64_t>> taken;
    std::vector<std::string> labels;
    for (const auto& [name, count] : class_counts(weights_, 50)) labels.insert(labels.end(), count, name);
    for (int k = 0; k < micro + macro; ++k) {
      const bool is_macro = k >= micro;
      const std::string emotion = labels[static_cast<size_t>(uniform(rng, 0, 0.999f) * labels.size())];
      Movement m = is_macro ? make_movement(face, emotion, size_, 8.0f, 14.0f, rng)
                            : make_movement(face, emotion, size_, o.amplitude_min, o.amplitude_max, rng);
      m.type = is_macro ? "macro" : "micro";
      const int64_t frames = std::max<int64_t>(
          5, std::llround((is_macro ? uniform(rng, 0.6f, 2.0f) : uniform(rng, 1 / 25.0f, 0.5f)) * o.fps));
      for (int attempt = 0; attempt < 200; ++attempt) {
        const auto onset = static_cast<int64_t>(uniform(rng, 0.02f, 0.98f) * (n_frames - frames));
        const int64_t gap = o.fps / 2;
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
    return taken;
  }

  /// Subject s's long video frames, its intervals, its micro-expressions as manifest rows, the layout's rows.
  void render_long(int s, VideoRenderer& renderer, int64_t n_frames) {
    const auto& o = options_;
    const std::string name = subject_name(s);
    const fs::path folder = fs::path("long") / (name + extension(o.format));
    const LongPlace place = layout_ ? layout_->long_place(s, folder, name) : LongPlace{folder, "img", 0, name};
    fs::create_directories((out_ / place.folder).parent_path());
    FrameSink sink(out_ / place.folder, o, place.prefix, 1, place.width);
    for (int64_t t = 0; t < n_frames; ++t) sink.write(renderer.frame(t));
    sink.finish();
    int index = 0, interval = 0;
    for (const Movement& m : renderer.movements) {
      intervals_ << place.subject << ',' << place.subject << ',' << io::csv_escape(place.folder.string()) << ','
                 << m.onset << ',' << m.apex << ',' << m.offset << ',' << m.type << ',' << m.emotion << ',' << o.fps
                 << '\n';
      ++interval;  // the dataset's files: 1-based file numbers
      if (layout_) layout_->interval_row(s, place, interval, m);
      if (m.type == "micro") {
        char clip_name[32];
        std::snprintf(clip_name, sizeof clip_name, "%s_me%02d", place.subject.c_str(), ++index);
        write_row(place.subject, clip_name, place.folder.string(), m, n_frames);
      }
    }
    summary_.frames += n_frames;
    ++summary_.videos;
  }

  const SynthOptions& options_;
  const std::function<void(int, int)>& progress_;
  const fs::path out_;
  const cv::Size size_;
  std::map<std::string, double> weights_;
  std::vector<SubjectFace> faces_;
  SynthSummary summary_;
  std::ofstream manifest_, intervals_;
  std::unique_ptr<LayoutWriter> layout_;
};

}  // namespace

SynthSummary generate(const SynthOptions& options, const std::function<void(int, int)>& progress) {
  validate(options);
  return Generator(options, progress).run();
}

}  // namespace mexa::synth
