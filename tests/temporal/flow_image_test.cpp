// Flow images (temporal/flow_image.h), --flow-norm minmax and --input
// flow-image: the image of a clip is its minmax flow rounded to 8 bits, and
// reading it back gives the flow input within that rounding.
#include <gtest/gtest.h>

#include <opencv2/imgcodecs.hpp>

#include <algorithm>
#include <cmath>
#include <filesystem>

#include "mexa/io/errors.h"
#include "mexa/io/manifest.h"
#include "mexa/temporal/clip_loader.h"
#include "mexa/temporal/flow_export.h"
#include "mexa/temporal/flow_image.h"

namespace mexa::temporal {
namespace {

namespace fs = std::filesystem;

io::ManifestRow first_sample_row() {
  return io::read_manifest(std::string(MEXA_SOURCE_DIR) + "/data/sample/annotations.csv").rows.front();
}

fs::path temp_dir(const std::string& name) {
  const fs::path dir = fs::temp_directory_path() / ("mexa_flow_image_test_" + name);
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

TEST(FlowNorm, MinMaxScalesEachChannelToZeroOneAndSharedMaxKeepsTheSign) {
  const io::ManifestRow row = first_sample_row();
  ClipSpec spec{.frames = 1, .height = 28, .width = 28, .channels = 3, .kind = InputKind::Flow};
  const ClipSample shared = ClipLoader(spec).load(row.path, {row.onset, row.apex, row.offset});
  spec.flow_norm = FlowNorm::MinMax;
  const ClipSample minmax = ClipLoader(spec).load(row.path, {row.onset, row.apex, row.offset});
  ASSERT_EQ(minmax.shape, (std::vector<int64_t>{3, 1, 28, 28}));
  const size_t plane = 28 * 28;
  for (size_t ch = 0; ch < 3; ++ch) {
    const auto first = minmax.data.begin() + static_cast<std::ptrdiff_t>(ch * plane);
    const auto [low, high] = std::minmax_element(first, first + static_cast<std::ptrdiff_t>(plane));
    EXPECT_NEAR(*low, 0.0f, 1e-6) << "channel " << ch;
    EXPECT_NEAR(*high, 1.0f, 1e-6) << "channel " << ch;
  }
  // The shared max keeps u and v signed (the synthetic expression moves both ways).
  EXPECT_LT(*std::min_element(shared.data.begin(), shared.data.begin() + 2 * plane), 0.0f);
  EXPECT_EQ(parse_flow_norm("minmax"), FlowNorm::MinMax);
  EXPECT_EQ(flow_norm_name(FlowNorm::SharedMax), "shared-max");
  EXPECT_THROW(parse_flow_norm("max"), std::invalid_argument);
  EXPECT_EQ(parse_input_kind("flow-image"), InputKind::FlowImage);
  EXPECT_THROW(parse_input_kind("flow_image"), std::invalid_argument);
}

TEST(FlowImage, WrittenImageReadsBackAsTheMinMaxFlowWithinEightBitRounding) {
  const io::ManifestRow row = first_sample_row();
  ClipSpec flow{.frames = 1, .height = 28, .width = 28, .channels = 3, .kind = InputKind::Flow};
  flow.flow_norm = FlowNorm::MinMax;
  const ClipSample computed = ClipLoader(flow).load(row.path, {row.onset, row.apex, row.offset});

  const fs::path dir = temp_dir("round_trip");
  FlowExportOptions o;
  o.out_dir = dir.string();
  o.classes = io::dfme_classes();
  o.workers = 1;
  const auto result = export_flow_images({row}, o, nullptr);
  ASSERT_TRUE(result.failures.empty());
  const fs::path image = dir / "images" / flow_image_name(row);
  ASSERT_TRUE(fs::exists(image));

  // On disk: 28x28, 8-bit, R = u, G = v, B = strain (OpenCV reads BGR).
  const cv::Mat bgr = cv::imread(image.string(), cv::IMREAD_UNCHANGED);
  ASSERT_EQ(bgr.type(), CV_8UC3);
  ASSERT_EQ(bgr.size(), cv::Size(28, 28));
  EXPECT_EQ(bgr.at<cv::Vec3b>(3, 5)[2], static_cast<uint8_t>(std::lround(255 * computed.data[3 * 28 + 5])));  // u

  ClipSpec image_spec{.frames = 1, .height = 28, .width = 28, .channels = 3, .mean = 0, .std = 1,
                      .kind = InputKind::FlowImage};
  const ClipSample read = ClipLoader(image_spec).load(image.string(), {0, 0, 0});
  ASSERT_EQ(read.shape, computed.shape);
  float worst = 0;
  for (size_t i = 0; i < read.data.size(); ++i) worst = std::max(worst, std::abs(read.data[i] - computed.data[i]));
  EXPECT_LE(worst, 0.5f / 255 + 1e-6f);  // rounding to 8 bits is the only difference

  // A second export keeps the image (resumable).
  const auto again = export_flow_images({row}, o, nullptr);
  EXPECT_EQ(again.written, 0);
  EXPECT_EQ(again.kept, 1);
  fs::remove_all(dir);
}

TEST(FlowImage, ResizedAndNormalisedAsTheSpecSays) {
  const fs::path dir = temp_dir("resize");
  cv::Mat stacked(56, 56, CV_32FC3, cv::Scalar(0.2, 0.6, 1.0));  // u v strain
  write_flow_image((dir / "x.PNG").string(), stacked);
  ClipSpec spec{.frames = 1, .height = 28, .width = 28, .channels = 3, .mean = 0.5f, .std = 0.25f,
                .kind = InputKind::FlowImage};
  const ClipSample s = ClipLoader(spec).load((dir / "x.PNG").string(), {0, 0, 0});
  ASSERT_EQ(s.shape, (std::vector<int64_t>{3, 1, 28, 28}));
  const float u = (std::round(0.2f * 255) / 255 - 0.5f) / 0.25f, strain = (1.0f - 0.5f) / 0.25f;
  EXPECT_NEAR(s.data[0], u, 1e-5);
  EXPECT_NEAR(s.data[2 * 28 * 28], strain, 1e-5);
  fs::remove_all(dir);
}

TEST(FlowImage, MissingGreyAndFolderInputsFailNamingTheFile) {
  const fs::path dir = temp_dir("bad");
  cv::imwrite((dir / "grey.png").string(), cv::Mat(28, 28, CV_8UC1, cv::Scalar(9)));
  ClipLoader loader({.frames = 1, .height = 28, .width = 28, .channels = 3, .kind = InputKind::FlowImage});
  for (const auto& [path, why] : std::vector<std::pair<std::string, std::string>>{
           {(dir / "none.png").string(), "no such image"},
           {(dir / "grey.png").string(), "grey"},
           {dir.string(), "a folder"}}) {
    try {
      loader.load(path, {0, 0, 0});
      ADD_FAILURE() << path;
    } catch (const DecodeError& e) {
      EXPECT_EQ(e.file(), path);
      EXPECT_NE(e.reason().find(why), std::string::npos) << e.reason();
    }
  }
  EXPECT_THROW(ClipLoader({.frames = 2, .height = 28, .width = 28, .channels = 3, .kind = InputKind::FlowImage}),
               std::invalid_argument);
  fs::remove_all(dir);
}

}  // namespace
}  // namespace mexa::temporal
