// mexa synth: determinism, ground truth (apex = largest motion), frame counts
// checked by the ffmpeg CLI, class distribution, long videos.
#include <gtest/gtest.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "mexa/io/csv.h"
#include "mexa/io/manifest.h"
#include "mexa/io/video_reader.h"
#include "mexa/synth/generator.h"

namespace mexa::synth {
namespace {

namespace fs = std::filesystem;

fs::path temp_dir(const std::string& name) {
  const fs::path dir = fs::temp_directory_path() / ("mexa_synth_" + std::to_string(::getpid()) + "_" + name);
  fs::remove_all(dir);
  return dir;
}

/// MD5 of every file under `dir`, by relative path (computed by md5sum, an independent tool).
std::map<std::string, std::string> file_hashes(const fs::path& dir) {
  std::map<std::string, std::string> hashes;
  for (const auto& entry : fs::recursive_directory_iterator(dir)) {
    if (!entry.is_regular_file()) continue;
    const std::string cmd = "md5sum '" + entry.path().string() + "'";
    FILE* pipe = popen(cmd.c_str(), "r");
    char buffer[64] = {};
    if (pipe && fgets(buffer, sizeof buffer, pipe)) hashes[fs::relative(entry.path(), dir).string()] = std::string(buffer, 32);
    if (pipe) pclose(pipe);
  }
  return hashes;
}

/// Frames the ffmpeg CLI decodes from a video or an img%d frame folder.
int64_t ffmpeg_frame_count(const fs::path& path) {
  std::string input = "-i '" + path.string() + "'";
  if (fs::is_directory(path)) {
    const std::string ext = fs::exists(path / "img1.png") ? ".png" : ".jpg";
    input = "-start_number 1 -i '" + (path / ("img%d" + ext)).string() + "'";
  }
  const std::string cmd =
      "ffmpeg -nostdin -v error " + input + " -map 0:v:0 -fps_mode passthrough -f framemd5 - | grep -vc '^#'";
  FILE* pipe = popen(cmd.c_str(), "r");
  char buffer[32] = {};
  int64_t n = -1;
  if (pipe && fgets(buffer, sizeof buffer, pipe)) n = std::stoll(buffer);
  if (pipe) pclose(pipe);
  return n;
}

SynthOptions small(const fs::path& dir, OutputFormat format = OutputFormat::H264) {
  SynthOptions o;
  o.out_dir = dir.string();
  o.clips = 14;
  o.subjects = 4;
  o.seed = 11;
  o.format = format;
  return o;
}

TEST(Synth, SameSeedGivesIdenticalBytesAndAnotherSeedDiffers) {
  for (OutputFormat format : {OutputFormat::H264, OutputFormat::Ffv1, OutputFormat::Png}) {
    const fs::path a = temp_dir("a"), b = temp_dir("b"), c = temp_dir("c");
    SynthOptions o = small(a, format);
    o.clips = 5;
    generate(o);
    o.out_dir = b.string();
    generate(o);
    o.out_dir = c.string();
    o.seed = 12;
    generate(o);
    const auto ha = file_hashes(a), hb = file_hashes(b), hc = file_hashes(c);
    EXPECT_GT(ha.size(), 5u);
    EXPECT_EQ(ha, hb) << "format " << static_cast<int>(format);
    EXPECT_NE(ha.at("annotations.csv"), hc.at("annotations.csv"));
    int same = 0;
    for (const auto& [file, hash] : ha) same += hc.count(file) && hc.at(file) == hash;
    EXPECT_EQ(same, 0) << "no file may be equal across seeds";
    for (const auto& d : {a, b, c}) fs::remove_all(d);
  }
}

/// For every clip: the decoded frame farthest from the onset frame (mean
/// squared grey difference) is within 2 frames of the annotated apex.
void expect_apex_is_largest_motion(const SynthOptions& o) {
  generate(o);
  io::ManifestOptions mo;
  const io::Manifest manifest = io::read_manifest((fs::path(o.out_dir) / "annotations.csv").string(), mo);
  ASSERT_EQ(static_cast<int>(manifest.rows.size()), o.clips);
  int worst = 0;
  for (const io::ManifestRow& row : manifest.rows) {
    io::VideoReaderOptions gray;
    gray.pixel_format = io::PixelFormat::Gray8;
    io::VideoReader reader(row.path, gray);
    std::vector<std::vector<uint8_t>> frames;
    io::Frame frame;
    while (reader.next(frame)) frames.push_back(frame.packed());
    ASSERT_GT(static_cast<int64_t>(frames.size()), row.offset);
    const auto& onset = frames[static_cast<size_t>(row.onset)];
    double best = -1;
    int64_t best_frame = -1;
    for (size_t t = 0; t < frames.size(); ++t) {
      double sum = 0;
      for (size_t p = 0; p < onset.size(); ++p) {
        const double d = int(frames[t][p]) - int(onset[p]);
        sum += d * d;
      }
      if (sum > best) best = sum, best_frame = static_cast<int64_t>(t);
    }
    worst = std::max(worst, static_cast<int>(std::abs(best_frame - row.apex)));
    EXPECT_LE(std::abs(best_frame - row.apex), 2)
        << row.clip << ": largest difference at frame " << best_frame << ", apex " << row.apex << " (onset "
        << row.onset << ", offset " << row.offset << ", " << row.aus << ")";
  }
  std::cout << "[ APEX     ] " << o.clips << " clips at " << o.fps << " fps: worst |argmax - apex| = " << worst
            << " frames\n";
}

TEST(Synth, ApexIsWhereTheMotionIsLargestAt200Fps) {
  const fs::path dir = temp_dir("apex200");
  SynthOptions o = small(dir);
  o.clips = 40;
  o.subjects = 8;
  expect_apex_is_largest_motion(o);
  fs::remove_all(dir);
}

TEST(Synth, ApexIsWhereTheMotionIsLargestAt500FpsLossless) {
  const fs::path dir = temp_dir("apex500");
  SynthOptions o = small(dir, OutputFormat::Ffv1);
  o.fps = 500;
  o.clips = 14;
  expect_apex_is_largest_motion(o);
  fs::remove_all(dir);
}

TEST(Synth, EveryClipDecodesWithFfmpegToTheFrameCountTheCsvImplies) {
  for (OutputFormat format : {OutputFormat::H264, OutputFormat::Ffv1, OutputFormat::Jpg, OutputFormat::Png}) {
    const fs::path dir = temp_dir("count");
    SynthOptions o = small(dir, format);
    o.clips = 7;
    o.fps = format == OutputFormat::Jpg ? 300 : 200;
    generate(o);
    io::ManifestOptions mo;
    const io::Manifest manifest = io::read_manifest((dir / "annotations.csv").string(), mo);
    ASSERT_EQ(manifest.rows.size(), 7u);
    // n_frames is not a manifest column: read it from the CSV itself.
    const auto csv = io::read_csv_file((dir / "annotations.csv").string());
    ASSERT_EQ(csv.size(), manifest.rows.size() + 1);
    for (size_t i = 0; i < manifest.rows.size(); ++i) {
      const io::ManifestRow& row = manifest.rows[i];
      const int64_t n_frames = std::stoll(csv[i + 1].fields.at(9));
      EXPECT_GT(n_frames, row.offset);
      EXPECT_EQ(ffmpeg_frame_count(row.path), n_frames) << row.path;
      EXPECT_EQ(row.fps, o.fps);
    }
    fs::remove_all(dir);
  }
}

TEST(Synth, DefaultDistributionIsImbalancedLikeTheReference) {
  const auto counts = class_counts(default_class_weights(), 707);
  EXPECT_EQ(counts.at("disgust"), 247);
  EXPECT_EQ(counts.at("contempt"), 20);
  const auto small_set = class_counts(default_class_weights(), 20);
  int total = 0;
  for (const auto& [name, n] : small_set) {
    EXPECT_GE(n, 1) << name;
    total += n;
  }
  EXPECT_EQ(total, 20);
  EXPECT_GT(small_set.at("disgust"), small_set.at("happiness"));
  std::map<std::string, double> flat;
  for (const auto& c : {"happiness", "sadness", "anger", "contempt", "fear", "disgust", "surprise"}) flat[c] = 1;
  for (const auto& [name, n] : class_counts(flat, 70)) EXPECT_EQ(n, 10) << name;
}

TEST(Synth, LabelNoiseReplacesLabelsAndKeepsTheTruth) {
  const fs::path dir = temp_dir("noise");
  SynthOptions o = small(dir);
  o.clips = 7;
  o.label_noise = 1.0f;
  generate(o);
  const auto csv = io::read_csv_file((dir / "annotations.csv").string());
  ASSERT_EQ(csv.size(), 8u);
  for (size_t i = 1; i < csv.size(); ++i)
    EXPECT_NE(csv[i].fields.at(6), csv[i].fields.at(10)) << "line " << csv[i].line;  // emotion != true_emotion
  fs::remove_all(dir);
}

TEST(Synth, NeighbourLabelNoiseConfusesNeighbouringEmotions) {
  const fs::path dir = temp_dir("neighbours");
  SynthOptions o = small(dir);
  o.clips = 14;
  o.balanced = true;
  o.label_noise = 1.0f;
  o.label_noise_model = synth::parse_label_noise_model("neighbours");
  generate(o);
  const auto csv = io::read_csv_file((dir / "annotations.csv").string());
  ASSERT_EQ(csv.size(), 15u);
  int happiness = 0;
  for (size_t i = 1; i < csv.size(); ++i) {
    const std::string& label = csv[i].fields.at(6);
    const std::string& truth = csv[i].fields.at(10);
    EXPECT_NE(label, truth) << "line " << csv[i].line;
    if (truth == "happiness") {
      ++happiness;
      EXPECT_EQ(synth::noise_neighbour(truth), "");
    } else {
      EXPECT_EQ(label, synth::noise_neighbour(truth)) << "line " << csv[i].line;
    }
  }
  EXPECT_EQ(happiness, 2);
  EXPECT_EQ(synth::noise_neighbour("disgust"), "contempt");
  EXPECT_EQ(synth::noise_neighbour("surprise"), "fear");
  EXPECT_EQ(synth::noise_neighbour("anger"), "sadness");
  EXPECT_THROW(synth::parse_label_noise_model("adjacent"), std::invalid_argument);
  fs::remove_all(dir);
}

TEST(Synth, LongVideosHoldSeveralExpressionsAndAnIntervalsFile) {
  const fs::path dir = temp_dir("long");
  SynthOptions o = small(dir);
  o.long_videos = true;
  o.long_seconds = 12;
  o.subjects = 2;
  const SynthSummary summary = generate(o);
  EXPECT_EQ(summary.videos, 2);
  EXPECT_GE(summary.clips, 6);  // 3..6 micro-expressions per video
  const auto intervals = io::read_csv_file(summary.intervals);
  ASSERT_GE(intervals.size(), 9u);  // header + micro + macro
  int macro = 0;
  std::map<std::string, std::vector<std::pair<int64_t, int64_t>>> spans;
  for (size_t i = 1; i < intervals.size(); ++i) {
    const auto& f = intervals[i].fields;
    macro += f.at(6) == "macro";
    spans[f.at(0)].push_back({std::stoll(f.at(3)), std::stoll(f.at(5))});
    EXPECT_LE(std::stoll(f.at(3)), std::stoll(f.at(4)));
    EXPECT_LE(std::stoll(f.at(4)), std::stoll(f.at(5)));
  }
  EXPECT_GE(macro, 2);
  for (auto& [video, list] : spans) {
    std::sort(list.begin(), list.end());
    for (size_t i = 1; i < list.size(); ++i) EXPECT_LT(list[i - 1].second, list[i].first) << video << " overlaps";
  }
  EXPECT_EQ(ffmpeg_frame_count(dir / "long" / "sub01.mp4"), 12 * 200);
  fs::remove_all(dir);
}

TEST(Synth, BadOptionsAreRejected) {
  SynthOptions o;
  EXPECT_THROW(generate(o), std::invalid_argument);  // no --out
  o.out_dir = temp_dir("bad").string();
  o.fps = 250;
  EXPECT_THROW(generate(o), std::invalid_argument);
  o.fps = 200;
  o.amplitude_min = 3;
  o.amplitude_max = 2;
  EXPECT_THROW(generate(o), std::invalid_argument);
  o.amplitude_max = 4;
  o.class_weights = {{"joy", 1}};
  EXPECT_THROW(generate(o), std::invalid_argument);
  EXPECT_THROW(parse_output_format("gif"), std::invalid_argument);
  fs::remove_all(o.out_dir);
}

}  // namespace
}  // namespace mexa::synth
