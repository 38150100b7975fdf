// io::find_frame_sequence: naming styles of DFME, CASME II and FFmpeg users.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "mexa/io/errors.h"
#include "mexa/io/frame_folder.h"
#include "../common/temp_dir_test.h"

namespace mexa::io {
namespace {

namespace fs = std::filesystem;

class FrameFolder : public test::TempDirTest {
 protected:
  void touch(const std::string& name) { std::ofstream(dir_ / name) << "x"; }
};

TEST_F(FrameFolder, CasmeStyleUnpaddedNumbersStartingAt46) {
  for (int i = 46; i <= 120; ++i) touch("reg_img" + std::to_string(i) + ".jpg");
  const FrameSequence seq = find_frame_sequence(dir_);
  EXPECT_EQ(seq.pattern, (dir_ / "reg_img").string() + "%d.jpg");
  EXPECT_EQ(seq.start_number, 46);
  EXPECT_EQ(seq.count, 75);
  EXPECT_EQ(seq.first_file, (dir_ / "reg_img46.jpg").string());
  EXPECT_EQ(frame_file(seq, 0), seq.first_file);
  EXPECT_EQ(frame_file(seq, 74), (dir_ / "reg_img120.jpg").string());
}

TEST_F(FrameFolder, ZeroPaddedFiveDigits) {
  for (int i = 0; i < 12; ++i) {
    char name[32];
    std::snprintf(name, sizeof name, "%05d.png", i);
    touch(name);
  }
  const FrameSequence seq = find_frame_sequence(dir_);
  EXPECT_EQ(seq.pattern, (dir_ / "").string() + "%05d.png");
  EXPECT_EQ(seq.start_number, 0);
  EXPECT_EQ(seq.count, 12);
  EXPECT_EQ(frame_file(seq, 7), (dir_ / "00007.png").string());
}

TEST_F(FrameFolder, IgnoresOtherFilesAndPicksTheLongestSequence) {
  for (int i = 1; i <= 30; ++i) touch("img" + std::to_string(i) + ".jpg");
  touch("notes.txt");
  touch("thumb1.png");
  touch("thumb2.png");
  const FrameSequence seq = find_frame_sequence(dir_);
  EXPECT_EQ(seq.pattern, (dir_ / "img").string() + "%d.jpg");
  EXPECT_EQ(seq.count, 30);
}

TEST_F(FrameFolder, PercentInTheFolderNameIsEscaped) {
  const fs::path odd = dir_ / "100%_real";
  fs::create_directories(odd);
  for (int i = 1; i <= 3; ++i) std::ofstream(odd / ("f" + std::to_string(i) + ".png")) << "x";
  EXPECT_EQ(find_frame_sequence(odd).pattern, dir_.string() + "/100%%_real/f%d.png");
}

TEST_F(FrameFolder, GapNamesTheMissingFile) {
  for (int i : {1, 2, 3, 7, 8}) touch("img" + std::to_string(i) + ".jpg");
  try {
    find_frame_sequence(dir_);
    FAIL();
  } catch (const DecodeError& e) {
    EXPECT_EQ(e.file(), dir_.string());
    EXPECT_NE(e.reason().find("img4.jpg is missing (and 2 more)"), std::string::npos) << e.reason();
  }
}

TEST_F(FrameFolder, MixedPaddingIsRejected) {
  touch("img1.jpg");
  touch("img02.jpg");
  touch("img3.jpg");
  EXPECT_THROW(find_frame_sequence(dir_), DecodeError);
}

TEST_F(FrameFolder, DuplicateNumberIsRejected) {
  touch("img1.jpg");
  touch("img2.jpg");
  touch("img3.jpg");
  touch("img4.jpg");
  touch("img04.jpg");
  touch("img05.jpg");
  EXPECT_THROW(find_frame_sequence(dir_), DecodeError);
}

TEST_F(FrameFolder, EmptyFolderAndMissingFolder) {
  EXPECT_THROW(find_frame_sequence(dir_), DecodeError);
  EXPECT_THROW(find_frame_sequence(dir_ / "nope"), DecodeError);
}

}  // namespace
}  // namespace mexa::io
