// One alignment per clip (temporal/alignment.h): the similarity fit, and the
// frame a clip is aligned on — the annotated onset, else the first frame with
// a face — shared by the per-frame analysis (VideoAnalyser), what it hands on
// (FrameSink) and the model input (ClipLoader).
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include "../common/temp_dir_test.h"
#include "mexa/temporal/alignment.h"
#include "mexa/temporal/clip_loader.h"
#include "mexa/temporal/face_tracker.h"
#include "mexa/temporal/video_analysis.h"

namespace mexa::temporal {
namespace {

const char* kMegamind = "/usr/share/doc/opencv-doc/examples/data/Megamind.avi";

/// The first frame the tracker found a face on (-1: none).
int64_t first_face(const VideoAnalysis& a) {
  for (const auto& f : a.frames)
    if (f.success) return f.index;
  return -1;
}

bool same(const cv::Mat& a, const cv::Mat& b) {
  return a.size() == b.size() && a.type() == b.type() && cv::countNonZero(cv::abs(a - b) > 0) == 0;
}

TEST(Alignment, FitSimilarityRecoversAKnownTransformAndScalesWithTheCrop) {
  // x' = 0.5 (cos 30 x - sin 30 y) + 3, y' = 0.5 (sin 30 x + cos 30 y) - 2
  const double c = 0.5 * std::cos(CV_PI / 6), s = 0.5 * std::sin(CV_PI / 6);
  const std::vector<cv::Point2f> from{{10, 20}, {40, 22}, {25, 60}};
  std::vector<cv::Point2f> to;
  for (const auto& p : from)
    to.emplace_back(static_cast<float>(c * p.x - s * p.y + 3), static_cast<float>(s * p.x + c * p.y - 2));
  const cv::Mat m = fit_similarity(from, to);
  EXPECT_NEAR(m.at<double>(0, 0), c, 1e-5);
  EXPECT_NEAR(m.at<double>(1, 0), s, 1e-5);
  EXPECT_NEAR(m.at<double>(0, 2), 3, 1e-3);
  EXPECT_NEAR(m.at<double>(1, 2), -2, 1e-3);

  FaceAlignment a;
  a.face = true;
  a.unit = m;
  const cv::Mat big = a.to({64, 32});
  EXPECT_NEAR(big.at<double>(0, 0), 64 * c, 1e-4);
  EXPECT_NEAR(big.at<double>(1, 2), 32 * -2, 1e-3);
  EXPECT_TRUE(FaceAlignment{}.to({64, 64}).empty()) << "no face: no transform";
  EXPECT_EQ(FaceAlignment{}.cut(cv::Mat(100, 80, CV_8UC1, cv::Scalar(7)), {16, 16}).size(), cv::Size(16, 16));
  EXPECT_THROW(fit_similarity({{1, 1}, {1, 1}}, {{0, 0}, {1, 1}}), std::runtime_error);
}

class ClipAlignment : public test::TempDirTest {
 protected:
  void SetUp() override {
    TempDirTest::SetUp();
    if (!std::ifstream(kMegamind)) GTEST_SKIP() << "opencv-doc's Megamind.avi is not installed";
  }
  static bool ffmpeg(const std::string& arguments) {
    return std::system(("ffmpeg -nostdin -loglevel error -y " + arguments).c_str()) == 0;
  }
  /// Records what the sink got: every index once, in order, and the alignment frame each came with.
  struct Received {
    std::vector<int64_t> indices, alignment_frames;
    FrameSink sink() {
      return [this](int64_t index, const cv::Mat&, const FaceAlignment& a) {
        indices.push_back(index);
        alignment_frames.push_back(a.frame);
      };
    }
  };
};

TEST_F(ClipAlignment, AnnotatedClipIsAlignedOnItsOnsetForRowsSinkAndModelInput) {
  const std::string clip = (dir_ / "face.mkv").string();
  ASSERT_TRUE(ffmpeg(std::string("-i ") + kMegamind + " -an -frames:v 24 -c:v ffv1 " + clip));
  VideoAnalyser analyser({.face = FaceDetector::DlibHog});
  Received got;
  const VideoAnalysis a = analyser.analyse(clip, {.onset = 8, .apex = -1, .offset = 20}, got.sink());
  EXPECT_EQ(a.alignment.frame, 8) << "the onset, not the first frame with a face (0)";
  ASSERT_TRUE(a.alignment.face);
  ASSERT_EQ(got.indices.size(), 24u);
  for (size_t i = 0; i < got.indices.size(); ++i) {
    EXPECT_EQ(got.indices[i], static_cast<int64_t>(i));
    EXPECT_EQ(got.alignment_frames[i], 8) << "frame " << i << " reached the sink before the clip was aligned";
  }
  EXPECT_EQ(a.frames[8].motion, 0.0f) << "motion against the onset";

  // Training's loader aligns the same clip on the same frame with the same transform.
  ClipLoader loader({.frames = 4, .height = 32, .width = 32, .face = FaceDetector::DlibHog});
  const ClipSample sample = loader.load(clip, {8, -1, 20});
  EXPECT_EQ(sample.alignment.frame, 8);
  EXPECT_TRUE(same(sample.alignment.unit, a.alignment.unit)) << sample.alignment.unit << " vs " << a.alignment.unit;
}

TEST_F(ClipAlignment, UnannotatedClipIsAlignedOnItsFirstFaceAndEarlierFramesWait) {
  // A frame folder: 6 grey frames without a face, then 18 frames of Megamind.
  const auto folder = dir_ / "late_face";
  std::filesystem::create_directories(folder);
  ASSERT_TRUE(ffmpeg("-f lavfi -i color=c=gray:s=720x528 -frames:v 6 " + (folder / "%05d.png").string()));
  ASSERT_TRUE(ffmpeg(std::string("-i ") + kMegamind + " -an -frames:v 18 -start_number 7 " + (folder / "%05d.png").string()));
  VideoAnalyser analyser({.face = FaceDetector::DlibHog});
  Received got;
  const VideoAnalysis a = analyser.analyse(folder.string(), {}, got.sink());
  ASSERT_EQ(a.frames.size(), 24u);
  const int64_t face = first_face(a);  // Megamind's first frames are dark: 6 or a little later
  ASSERT_GE(face, 6);
  ASSERT_LE(face, 12);
  EXPECT_EQ(a.alignment.frame, face) << "the first frame with a face";
  EXPECT_TRUE(a.alignment.face);
  ASSERT_EQ(got.alignment_frames.size(), 24u);
  for (size_t i = 0; i < got.alignment_frames.size(); ++i) EXPECT_EQ(got.alignment_frames[i], face) << "frame " << i;

  // The model input collected from that sink is cut with that alignment too.
  ClipLoader loader({.frames = 4, .height = 32, .width = 32, .face = FaceDetector::DlibHog});
  ClipLoader::Collector collector(loader, 0, -1, 100);
  analyser.analyse(folder.string(), {}, [&](int64_t i, const cv::Mat& image, const FaceAlignment& al) {
    collector.push(i, image, &al);
  });
  const ClipSample sample = collector.finish(folder.string(), {0, 12, 23});
  EXPECT_EQ(sample.alignment.frame, face);
  EXPECT_TRUE(same(sample.alignment.unit, a.alignment.unit));
}

TEST_F(ClipAlignment, AnOnsetBeyondTheWaitingBudgetAlignsOnTheFirstWaitingFace) {
  const std::string clip = (dir_ / "face.mkv").string();
  ASSERT_TRUE(ffmpeg(std::string("-i ") + kMegamind + " -an -frames:v 16 -c:v ffv1 " + clip));
  VideoAnalysisOptions options{.face = FaceDetector::DlibHog};
  options.max_align_buffer_bytes = 3 * 720 * 528 * 3;  // three RGB frames may wait
  VideoAnalyser analyser(options);
  Received got;
  const VideoAnalysis a = analyser.analyse(clip, {.onset = 10, .apex = -1, .offset = 15}, got.sink());
  const int64_t face = first_face(a);
  ASSERT_GE(face, 0);
  ASSERT_LT(face, 4) << "a face among the frames that waited";
  EXPECT_EQ(a.alignment.frame, face) << "frames 0..3 waited past the budget: the first of them with a face";
  ASSERT_EQ(got.indices.size(), 16u);
  for (size_t i = 0; i < got.indices.size(); ++i) EXPECT_EQ(got.alignment_frames[i], face) << "frame " << i;

  // The model input keeps training's alignment (the onset): the Collector does
  // not take an alignment from before its first frame.
  ClipLoader loader({.frames = 4, .height = 32, .width = 32, .face = FaceDetector::DlibHog});
  ClipLoader::Collector collector(loader, 10, 15, 100);
  analyser.analyse(clip, {.onset = 10, .apex = -1, .offset = 15},
                   [&](int64_t i, const cv::Mat& image, const FaceAlignment& al) { collector.push(i, image, &al); });
  const ClipSample collected = collector.finish(clip, {10, -1, 15});
  const ClipSample trained = loader.load(clip, {10, -1, 15});
  EXPECT_EQ(collected.alignment.frame, 10);
  EXPECT_TRUE(collected.data == trained.data);
}

}  // namespace
}  // namespace mexa::temporal
