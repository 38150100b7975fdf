// pipeline::ManifestClipSource: a clip read once is held in memory for the
// run, so later epochs neither decode it nor touch its file.
#include <gtest/gtest.h>

#include <filesystem>

#include "../common/temp_dir_test.h"
#include "mexa/io/manifest.h"
#include "mexa/io/video_reader.h"
#include "mexa/pipeline/manifest_clip_source.h"
#include "mexa/synth/generator.h"

namespace mexa::pipeline {
namespace {

class ManifestClipSourceHold : public test::TempDirTest {};

TEST_F(ManifestClipSourceHold, AClipReadOnceIsServedFromMemoryWithoutItsFile) {
  synth::SynthOptions so;
  so.out_dir = (dir_ / "set").string();
  so.clips = 2;
  so.subjects = 1;
  so.seed = 7;
  const auto manifest = io::read_manifest(synth::generate(so).manifest);
  ASSERT_EQ(manifest.rows.size(), 2u);
  temporal::ClipSpec spec;
  spec.frames = 4;
  spec.height = spec.width = 32;
  ManifestClipSource source(manifest.rows, spec, (dir_ / "clips.h5").string(), /*workers=*/1,
                            /*record_failures=*/true);

  const engine::ClipArray first = source.load(0, /*seed=*/0, /*worker=*/0);
  ASSERT_FALSE(first.data.empty());
  std::filesystem::remove(manifest.rows[0].path);
  std::filesystem::remove(manifest.rows[1].path);

  const int64_t opened = io::VideoReader::opened_total();
  const engine::ClipArray again = source.load(0, 0, 0);
  EXPECT_EQ(io::VideoReader::opened_total(), opened) << "a held clip is not decoded again";
  EXPECT_EQ(again.shape, first.shape);
  EXPECT_TRUE(again.data == first.data);
  EXPECT_TRUE(source.failures().empty()) << "a held clip needs no file";

  // A clip never read is not held: its missing file is its failure.
  EXPECT_TRUE(source.load(1, 0, 0).data.empty());
  EXPECT_EQ(source.failures().count(1), 1u);
}

}  // namespace
}  // namespace mexa::pipeline
