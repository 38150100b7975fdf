// io::VideoReader against the ffmpeg CLI: frame hashes, counts, ranges,
// timestamps, conversion, and every kind of bad input.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmath>
#include <fstream>
#include <iterator>
#include <vector>

#include "mexa/io/errors.h"
#include "mexa/io/video_reader.h"
#include "test_data.h"

namespace mexa::io {
namespace {

using test::clip;

std::vector<std::string> decode_hashes(const std::string& path, VideoReaderOptions options = {}) {
  VideoReader reader(path, options);
  std::vector<std::string> hashes;
  Frame frame;
  while (reader.next(frame)) {
    EXPECT_EQ(frame.index(), options.first_frame + static_cast<int64_t>(hashes.size())) << path;
    hashes.push_back(frame.md5());
  }
  return hashes;
}

std::string param_name(const ::testing::TestParamInfo<std::string>& info) {
  std::string name = info.param;
  for (char& c : name)
    if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
  return name;
}

// The parameter is a clip (file or frame folder); INPUT.framemd5 is its
// reference, made by the ffmpeg CLI.
class DecodeMatchesFfmpeg : public ::testing::TestWithParam<std::string> {
 protected:
  std::string input() const { return clip(GetParam()); }
  std::vector<std::string> reference() const { return test::framemd5_hashes(clip(GetParam() + ".framemd5")); }
};

TEST_P(DecodeMatchesFfmpeg, SameFrameHashesAndCount) {
  const auto expected = reference();
  ASSERT_FALSE(expected.empty()) << "reference missing for " << GetParam();
  const auto got = decode_hashes(input());
  ASSERT_EQ(got.size(), expected.size());
  for (size_t i = 0; i < got.size(); ++i) ASSERT_EQ(got[i], expected[i]) << "frame " << i;
}

TEST_P(DecodeMatchesFfmpeg, SameHashesWithOneThreadAndWithFour) {
  const auto expected = reference();
  VideoReaderOptions one;
  one.threads = 1;
  VideoReaderOptions four;
  four.threads = 4;
  EXPECT_EQ(decode_hashes(input(), one), expected);
  EXPECT_EQ(decode_hashes(input(), four), expected);
}

INSTANTIATE_TEST_SUITE_P(Codecs, DecodeMatchesFfmpeg,
                         ::testing::Values("h264.mp4", "hevc.mkv", "mpeg4.avi", "mjpeg.avi", "vp9.webm", "ffv1.mkv",
                                           "vfr.mkv", "png_folder", "jpg_folder"),
                         param_name);

// Ranges: seek to the key frame before `first`, decode forward, exact indices.
class RangeMatchesFullDecode : public ::testing::TestWithParam<std::string> {};

TEST_P(RangeMatchesFullDecode, EveryRangeHasTheFullDecodesFrames) {
  const std::string path = clip(GetParam());
  const auto all = decode_hashes(path);
  ASSERT_GT(all.size(), 60u);
  const int64_t n = static_cast<int64_t>(all.size());
  const std::vector<std::pair<int64_t, int64_t>> ranges{{0, 0},       {1, 5},         {17, 17},      {39, 41},
                                                        {40, 80},    {n / 2, n / 2 + 7}, {n - 3, -1}, {n - 1, n - 1},
                                                        {n / 3, -1}};
  for (const auto& [first, last] : ranges) {
    VideoReaderOptions options;
    options.first_frame = first;
    options.last_frame = last;
    const auto got = decode_hashes(path, options);
    const int64_t end = last < 0 ? n : std::min(last + 1, n);
    ASSERT_EQ(static_cast<int64_t>(got.size()), end - first) << "range " << first << ".." << last;
    for (int64_t i = first; i < end; ++i)
      ASSERT_EQ(got[static_cast<size_t>(i - first)], all[static_cast<size_t>(i)]) << "frame " << i;
  }
}

TEST_P(RangeMatchesFullDecode, RangePastTheEndIsEmpty) {
  VideoReaderOptions options;
  options.first_frame = 100000;
  EXPECT_TRUE(decode_hashes(clip(GetParam()), options).empty());
}

INSTANTIATE_TEST_SUITE_P(Containers, RangeMatchesFullDecode,
                         ::testing::Values("h264.mp4", "hevc.mkv", "mpeg4.avi", "vp9.webm", "vfr.mkv", "png_folder"),
                         param_name);

TEST(VideoReader, TimestampsFollowTheContainerAtVariableFrameRate) {
  std::ifstream in(clip("vfr.times"));
  std::vector<double> expected;
  std::string line;
  while (std::getline(in, line)) {
    while (!line.empty() && line.back() == ',') line.pop_back();
    if (!line.empty()) expected.push_back(std::stod(line));
  }
  VideoReader reader(clip("vfr.mkv"));
  Frame frame;
  std::vector<double> got;
  while (reader.next(frame)) got.push_back(frame.time_s());
  ASSERT_EQ(got.size(), expected.size());
  for (size_t i = 0; i < got.size(); ++i) EXPECT_NEAR(got[i], expected[i], 1e-6) << "frame " << i;
  // Not constant: durations of 5 and 10 ms alternate.
  EXPECT_NEAR(got[2] - got[1], 0.010, 1e-6);
  EXPECT_NEAR(got[3] - got[2], 0.005, 1e-6);
}

TEST(VideoReader, TimestampsAt200FpsAreIndexOver200) {
  VideoReader reader(clip("h264.mp4"));
  EXPECT_EQ(reader.info().avg_frame_rate.value(), 200.0);
  Frame frame;
  while (reader.next(frame)) ASSERT_NEAR(frame.time_s(), frame.index() / 200.0, 1e-6);
  EXPECT_EQ(reader.frames_returned(), 300);
}

TEST(VideoReader, ConvertsToGray8AndRgb24AtATargetSize) {
  VideoReaderOptions gray;
  gray.pixel_format = PixelFormat::Gray8;
  gray.width = 64;
  gray.height = 48;
  VideoReader reader(clip("h264.mp4"), gray);
  Frame frame;
  ASSERT_TRUE(reader.next(frame));
  EXPECT_EQ(frame.pixel_format_name(), "gray");
  EXPECT_EQ(frame.width(), 64);
  EXPECT_EQ(frame.height(), 48);
  EXPECT_EQ(frame.packed_size(), 64u * 48u);

  VideoReaderOptions rgb;
  rgb.pixel_format = PixelFormat::Rgb24;
  VideoReader rgb_reader(clip("png_folder"), rgb);
  ASSERT_TRUE(rgb_reader.next(frame));
  EXPECT_EQ(frame.pixel_format_name(), "rgb24");
  EXPECT_EQ(frame.width(), 160);
  EXPECT_EQ(frame.packed_size(), 160u * 120u * 3u);
  // PNG frames are rgb24 already: the conversion must be lossless.
  EXPECT_EQ(frame.md5(), test::framemd5_hashes(clip("png_folder.framemd5")).front());
}

TEST(VideoReader, GrayIsTheLumaPlaneRangeExpanded) {
  // ffv1 stores yuv420p losslessly; swscale's gray8 is the luma plane scaled from
  // limited (16..235) to full range. Check against the same formula.
  VideoReader native(clip("ffv1.mkv"));
  VideoReaderOptions options;
  options.pixel_format = PixelFormat::Gray8;
  VideoReader gray(clip("ffv1.mkv"), options);
  Frame a, b;
  ASSERT_TRUE(native.next(a));
  ASSERT_TRUE(gray.next(b));
  int worst = 0;
  for (int y = 0; y < a.height(); ++y)
    for (int x = 0; x < a.width(); ++x) {
      const int luma = a.data(0)[y * a.stride(0) + x];
      const int expected = std::clamp(static_cast<int>(std::lround((luma - 16) * 255.0 / 219.0)), 0, 255);
      worst = std::max(worst, std::abs(expected - b.data(0)[y * b.stride(0) + x]));
    }
  EXPECT_LE(worst, 2);
}

TEST(VideoReader, FramesStayValidAfterTheReaderMovesOn) {
  VideoReader reader(clip("ffv1.mkv"));
  std::vector<Frame> kept(3);
  for (auto& f : kept) ASSERT_TRUE(reader.next(f));
  const auto expected = test::framemd5_hashes(clip("ffv1.mkv.framemd5"));
  Frame later;
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(reader.next(later));
  for (size_t i = 0; i < kept.size(); ++i) EXPECT_EQ(kept[i].md5(), expected[i]);
}

TEST(VideoReader, InfoDescribesTheStream) {
  VideoReader reader(clip("h264.mp4"));
  const StreamInfo& info = reader.info();
  EXPECT_EQ(info.codec, "h264");
  EXPECT_EQ(info.width, 160);
  EXPECT_EQ(info.height, 120);
  EXPECT_EQ(info.pixel_format, "yuv420p");
  EXPECT_EQ(info.declared_frames, 300);
  EXPECT_NEAR(info.duration_s, 1.5, 1e-3);
  EXPECT_FALSE(info.frame_folder);

  VideoReader folder(clip("jpg_folder"));
  EXPECT_TRUE(folder.info().frame_folder);
  EXPECT_NE(folder.info().ffmpeg_url.find("reg_img%d.jpg"), std::string::npos);
}

TEST(VideoReader, RejectsContradictoryOptions) {
  VideoReaderOptions options;
  options.first_frame = 10;
  options.last_frame = 5;
  EXPECT_THROW(VideoReader(clip("h264.mp4"), options), DecodeError);
  VideoReaderOptions half_size;
  half_size.width = 64;
  EXPECT_THROW(VideoReader(clip("h264.mp4"), half_size), DecodeError);
}

// ---------------------------------------------------------------- bad inputs

/// Expects DecodeError whose message names the file and contains `reason`.
void expect_decode_error(const std::string& path, const std::string& reason) {
  try {
    VideoReader reader(path);
    Frame frame;
    while (reader.next(frame)) {
    }
    FAIL() << "no error for " << path;
  } catch (const DecodeError& e) {
    EXPECT_EQ(e.file(), path);
    EXPECT_NE(std::string(e.what()).find(path), std::string::npos) << e.what();
    EXPECT_NE(e.reason().find(reason), std::string::npos) << "reason was: " << e.reason();
  }
}

TEST(BadInput, MissingFile) { expect_decode_error(clip("bad/does_not_exist.mp4"), "no such file"); }
TEST(BadInput, EmptyFile) { expect_decode_error(clip("bad/empty.mp4"), "empty"); }
TEST(BadInput, TextFileNamedMp4) { expect_decode_error(clip("bad/text.mp4"), "Invalid data"); }
TEST(BadInput, TruncatedMp4WithoutMoov) { expect_decode_error(clip("bad/no_moov.mp4"), "Invalid data"); }
TEST(BadInput, AudioOnlyFile) { expect_decode_error(clip("bad/audio_only.mp4"), "no video stream"); }
TEST(BadInput, FrameFolderWithAGap) {
  expect_decode_error(clip("bad/gap_folder"), "gap: img5.jpg is missing");
}
TEST(BadInput, FolderWithoutFrames) { expect_decode_error(clip("bad"), "no numbered image files"); }

TEST(BadInput, UnreadableFile) {
  const std::string path = clip("bad/unreadable.mp4");
  // Root reads any file: check as an unprivileged user in a child process.
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    if (geteuid() == 0 && (setgid(65534) != 0 || setuid(65534) != 0)) _exit(10);
    try {
      VideoReader reader(path);
      _exit(11);
    } catch (const DecodeError& e) {
      const std::string what = e.what();
      _exit(what.find(path) != std::string::npos && e.reason().find("Permission denied") != std::string::npos ? 0
                                                                                                                : 12);
    } catch (...) {
      _exit(13);
    }
  }
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0) << "10: cannot drop root, 11: opened, 12: wrong message, 13: other exception";
}

TEST(BadInput, Mp4CutMidStreamGivesTheFramesBeforeTheCutAndAWarning) {
  VideoReader reader(clip("bad/cut_mid_stream.mp4"));
  Frame frame;
  int64_t frames = 0;
  while (reader.next(frame)) ++frames;
  EXPECT_GT(frames, 50);
  EXPECT_LT(frames, 200);
  ASSERT_FALSE(reader.warnings().empty());
  EXPECT_NE(reader.warnings().back().find("only " + std::to_string(frames) + " decoded"), std::string::npos);
}

TEST(BadInput, DamagedPacketsGiveTheFramesFfmpegDecodesAndAWarning) {
  // Reference count from the ffmpeg CLI on the same damaged file.
  const auto expected = test::framemd5_hashes(clip("corrupt_packets.framemd5"));
  VideoReader reader(clip("bad/corrupt_packets.avi"));
  Frame frame;
  std::vector<std::string> got;
  while (reader.next(frame)) got.push_back(frame.md5());
  EXPECT_LT(got.size(), 200u);
  EXPECT_GT(got.size(), 100u);
  EXPECT_EQ(got, expected);
  EXPECT_FALSE(reader.warnings().empty());
}

TEST(BadInput, MegamindBugyFromOpencvDocDecodesLikeFfmpeg) {
  const std::string path = "/usr/share/doc/opencv-doc/examples/data/Megamind_bugy.avi";
  if (!std::ifstream(path)) GTEST_SKIP() << "opencv-doc is not installed";
  const auto expected = test::framemd5_hashes(clip("megamind_bugy.framemd5"));
  ASSERT_FALSE(expected.empty());
  EXPECT_EQ(decode_hashes(path), expected);
}


// ---------------------------------------------------------------- display matrix, memory, size limits

class RotationMatchesFfmpeg : public ::testing::TestWithParam<int> {};

TEST_P(RotationMatchesFfmpeg, Gray8FramesAreTurnedAsTheCliTurnsThem) {
  const std::string path = clip("rotate_" + std::to_string(GetParam()) + ".mov");
  const auto expected = test::framemd5_hashes(path + ".framemd5");
  ASSERT_FALSE(expected.empty());
  VideoReaderOptions gray;
  gray.pixel_format = PixelFormat::Gray8;
  EXPECT_EQ(decode_hashes(path, gray), expected);
  VideoReader reader(path, gray);
  EXPECT_TRUE(reader.info().rotated);
  Frame frame;
  ASSERT_TRUE(reader.next(frame));
  const bool quarter = reader.info().rotation != 180;
  EXPECT_EQ(frame.width(), quarter ? 16 : 24);
  EXPECT_EQ(frame.height(), quarter ? 24 : 16);
}

TEST_P(RotationMatchesFfmpeg, NativeFramesAreAsStoredWithTheRotationInInfo) {
  const std::string path = clip("rotate_" + std::to_string(GetParam()) + ".mov");
  VideoReader reader(path);
  EXPECT_FALSE(reader.info().rotated);
  EXPECT_EQ(reader.info().rotation % 90, 0);
  EXPECT_NE(reader.info().rotation, 0);
  ASSERT_FALSE(reader.warnings().empty());
  EXPECT_NE(reader.warnings().front().find("returned as stored"), std::string::npos);
  Frame frame;
  ASSERT_TRUE(reader.next(frame));
  EXPECT_EQ(frame.width(), 24);
  EXPECT_EQ(frame.md5(), decode_hashes(clip("upright.mov")).front());
}

TEST_P(RotationMatchesFfmpeg, ATargetSizeIsTheDisplayedSize) {
  VideoReaderOptions o;
  o.pixel_format = PixelFormat::Rgb24;
  o.width = 12;
  o.height = 20;
  VideoReader reader(clip("rotate_" + std::to_string(GetParam()) + ".mov"), o);
  Frame frame;
  ASSERT_TRUE(reader.next(frame));
  EXPECT_EQ(frame.width(), 12);
  EXPECT_EQ(frame.height(), 20);
}

INSTANTIATE_TEST_SUITE_P(Quarters, RotationMatchesFfmpeg, ::testing::Values(90, 180, 270));

TEST(VideoReaderMemory, BytesInMemoryDecodeAsTheFileDoes) {
  for (const char* name : {"h264.mp4", "mpeg4.avi", "ffv1.mkv", "vp9.webm"}) {
    std::ifstream in(clip(name), std::ios::binary);
    const std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    ASSERT_FALSE(bytes.empty()) << name;
    VideoReader reader(MemoryInput{bytes.data(), bytes.size(), name});
    std::vector<std::string> got;
    Frame frame;
    while (reader.next(frame)) got.push_back(frame.md5());
    EXPECT_EQ(got, test::framemd5_hashes(clip(std::string(name) + ".framemd5"))) << name;
    EXPECT_EQ(reader.info().source, name);
  }
}

TEST(VideoReaderMemory, RangesSeekInMemory) {
  std::ifstream in(clip("h264.mp4"), std::ios::binary);
  const std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  VideoReaderOptions o;
  o.first_frame = 100;
  o.last_frame = 104;
  VideoReader reader(MemoryInput{bytes.data(), bytes.size(), "h264 in memory"}, o);
  std::vector<std::string> got;
  Frame frame;
  while (reader.next(frame)) got.push_back(frame.md5());
  const auto all = decode_hashes(clip("h264.mp4"));
  EXPECT_EQ(got, std::vector<std::string>(all.begin() + 100, all.begin() + 105));
}

TEST(VideoReaderMemory, BadBytesAreADecodeErrorNamingTheInput) {
  const std::string text = "this is not a video";
  try {
    VideoReader reader(MemoryInput{reinterpret_cast<const uint8_t*>(text.data()), text.size(), "upload #3"});
    FAIL() << "opened";
  } catch (const DecodeError& e) {
    EXPECT_EQ(e.file(), "upload #3");
  }
  EXPECT_THROW(VideoReader(MemoryInput{nullptr, 0, "nothing"}), DecodeError);
}

TEST(VideoReaderLimits, FramesOverMaxPixelsAreRefusedBeforeDecoding) {
  VideoReaderOptions o;
  o.max_pixels = 160 * 120 - 1;
  try {
    VideoReader reader(clip("h264.mp4"), o);
    FAIL() << "opened";
  } catch (const DecodeError& e) {
    EXPECT_NE(e.reason().find("declares 160x120 frames, over the limit of 19199 pixels"), std::string::npos) << e.what();
  }
  o.max_pixels = 160 * 120;
  EXPECT_NO_THROW(VideoReader(clip("h264.mp4"), o));
}

TEST(VideoReaderLimits, FramesSmallerThanMinSideAreRefused) {
  VideoReaderOptions o;
  o.min_side = 121;
  try {
    VideoReader reader(clip("h264.mp4"), o);
    FAIL() << "opened";
  } catch (const DecodeError& e) {
    EXPECT_NE(e.reason().find("too small to hold a face"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace mexa::io
