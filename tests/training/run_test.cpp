// training::run_training, the library call behind `mexa train`: fold shards
// split the folds, two shards pool to the bytes one process writes, and a
// resume or a joining shard refuses other settings or other data.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include "../common/temp_dir_test.h"
#include "mexa/io/class_sets.h"
#include "mexa/io/manifest.h"
#include "mexa/pipeline/model_input.h"
#include "mexa/synth/generator.h"
#include "mexa/training/pool.h"
#include "mexa/training/run.h"

namespace mexa::training {
namespace {

namespace fs = std::filesystem;

std::string read_text(const fs::path& path) {
  std::ifstream in(path);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

class TrainingRun : public test::TempDirTest {
 protected:
  void SetUp() override {
    TempDirTest::SetUp();
    synth::SynthOptions so;
    so.out_dir = (dir_ / "set").string();
    so.clips = 16;
    so.subjects = 4;
    so.seed = 7;
    manifest_ = synth::generate(so).manifest;
  }

  /// A small run: onset differences of 4 frames at 16x16, small3d, 2 epochs, 4-fold.
  TrainRunOptions options(const std::string& name) const {
    TrainRunOptions o;
    o.dir = dir_ / name;
    o.data = manifest_;
    o.manifest_options = io::with_classes(io::ManifestOptions{}, io::parse_class_set("megc3"));
    o.spec = pipeline::default_clip_spec("onset-difference");
    o.spec.frames = 4;
    o.spec.width = o.spec.height = 16;
    o.config = engine::default_train_config();
    o.config.model = "small3d";
    o.config.classes = o.manifest_options.class_names;
    o.config.schedule.epochs = 2;
    o.config.batch_size = 8;
    o.config.workers = 1;
    o.config.device = "cpu";
    o.protocol.protocol = engine::Protocol::KFold;
    o.protocol.folds = 4;
    o.protocol_name = "kfold";
    o.cache = "none";
    o.settings = "# test\nepochs = 2\nmodel = small3d\n";
    return o;
  }

  std::string manifest_;
};

TEST(FoldShards, EveryFoldBelongsToExactlyOneShard) {
  const pipeline::Shard one{0, 1};
  EXPECT_EQ(folds_of_shard(5, one), (std::vector<size_t>{0, 1, 2, 3, 4}));
  std::vector<int> owners(7, 0);
  for (int i = 0; i < 3; ++i)
    for (size_t f : folds_of_shard(7, pipeline::Shard{i, 3})) {
      EXPECT_EQ(static_cast<int>(f % 3), i);
      ++owners[f];
    }
  EXPECT_EQ(owners, std::vector<int>(7, 1));
  EXPECT_TRUE(folds_of_shard(2, pipeline::Shard{2, 3}).empty());  // more shards than folds: some train nothing
}

TEST_F(TrainingRun, TwoFoldShardsPoolToTheBytesOfOneProcess) {
  const auto single = run_training(options("single"));
  ASSERT_EQ(single.outcome, TrainRunResult::Outcome::Pooled);
  ASSERT_TRUE(single.pooled);
  EXPECT_EQ(single.folds, 4u);
  EXPECT_EQ(single.failed, 0u);
  EXPECT_NE(single.pooled->text.find("kfold over 4 folds"), std::string::npos) << single.pooled->text;

  auto first = options("sharded");
  first.fold_shard = {0, 2};
  const auto a = run_training(first);
  EXPECT_EQ(a.outcome, TrainRunResult::Outcome::ShardDone);
  EXPECT_EQ(a.missing, (std::vector<std::string>{"kfold-2", "kfold-4"}));
  auto second = options("sharded");
  second.fold_shard = {1, 2};
  second.joining = true;
  const auto b = run_training(second);
  ASSERT_EQ(b.outcome, TrainRunResult::Outcome::Pooled);  // the last shard to finish pools
  // Bit identity is the contract on one machine and build (CPU training is deterministic here).
  for (const char* file : {"predictions.csv", "summary.json"})
    EXPECT_EQ(read_text(dir_ / "sharded" / file), read_text(dir_ / "single" / file)) << file;

  auto gather = options("sharded");
  gather.gather = true;
  gather.resume = true;
  const auto g = run_training(gather);
  ASSERT_EQ(g.outcome, TrainRunResult::Outcome::Pooled);
  EXPECT_EQ(g.pooled->summary, b.pooled->summary);
}

TEST_F(TrainingRun, GatherBeforeEveryShardIsDoneNamesTheMissingFolds) {
  auto first = options("run");
  first.fold_shard = {0, 2};
  ASSERT_EQ(run_training(first).outcome, TrainRunResult::Outcome::ShardDone);
  auto gather = options("run");
  gather.gather = true;
  gather.resume = true;
  const auto g = run_training(gather);
  EXPECT_EQ(g.outcome, TrainRunResult::Outcome::Incomplete);
  EXPECT_EQ(g.missing, (std::vector<std::string>{"kfold-2", "kfold-4"}));
  EXPECT_FALSE(fs::exists(dir_ / "run" / "summary.json"));
}

TEST_F(TrainingRun, AJoiningShardWithOtherSettingsOrOtherDataIsRefused) {
  auto first = options("run");
  first.fold_shard = {0, 2};
  ASSERT_EQ(run_training(first).outcome, TrainRunResult::Outcome::ShardDone);

  auto other_settings = options("run");
  other_settings.fold_shard = {1, 2};
  other_settings.settings = "# test\nepochs = 3\nmodel = small3d\n";  // started as a new shard, not as a join
  try {
    run_training(other_settings);
    FAIL() << "a shard with other settings was accepted";
  } catch (const SettingsError& e) {
    EXPECT_NE(std::string(e.what()).find("epochs is 2"), std::string::npos) << e.what();
  }

  // Other data: the manifest's content, not only its path, must match.
  const std::string changed = (dir_ / "set" / "changed.csv").string();  // beside the clips its paths name
  std::string text = read_text(manifest_);
  text.replace(text.rfind('\n', text.size() - 2) + 1, std::string::npos, "");  // one row fewer
  std::ofstream(changed) << text;
  auto other_data = options("run");
  other_data.fold_shard = {1, 2};
  other_data.joining = true;
  other_data.data = changed;
  try {
    run_training(other_data);
    FAIL() << "a shard with other data was accepted";
  } catch (const SettingsError& e) {
    EXPECT_NE(std::string(e.what()).find("is not the manifest this run was trained on"), std::string::npos) << e.what();
  }
}

TEST_F(TrainingRun, AProgramsRunDescribesItsOwnSettingsAndRefusesOthersInItsFolder) {
  auto first = options("run");
  first.settings.clear();  // a program's run: run_training writes the options it computes with
  first.config.stop_after_epoch = 1;
  ASSERT_EQ(run_training(first).outcome, TrainRunResult::Outcome::StoppedEarly);
  const std::string config = read_text(dir_ / "run" / "config.ini");
  EXPECT_NE(config.find("epochs = 2"), std::string::npos) << config;
  EXPECT_NE(config.find("model = small3d"), std::string::npos) << config;

  auto other = options("run");
  other.settings.clear();
  other.config.schedule.epochs = 3;
  EXPECT_THROW(run_training(other), SettingsError);
}

TEST_F(TrainingRun, AResumedRunKeepsFinishedFoldsAndStopsWhereAsked) {
  auto stopped = options("run");
  stopped.config.stop_after_epoch = 1;
  const auto first = run_training(stopped);
  EXPECT_EQ(first.outcome, TrainRunResult::Outcome::StoppedEarly);
  EXPECT_FALSE(fs::exists(dir_ / "run" / "summary.json"));

  auto resumed = options("run");
  resumed.resume = true;
  const auto second = run_training(resumed);
  ASSERT_EQ(second.outcome, TrainRunResult::Outcome::Pooled);
  const auto straight = run_training(options("straight"));
  EXPECT_EQ(read_text(dir_ / "run" / "predictions.csv"), read_text(dir_ / "straight" / "predictions.csv"));
}

}  // namespace
}  // namespace mexa::training
