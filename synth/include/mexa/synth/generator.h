// `mexa synth`: a DFME-style synthetic micro-expression dataset whose ground
// truth is known exactly. Subjects with distinct faces; per clip neutral
// frames, one onset -> apex -> offset movement built from the FACS action
// units of an emotion (random subset and intensities, so classes overlap),
// then neutral again; distractors (sensor noise, illumination flicker, slow
// head drift, optionally blinks and wrong labels). Writes clips (h264, FFV1,
// jpg or png folders) and DIR/annotations.csv in mexa's manifest format.
// Deterministic: the same options give the same bytes.
//
// Not thread-safe (one generator per output folder).
//
//   mexa::synth::SynthOptions options;
//   options.out_dir = "data/synth";
//   auto summary = mexa::synth::generate(options);
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

namespace mexa::synth {

enum class OutputFormat { H264, Ffv1, Jpg, Png };
OutputFormat parse_output_format(const std::string& name);  ///< throws std::invalid_argument

/// Folder layout, file naming and annotation file of a real dataset, for
/// testing `mexa dataset` and the styles without the licensed data (frames as
/// JPEG folders; annotations.csv is written as well, with the truth):
///   Casme2  CASME2_RAW/sub01/EP01_01f/reg_img47.jpg ...; CASME2-coding-synth.csv
///           (Subject, Filename, blank, OnsetFrame, ApexFrame, OffsetFrame,
///           blank, Action Units, Estimated Emotion; file numbers, not from 1)
///   Samm    006/006_1_1/006_05563.jpg ...; SAMM_synth_FACS_Codes.csv (11 free-text
///           rows above the header; file numbers; AUs written "4+7")
///   Smic    HS/s1/micro/negative/s1_ne_01/image0100000.bmp ...; SMIC-HS-E_annotation_synth.csv
///           (OnsetF, OffsetF relative to FirstF; no apex; MEGC's 3 classes)
///   Casme3  spNO.1/a1/color/0.jpg ...; CAS(ME)3_part_A_ME_label_synth.csv
/// and, with long videos (one per subject; micro and macro intervals):
///   CasmeSq rawpic/s15/15_0101synthvideo/img1.jpg ...; CAS(ME)^2code_final_synth.csv
///           (no header: subject number, synthvideo_N, onset, apex, offset
///           (0 for the first interval: "ends at the apex"), AUs, MEGC class,
///           micro-/macro-expression, emotion) with the naming sheets beside
///           it as CAS(ME)^2code_final_synth.subjects.csv (s15,15,1) and
///           .videos.csv (0101,synthvideo)
///   SammLv  SAMM_longvideos/006_1/006_1_0001.jpg ...; SAMM_LongVideos_synth.csv
///           (10 free-text rows, then Subject, Filename, Inducement Code, Onset,
///           Apex, Offset, Duration, Type ("Micro - 1/2", "Macro"), Action Units, Notes)
enum class Layout { Mexa, Casme2, Samm, Smic, Casme3, CasmeSq, SammLv };
Layout parse_layout(const std::string& name);  ///< throws std::invalid_argument

/// How --label-noise picks a noisy clip's wrong label. Uniform: any other
/// class. Neighbours: the emotion annotators confuse it with (disgust<->contempt,
/// fear<->surprise, sadness<->anger); a class without a neighbour (happiness,
/// custom classes) or whose neighbour is not in the set stays uniform.
enum class LabelNoiseModel { Uniform, Neighbours };
LabelNoiseModel parse_label_noise_model(const std::string& name);  ///< throws std::invalid_argument
/// The neighbour a noisy clip of `emotion` is given under Neighbours; "" if none.
std::string noise_neighbour(const std::string& emotion);

struct SynthOptions {
  std::string out_dir;
  int clips = 300;              ///< short clips (ignored with long_videos)
  int subjects = 20;
  uint64_t seed = 1;
  int fps = 200;                ///< 200, 300 or 500 (DFME parts C, B, A)
  int width = 128;
  int height = 128;             ///< 128x128: face-cropped; larger: face at a random position
  OutputFormat format = OutputFormat::H264;
  float amplitude_min = 1.0f;   ///< peak displacement of a micro-expression, pixels
  float amplitude_max = 6.0f;
  float noise = 1.0f;           ///< sensor noise, standard deviation in grey levels
  // Distractors in short clips are kept below the weakest micro-expression's
  // signal (mean squared difference), so the annotated apex stays the frame
  // that differs most from onset; long videos use stronger ones (2 px head
  // motion, blinks).
  float flicker = 0.0005f;      ///< illumination flicker, relative amplitude
  float drift = 0.02f;          ///< slow head drift in short clips, peak pixels
  float blink_rate = 0.0f;      ///< blinks per second in short clips (long videos: 0.3)
  float label_noise = 0.0f;     ///< share of clips whose emotion label is replaced by another class
  LabelNoiseModel label_noise_model = LabelNoiseModel::Uniform;  ///< which wrong label they get
  bool balanced = false;        ///< equal class counts instead of DFME-like imbalance
  std::map<std::string, double> class_weights;  ///< custom distribution (class -> weight)
  Layout layout = Layout::Mexa;  ///< a dataset's layout (JPEG folders; CasmeSq and SammLv: long videos)
  bool long_videos = false;     ///< one minute-long video per subject (spotting)
  double long_seconds = 60.0;
};

/// The default class proportions (a public ME dataset's counts): disgust 247,
/// surprise 184, fear 83, anger 64, sadness 55, happiness 54, contempt 20.
std::map<std::string, double> default_class_weights();

/// Clips per class for n clips: largest-remainder rounding, at least one
/// clip per class with a positive weight when n allows.
std::map<std::string, int> class_counts(const std::map<std::string, double>& weights, int n);

struct SynthSummary {
  std::string manifest;         ///< DIR/annotations.csv
  std::string dataset_annotations;  ///< the layout's own annotation file ("" for mexa's)
  std::string intervals;        ///< DIR/intervals.csv (long videos only)
  int clips = 0;                ///< annotated movements written
  int videos = 0;               ///< files or folders written
  int64_t frames = 0;
  std::map<std::string, int> per_class;
};

/// Writes the dataset; throws std::invalid_argument for bad options and
/// mexa::Error for I/O problems. `progress(done, total)` is called per video.
SynthSummary generate(const SynthOptions& options, const std::function<void(int, int)>& progress = {});

}  // namespace mexa::synth
