// `mexa synth --out DIR`: a DFME-style synthetic micro-expression dataset.
#include <spdlog/spdlog.h>

#include <cstdio>
#include <sstream>

#include "cli.h"
#include "commands.h"
#include "mexa/synth/generator.h"

namespace mexa::cli {
namespace {

/// "MIN,MAX" or "VALUE" -> range.
void parse_range(const std::string& text, float& lo, float& hi) {
  const auto comma = text.find(',');
  try {
    lo = std::stof(text.substr(0, comma));
    hi = comma == std::string::npos ? lo : std::stof(text.substr(comma + 1));
  } catch (const std::exception&) {
    throw UsageError("--amplitude must be PIXELS or MIN,MAX (got '" + text + "')");
  }
}

/// "disgust=247,surprise=184,..." -> weights.
std::map<std::string, double> parse_weights(const std::string& text) {
  std::map<std::string, double> weights;
  std::istringstream in(text);
  std::string item;
  while (std::getline(in, item, ',')) {
    const auto eq = item.find('=');
    if (eq == std::string::npos) throw UsageError("--class-weights items look like disgust=247 (got '" + item + "')");
    try {
      weights[item.substr(0, eq)] = std::stod(item.substr(eq + 1));
    } catch (const std::exception&) {
      throw UsageError("--class-weights: '" + item + "' has no number");
    }
  }
  return weights;
}

}  // namespace

int run_synth(const std::vector<std::string>& args) {
  static const Command command{
      "synth",
      "Generate a DFME-style synthetic micro-expression dataset (clips + annotations.csv) whose ground truth is "
      "known exactly. Difficulty: --amplitude (peak displacement of each micro-expression, pixels; smaller is "
      "harder) and --noise (sensor noise, grey levels; larger is harder).",
      "mexa synth --out DIR [options]", run_synth};
  synth::SynthOptions o;
  std::string size = "128x128", format = "h264", amplitude = "1,6", weights, layout = "mexa", noise_model = "uniform";
  po::options_description options("Synth options");
  options.add_options()("out", po::value(&o.out_dir)->required(), "output folder")(
      "clips", po::value(&o.clips)->default_value(o.clips), "number of short clips")(
      "subjects", po::value(&o.subjects)->default_value(o.subjects), "number of subjects (distinct faces)")(
      "seed", po::value(&o.seed)->default_value(o.seed), "random seed (same seed and options: same bytes)")(
      "fps", po::value(&o.fps)->default_value(o.fps), "frame rate: 200, 300 or 500")(
      "size", po::value(&size)->default_value(size), "WxH; 128x128 is face-cropped, larger places the face anywhere")(
      "format", po::value(&format)->default_value(format), "h264 (mp4), ffv1 (lossless mkv), jpg or png (frame folders)")(
      "amplitude", po::value(&amplitude)->default_value(amplitude), "peak displacement in pixels: MIN,MAX or VALUE")(
      "noise", po::value(&o.noise)->default_value(o.noise, "1.0"), "sensor noise standard deviation (grey levels)")(
      "flicker", po::value(&o.flicker)->default_value(o.flicker, "0.0005"), "illumination flicker (relative amplitude)")(
      "drift", po::value(&o.drift)->default_value(o.drift, "0.02"), "head drift in short clips (peak pixels)")(
      "blink-rate", po::value(&o.blink_rate)->default_value(o.blink_rate), "blinks per second in short clips")(
      "label-noise", po::value(&o.label_noise)->default_value(o.label_noise), "share of clips with a wrong label")(
      "label-noise-model", po::value(&noise_model)->default_value(noise_model),
      "uniform (any other class) or neighbours (disgust<->contempt, fear<->surprise, sadness<->anger; happiness "
      "uniform)")(
      "balanced", po::bool_switch(&o.balanced), "equal class counts (default: DFME-like imbalance)")(
      "class-weights", po::value(&weights), "custom distribution, e.g. happiness=1,disgust=3,...")(
      "layout", po::value(&layout)->default_value(layout),
      "mexa, casme2, samm, smic or casme3 (short clips), casme-sq or samm-lv (long videos, with --long): that "
      "dataset's folders, file names and annotation file (CSV in its columns; with --format jpg; SMIC's frames are "
      "BMP; CAS(ME)^2's naming sheets as two more CSVs)")(
      "long", po::bool_switch(&o.long_videos), "one long video per subject with several MEs (for spotting)")(
      "long-seconds", po::value(&o.long_seconds)->default_value(o.long_seconds), "length of each long video");
  po::variables_map vm;
  if (!parse(args, command, options, {}, vm)) return kOk;
  parse_size(size, o.width, o.height);
  parse_range(amplitude, o.amplitude_min, o.amplitude_max);
  if (!weights.empty()) o.class_weights = parse_weights(weights);
  try {
    o.format = synth::parse_output_format(format);
    o.layout = synth::parse_layout(layout);
    o.label_noise_model = synth::parse_label_noise_model(noise_model);
    Progress progress("synth " + o.out_dir, o.long_videos ? o.subjects : o.clips, "videos");
    const auto summary = synth::generate(o, [&](int done, int) { progress.update(done); });
    progress.finish();
    std::string classes;
    for (const auto& [name, count] : summary.per_class) classes += " " + name + "=" + std::to_string(count);
    std::printf("wrote %d videos, %d annotated micro-expressions, %lld frames to %s\n", summary.videos, summary.clips,
                static_cast<long long>(summary.frames), o.out_dir.c_str());
    std::printf("classes:%s\nmanifest: %s\n", classes.c_str(), summary.manifest.c_str());
    if (!summary.intervals.empty()) std::printf("intervals: %s\n", summary.intervals.c_str());
    if (!summary.dataset_annotations.empty()) std::printf("dataset annotations: %s\n", summary.dataset_annotations.c_str());
  } catch (const std::invalid_argument& e) {
    throw UsageError(e.what());
  }
  return kOk;
}

}  // namespace mexa::cli
