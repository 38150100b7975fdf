// pipeline::ClipAnalyser: nothing of one video leaks into the next; the model
// input of a clip is the same at training time (ManifestClipSource) and at
// scoring time; missing face model files fail at construction.
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <string>

#include "../common/temp_dir_test.h"
#include "mexa/io/errors.h"
#include "mexa/io/manifest.h"
#include "mexa/io/video_reader.h"
#include "mexa/pipeline/clip_scoring.h"
#include "mexa/pipeline/manifest_clip_source.h"
#include "mexa/synth/generator.h"

namespace mexa::pipeline {
namespace {

namespace fs = std::filesystem;

const char* kMegamind = "/usr/share/doc/opencv-doc/examples/data/Megamind.avi";

class ClipScoring : public test::TempDirTest {
 protected:
  /// Runs the ffmpeg CLI (test data made by ffmpeg); true on success.
  static bool ffmpeg(const std::string& arguments) {
    return std::system(("ffmpeg -nostdin -loglevel error -y " + arguments).c_str()) == 0;
  }
};

TEST_F(ClipScoring, FaceTrackingStateDoesNotLeakIntoTheNextVideo) {
  if (!std::ifstream(kMegamind)) GTEST_SKIP() << "opencv-doc's Megamind.avi is not installed";
  const std::string face = (dir_ / "face.mkv").string(), blank = (dir_ / "blank.mkv").string();
  ASSERT_TRUE(ffmpeg(std::string("-i ") + kMegamind + " -frames:v 24 -c:v ffv1 " + face));
  ASSERT_TRUE(ffmpeg("-f lavfi -i color=c=gray:s=720x528:r=25 -frames:v 20 -c:v ffv1 " + blank));

  ClipAnalysisOptions options;
  options.video.face = temporal::FaceDetector::DlibHog;
  options.input.frames = 4;
  options.input.height = options.input.width = 16;
  options.input.face = temporal::FaceDetector::DlibHog;
  ClipAnalyser analyser(options);  // one worker's analyser, two videos in a row
  const int64_t opened = io::VideoReader::opened_total();
  const ScoredClip first = analyser.analyse({"face", face, "", -1, -1, -1, -1}, {});
  ASSERT_EQ(first.clip.status, io::ClipStatus::Ok) << first.clip.error;
  EXPECT_EQ(io::VideoReader::opened_total() - opened, 1) << "rows and model input from one decode";
  int found = 0;
  for (const auto& f : first.frames) found += f.success;
  EXPECT_GT(found, 20);

  EXPECT_TRUE(first.clip.face_found);

  // No face: as in training, the whole frame is the face and the clip says so.
  const ScoredClip second = analyser.analyse({"blank", blank, "", -1, -1, -1, -1}, {});
  EXPECT_EQ(second.clip.status, io::ClipStatus::Ok) << second.clip.error;
  EXPECT_FALSE(second.clip.face_found);
  EXPECT_FALSE(second.clip_input.data.empty()) << "the whole frame is the model input";
  ASSERT_EQ(second.frames.size(), 20u);
  for (const auto& f : second.frames) EXPECT_EQ(f.success, 0) << "frame " << f.index;

  // --require-face: a failed clip, its rows kept.
  options.input.require_face = true;
  ClipAnalyser strict(options);
  const ScoredClip third = strict.analyse({"blank", blank, "", -1, -1, -1, -1}, {});
  EXPECT_EQ(third.clip.status, io::ClipStatus::NoFace) << third.clip.error;
  EXPECT_TRUE(third.clip_input.data.empty());
  EXPECT_EQ(third.frames.size(), 20u);  // a video without a face keeps its rows
  EXPECT_TRUE(strict.analyse({"face", face, "", -1, -1, -1, -1}, {}).clip.face_found);
}

/// Training's input (ManifestClipSource: ClipLoader::load) and scoring's (ClipAnalyser: one decode,
/// the frames collected as the analysis runs) for the same clips and spec.
void expect_training_equals_scoring(const std::filesystem::path& dir, const temporal::ClipSpec& spec) {
  synth::SynthOptions so;
  so.out_dir = (dir / "set").string();
  so.clips = 6;
  so.subjects = 2;
  so.seed = 5;
  auto manifest = io::read_manifest(synth::generate(so).manifest);
  ASSERT_EQ(manifest.rows.size(), 6u);
  manifest.rows[1].apex = manifest.rows[4].apex = -1;  // SMIC-style rows: onset and offset, no apex

  ManifestClipSource training(manifest.rows, spec, "", /*workers=*/1, /*record_failures=*/false);
  ClipAnalysisOptions options;
  options.input = spec;
  options.video.face = spec.face;
  ClipAnalyser scoring(options);
  for (size_t i = 0; i < manifest.rows.size(); ++i) {
    const auto& row = manifest.rows[i];
    const engine::ClipArray trained = training.load(static_cast<int64_t>(i), /*seed=*/0, /*worker=*/0);
    const int64_t opened = io::VideoReader::opened_total();
    const ScoredClip scored =
        scoring.analyse({row.id, row.path, row.subject, row.label, row.onset, row.apex, row.offset}, {});
    ASSERT_EQ(scored.clip.status, io::ClipStatus::Ok) << scored.clip.error;
    EXPECT_EQ(io::VideoReader::opened_total() - opened, 1) << row.id << ": decoded more than once";
    EXPECT_EQ(scored.clip_input.shape, trained.shape) << row.id;
    EXPECT_TRUE(scored.clip_input.data == trained.data) << row.id << ": the model would see another input";
  }
}

TEST_F(ClipScoring, ModelInputAtTrainingAndScoringIsBitwiseEqual) {
  temporal::ClipSpec spec;
  spec.sampling = temporal::Sampling::ApexWindow;  // the apex (or its absence) shapes the input
  spec.frames = 8;
  spec.height = spec.width = 32;
  spec.kind = temporal::InputKind::OnsetDifference;
  expect_training_equals_scoring(dir_, spec);
}

TEST_F(ClipScoring, MotionSampledAndFlowInputsAreBitwiseEqualToo) {
  temporal::ClipSpec motion;
  motion.sampling = temporal::Sampling::MotionAdaptive;
  motion.frames = 6;
  motion.height = motion.width = 24;
  expect_training_equals_scoring(dir_ / "motion", motion);
  temporal::ClipSpec flow;
  flow.kind = temporal::InputKind::Flow;
  flow.flow_method = temporal::FlowMethod::Farneback;
  flow.channels = 3;
  flow.frames = 1;
  flow.height = flow.width = 28;
  expect_training_equals_scoring(dir_ / "flow", flow);
}

TEST_F(ClipScoring, MissingLandmarkModelFailsAtConstructionNamingTheFile) {
  const std::string missing = (dir_ / "no_such_landmarks.dat").string();
  setenv("MEXA_LANDMARK_MODEL", missing.c_str(), 1);
  ClipAnalysisOptions options;
  options.video.face = temporal::FaceDetector::DlibHog;
  try {
    ClipAnalyser analyser(options);
    unsetenv("MEXA_LANDMARK_MODEL");
    FAIL() << "constructed without the landmark model";
  } catch (const DataError& e) {
    unsetenv("MEXA_LANDMARK_MODEL");
    EXPECT_NE(std::string(e.what()).find(missing), std::string::npos) << e.what();
  }
}

TEST_F(ClipScoring, AnUnreadableVideoIsAFailedRowNotAnException) {
  const std::string text = (dir_ / "text.mp4").string();
  std::ofstream(text) << "not a video";
  ClipAnalyser analyser(ClipAnalysisOptions{});
  const ScoredClip clip = analyser.analyse({"t", text, "", -1, -1, -1, -1}, {});
  EXPECT_EQ(clip.clip.status, io::ClipStatus::DecodeError);
  EXPECT_NE(clip.clip.error.find("text.mp4"), std::string::npos) << clip.clip.error;
  EXPECT_TRUE(clip.frames.empty());
}

}  // namespace
}  // namespace mexa::pipeline
