// temporal::ClipLoader on the built-in sample (synthetic clips with annotations).
#include <gtest/gtest.h>

#include <opencv2/imgproc.hpp>

#include <cmath>
#include <fstream>
#include <optional>

#include "mexa/io/errors.h"
#include "mexa/io/manifest.h"
#include "mexa/io/video_reader.h"
#include "mexa/temporal/clip_loader.h"
#include "mexa/temporal/frame_image.h"

namespace mexa::temporal {
namespace {

io::ManifestRow first_sample_row() {
  return io::read_manifest(std::string(MEXA_SOURCE_DIR) + "/data/sample/annotations.csv").rows.front();
}

TEST(ClipLoader, TripletHoldsTheAnnotatedFramesResizedAndNormalised) {
  const io::ManifestRow row = first_sample_row();
  ClipLoader loader({.sampling = Sampling::Triplet, .frames = 3, .height = 64, .width = 64});
  const ClipSample s = loader.load(row.path, {row.onset, row.apex, row.offset});
  ASSERT_EQ(s.shape, (std::vector<int64_t>{1, 3, 64, 64}));
  ASSERT_EQ(s.indices, (std::vector<int64_t>{row.onset, row.apex, row.offset}));
  ASSERT_EQ(s.data.size(), 3u * 64 * 64);

  // The apex slice equals the apex frame decoded independently, resized, normalised.
  io::VideoReaderOptions gray;
  gray.pixel_format = io::PixelFormat::Gray8;
  io::VideoReader reader(row.path, gray);
  io::Frame frame;
  cv::Mat apex;
  while (reader.next(frame))
    if (frame.index() == row.apex) apex = to_mat(frame).clone();
  ASSERT_FALSE(apex.empty());
  cv::Mat expected;
  cv::resize(apex, expected, cv::Size(64, 64), 0, 0, cv::INTER_AREA);
  expected.convertTo(expected, CV_32F, 1.0 / 255.0);
  expected = (expected - 0.5f) / 0.25f;
  float worst = 0;
  for (int y = 0; y < 64; ++y)
    for (int x = 0; x < 64; ++x)
      worst = std::max(worst, std::abs(expected.at<float>(y, x) - s.data[static_cast<size_t>(64 * 64 + y * 64 + x)]));
  EXPECT_LT(worst, 1e-5f);
}

TEST(ClipLoader, UniformWithJitterIsSeededAndRgbHasThreePlanes) {
  const io::ManifestRow row = first_sample_row();
  ClipLoader loader({.frames = 8, .height = 32, .width = 32, .channels = 3, .jitter = 2});
  const ClipSpan span{row.onset, row.apex, row.offset};
  const ClipSample a = loader.load(row.path, span, 1), b = loader.load(row.path, span, 1);
  EXPECT_EQ(a.data, b.data);
  EXPECT_EQ(a.shape, (std::vector<int64_t>{3, 8, 32, 32}));
  bool moved = false;
  for (uint64_t seed = 2; seed < 10 && !moved; ++seed) moved = loader.load(row.path, span, seed).indices != a.indices;
  EXPECT_TRUE(moved);
  // A skin-coloured face: red and blue planes differ.
  const size_t plane = 8 * 32 * 32;
  double diff = 0;
  for (size_t i = 0; i < plane; ++i) diff += std::abs(a.data[i] - a.data[2 * plane + i]);
  EXPECT_GT(diff / plane, 0.05);
}

TEST(ClipLoader, RgbIsNormalisedOnEveryChannel) {
  // (x - mean) / std on all three planes, not on the first alone (OpenCV's
  // Mat - scalar on a multi-channel Mat is warned to become per-channel).
  const io::ManifestRow row = first_sample_row();
  const ClipSpan span{row.onset, row.apex, row.offset};
  const ClipSpec raw{.sampling = Sampling::Triplet, .frames = 3, .height = 32, .width = 32, .channels = 3, .mean = 0.0f, .std = 1.0f};
  ClipSpec normalised = raw;
  normalised.mean = 0.4f;
  normalised.std = 0.3f;
  const ClipSample a = ClipLoader(raw).load(row.path, span, 5), b = ClipLoader(normalised).load(row.path, span, 5);
  ASSERT_EQ(a.data.size(), b.data.size());
  const size_t plane = 3 * 32 * 32;
  for (size_t ch = 0; ch < 3; ++ch) {
    float worst = 0;
    for (size_t i = ch * plane; i < (ch + 1) * plane; ++i)
      worst = std::max(worst, std::abs((a.data[i] - 0.4f) / 0.3f - b.data[i]));
    EXPECT_LT(worst, 1e-5f) << "channel " << ch;
  }
}

TEST(ClipLoader, AugmentationIsSeededAndAFlipMirrorsEveryFrame) {
  const io::ManifestRow row = first_sample_row();
  const ClipSpan span{row.onset, row.apex, row.offset};
  ClipSpec plain_spec{.sampling = Sampling::Triplet, .frames = 3, .height = 32, .width = 32};
  ClipSpec flip_spec = plain_spec;
  flip_spec.augment.flip_probability = 1.0f;
  const ClipSample plain = ClipLoader(plain_spec).load(row.path, span, 5);
  const ClipSample flipped = ClipLoader(flip_spec).load(row.path, span, 5);
  for (int k = 0; k < 3; ++k)
    for (int y = 0; y < 32; ++y)
      for (int x = 0; x < 32; ++x)
        ASSERT_EQ(flipped.data[static_cast<size_t>((k * 32 + y) * 32 + x)],
                  plain.data[static_cast<size_t>((k * 32 + y) * 32 + (31 - x))]);
  ClipSpec moving = plain_spec;
  moving.augment = {.flip_probability = 0.5f, .max_shift = 0.05f, .max_rotation = 5.0f, .max_scale = 0.05f};
  ClipLoader loader(moving);
  EXPECT_EQ(loader.load(row.path, span, 11).data, loader.load(row.path, span, 11).data);
  EXPECT_NE(loader.load(row.path, span, 11).data, loader.load(row.path, span, 12).data);
}

TEST(ClipLoader, OnsetDifferenceSubtractsTheOnsetFrame) {
  const io::ManifestRow row = first_sample_row();
  const ClipSpan span{row.onset, row.apex, row.offset};
  ClipSpec frames_spec{.sampling = Sampling::Triplet, .frames = 3, .height = 32, .width = 32};
  ClipSpec difference_spec = frames_spec;
  difference_spec.kind = InputKind::OnsetDifference;
  const ClipSample frames = ClipLoader(frames_spec).load(row.path, span);
  const ClipSample difference = ClipLoader(difference_spec).load(row.path, span);
  ASSERT_EQ(frames.data.size(), difference.data.size());
  const size_t plane = 32 * 32;
  double apex_energy = 0;
  for (size_t i = 0; i < plane; ++i) {
    EXPECT_EQ(difference.data[i], 0.0f);  // the onset minus itself
    EXPECT_NEAR(difference.data[plane + i], frames.data[plane + i] - frames.data[i], 1e-5f);
    apex_energy += std::abs(difference.data[plane + i]);
  }
  EXPECT_GT(apex_energy, 0.0);  // the apex frame moved
}

TEST(ClipLoader, SpanBeyondTheClipNamesTheFile) {
  const io::ManifestRow row = first_sample_row();
  ClipLoader loader({.frames = 4});
  try {
    loader.load(row.path, {row.onset, -1, row.offset + 10000});
    FAIL();
  } catch (const DecodeError& e) {
    EXPECT_EQ(e.file(), row.path);
    EXPECT_NE(e.reason().find("beyond the end"), std::string::npos) << e.reason();
  }
}

TEST(ClipLoader, WindowsAreTakenInChunksAsAtOnceAndOutliveTheirLoader) {
  // --frame-probs streams a clip's windows through the model a chunk at a
  // time: the chunks must be exactly the windows taken at once, and (without
  // a face detector, where load() cuts the same whole frame) what load()
  // gives for each window's span. The windows are used on the inference
  // thread after the worker's loader went on: they hold what they need.
  // Frames (assembled when taken), flow and motion-adaptive sampling
  // (computed when opened).
  const io::ManifestRow row = first_sample_row();
  for (const ClipSpec& spec : {ClipSpec{.frames = 4, .height = 32, .width = 32, .kind = InputKind::OnsetDifference},
                               ClipSpec{.frames = 1, .height = 28, .width = 28, .channels = 3, .kind = InputKind::Flow},
                               ClipSpec{.frames = 3, .height = 28, .width = 28, .channels = 3, .kind = InputKind::Flow},
                               ClipSpec{.sampling = Sampling::MotionAdaptive, .frames = 4, .height = 32, .width = 32}}) {
    SCOPED_TRACE(input_kind_name(spec) + (spec.sampling == Sampling::MotionAdaptive ? " motion" : ""));
    std::vector<ClipSpan> spans;
    for (int64_t t = row.onset; t <= row.offset; ++t) spans.push_back({std::max<int64_t>(0, t - 3), t, t + 3});
    std::optional<ClipLoader::Windows> windows;
    std::vector<ClipSample> at_once;
    {
      ClipLoader loader(spec);
      windows = loader.open_windows(row.path, spans);
      at_once = loader.load_windows(row.path, spans);
    }
    ASSERT_EQ(windows->size(), spans.size());
    ClipLoader fresh(spec);
    size_t k = 0;
    for (size_t first = 0; first < windows->size(); first += 3) {
      for (const auto& s : windows->take(first, 3)) {
        ASSERT_LT(k, spans.size());
        const ClipSample alone = fresh.load(row.path, spans[k]);
        EXPECT_EQ(s.shape, alone.shape);
        EXPECT_EQ(s.data, at_once[k].data) << "window " << k;
        EXPECT_EQ(s.indices, at_once[k].indices);
        EXPECT_EQ(s.indices, alone.indices) << "window " << k;
        EXPECT_EQ(s.data, alone.data) << "window " << k;
        ++k;
      }
    }
    EXPECT_EQ(k, spans.size());
    EXPECT_TRUE(windows->take(windows->size(), 3).empty());
    EXPECT_EQ(windows->take(windows->size() - 1, 100).size(), 1u);
  }
}

TEST(ClipLoader, FlowPairsAreCentredOnTheApexAndEachIsOnsetToItsTarget) {
  // --input flow --frames 3: three flow fields onset -> target, the targets
  // (apex - onset) / 4 apart around the apex; field k equals the one-pair
  // input of a span whose apex is target k.
  const io::ManifestRow row = first_sample_row();
  ASSERT_GT(row.apex - row.onset, 4);
  const ClipSpec one{.frames = 1, .height = 28, .width = 28, .channels = 3, .kind = InputKind::Flow};
  ClipSpec three = one;
  three.frames = 3;
  const ClipSample s = ClipLoader(three).load(row.path, {row.onset, row.apex, row.offset});
  ASSERT_EQ(s.shape, (std::vector<int64_t>{3, 3, 28, 28}));
  const double step = (row.apex - row.onset) / 4.0;
  const std::vector<int64_t> expected{row.onset, row.apex + std::lround(-step), row.apex, row.apex + std::lround(step)};
  ASSERT_EQ(s.indices, expected);
  const size_t plane = 28 * 28;
  for (size_t k = 0; k < 3; ++k) {
    const ClipSample single = ClipLoader(one).load(row.path, {row.onset, expected[k + 1], row.offset});
    ASSERT_EQ(single.data.size(), 3 * plane);
    for (size_t ch = 0; ch < 3; ++ch)
      for (size_t i = 0; i < plane; ++i)
        ASSERT_EQ(s.data[(ch * 3 + k) * plane + i], single.data[ch * plane + i]) << "field " << k << " channel " << ch;
  }
  // A span too short for distinct targets still gives three fields inside (onset, offset].
  const ClipSample tight = ClipLoader(three).load(row.path, {row.onset, row.onset + 1, row.onset + 1});
  EXPECT_EQ(tight.indices, (std::vector<int64_t>{row.onset, row.onset + 1, row.onset + 1, row.onset + 1}));
}

TEST(ClipLoader, WindowsBeyondTheClipFailWhenOpenedNamingTheFile) {
  const io::ManifestRow row = first_sample_row();
  ClipLoader loader({.frames = 4});
  try {
    loader.open_windows(row.path, {{row.onset, -1, row.offset}, {row.onset, -1, row.offset + 10000}});
    FAIL();
  } catch (const DecodeError& e) {
    EXPECT_EQ(e.file(), row.path);
    EXPECT_NE(e.reason().find("beyond the end"), std::string::npos) << e.reason();
  }
}

TEST(ClipLoader, AlignsARealFaceOnTheOnsetFrame) {
  const std::string megamind = "/usr/share/doc/opencv-doc/examples/data/Megamind.avi";
  if (!std::ifstream(megamind)) GTEST_SKIP() << "opencv-doc's Megamind.avi is not installed";
  ClipLoader loader({.frames = 4, .height = 64, .width = 64, .face = FaceDetector::DlibHog});
  const ClipSample s = loader.load(megamind, {20, 25, 30});
  EXPECT_TRUE(s.face_found);
  EXPECT_EQ(s.shape, (std::vector<int64_t>{1, 4, 64, 64}));
}

}  // namespace
}  // namespace mexa::temporal
