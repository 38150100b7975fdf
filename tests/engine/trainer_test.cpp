// engine trainer: learning, exact resume, order independence of prefetching,
// checkpoint contents and errors.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <stdexcept>
#include <string>
#include <fstream>
#include <functional>
#include <random>

#include "../common/temp_dir_test.h"
#include "checkpoint.h"
#include "mexa/engine/models.h"
#include "mexa/engine/trainer.h"

namespace mexa::engine {
namespace {

constexpr int kClasses = 3;

/// 1x4x16x16 clips: noise plus a bright 4x4 patch whose place depends on the
/// label (clip i has label i % 3), moving over time. Deterministic per index.
class PatternSource : public ClipSource {
 public:
  explicit PatternSource(int clips) : clips_(clips) {}
  ClipArray load(int64_t index, uint64_t, int) override {
    ++loads;
    if (index == fail_index) throw std::runtime_error("clip " + std::to_string(index) + " is broken");
    ClipArray clip{{1, 4, 16, 16}, std::vector<float>(4 * 16 * 16)};
    std::mt19937 rng(static_cast<uint32_t>(index));
    std::normal_distribution<float> noise(0.f, 0.3f);
    for (float& v : clip.data) v = noise(rng);
    const int label = static_cast<int>(index % kClasses);
    for (int t = 0; t < 4; ++t)
      for (int y = 0; y < 4; ++y)
        for (int x = 0; x < 4; ++x) clip.data[static_cast<size_t>(t * 256 + (2 + 4 * label + y) * 16 + 2 + t + x)] += 2.f;
    return clip;
  }
  std::vector<int> labels() const {
    std::vector<int> out;
    for (int i = 0; i < clips_; ++i) out.push_back(i % kClasses);
    return out;
  }
  std::atomic<int> loads{0};
  int64_t fail_index = -1;

 private:
  int clips_;
};

/// The device and precision these tests train on: the CPU in fp32 unless
/// MEXA_TEST_DEVICE (cpu, cuda, cuda:N, auto) and MEXA_TEST_AMP=bf16 say
/// otherwise (scripts/gpu-check runs them on CUDA in fp32 and bf16).
std::string test_device() {
  const char* device = std::getenv("MEXA_TEST_DEVICE");
  return device && *device ? device : "cpu";
}
bool test_amp() {
  const char* amp = std::getenv("MEXA_TEST_AMP");
  if (!amp || !*amp || std::string(amp) == "fp32") return false;
  if (std::string(amp) != "bf16") throw std::invalid_argument("MEXA_TEST_AMP must be fp32 or bf16, not " + std::string(amp));
  return true;
}

TrainConfig small_config(int epochs) {
  TrainConfig c;
  c.model = "small3d";  // these tests' recipe, not mexa's defaults (ststnet on flow)
  c.optimizer = "sgd";
  c.weight_decay = 5e-4;
  c.augment_enabled = true;
  c.schedule.kind = LrSchedule::Kind::Cosine;
  c.classes = {"a", "b", "c"};
  c.schedule.base = 0.05;
  c.schedule.epochs = epochs;
  c.schedule.warmup_epochs = 1;
  c.batch_size = 8;
  c.seed = 11;
  c.device = test_device();
  c.amp = test_amp();
  c.workers = 2;
  c.metadata = {{"input.frames", "4"}, {"input.size", "16x16"}};
  return c;
}

std::vector<int64_t> range(int64_t from, int64_t to) {
  std::vector<int64_t> out;
  for (int64_t i = from; i < to; ++i) out.push_back(i);
  return out;
}

std::string read_text(const std::filesystem::path& path) {
  std::ifstream in(path);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

/// Probabilities of a checkpoint on a few fixed clips: equal iff the weights are.
std::vector<float> fingerprint(const std::string& checkpoint) {
  PatternSource source(12);
  Predictor predictor(checkpoint, "cpu");
  std::vector<float> out;
  for (const auto& o : predictor.predict_all(source, range(0, 12), 4, 0)) {
    out.insert(out.end(), o.probs.begin(), o.probs.end());
    out.insert(out.end(), o.features.begin(), o.features.end());
  }
  return out;
}

class Trainer : public test::TempDirTest {};

TEST(TrainDefaults, OnePlaceHoldsTheMeasuredRecipeAndDrwIsResolvedByTheLibrary) {
  const TrainConfig d = default_train_config();
  EXPECT_EQ(d.model, "ststnet");  // docs/defaults.md
  EXPECT_EQ(d.optimizer, "adamw");
  EXPECT_EQ(d.schedule.kind, LrSchedule::Kind::Constant);
  EXPECT_DOUBLE_EQ(d.schedule.base, 1e-3);
  EXPECT_EQ(d.schedule.epochs, 500);
  EXPECT_EQ(d.schedule.warmup_epochs, 0);
  EXPECT_EQ(d.batch_size, 256);
  EXPECT_EQ(d.loss.kind, LossKind::CrossEntropy);
  TrainConfig ldam = d;
  ldam.loss.kind = LossKind::Ldam;
  EXPECT_EQ(resolved(ldam).loss.drw_epoch, 400) << "-1: 4/5 of the epochs, in the library as on the command line";
  ldam.loss.drw_epoch = 7;
  EXPECT_EQ(resolved(ldam).loss.drw_epoch, 7);
  EXPECT_EQ(resolved(d).loss.drw_epoch, -1) << "only LDAM re-weights";
  TrainConfig scn = d;
  scn.uncertainty.scn = true;
  EXPECT_EQ(resolved(scn).uncertainty.scn_relabel_epoch, 250) << "half the run's epochs: the warm-up";
  for (const auto& [epochs, relabel] : std::vector<std::pair<int, int>>{{3, 2}, {1, 1}, {20, 10}, {49, 25}, {100, 50}}) {
    scn.schedule.epochs = epochs;
    EXPECT_EQ(resolved(scn).uncertainty.scn_relabel_epoch, relabel) << epochs << " epochs";
    EXPECT_NO_THROW(check_config(scn)) << epochs << " epochs: the default fits the run";
  }
  scn.schedule.epochs = 3;
  scn.uncertainty.scn_relabel_epoch = 5;
  EXPECT_THROW(check_config(scn), std::invalid_argument) << "an explicit epoch past the run is refused";
}

TEST_F(Trainer, LearnsASeparableTaskAndWritesMetrics) {
  PatternSource source(96);
  auto config = small_config(6);
  config.loss.kind = LossKind::Focal;
  int steps_seen = 0;
  const auto result = fit(config, source, source.labels(), range(0, 72), range(72, 96), (dir_ / "fold").string(), false,
                          {.on_step = [&](int, int, int, double) { ++steps_seen; }});
  ASSERT_EQ(result.history.size(), 6u);
  EXPECT_EQ(steps_seen, 6 * 9);
  EXPECT_GT(result.history.back().val_uf1, 0.9);
  EXPECT_LT(result.history.back().train_loss, result.history.front().train_loss);
  for (const auto& r : result.history) {
    EXPECT_GT(r.busy_fraction, 0.0);
    EXPECT_LE(r.busy_fraction, 1.0);
  }
  EXPECT_EQ(result.selected_checkpoint, (dir_ / "fold" / "best.pt").string());
  const auto csv = read_text(dir_ / "fold" / "metrics.csv");
  EXPECT_EQ(csv.substr(0, csv.find('\n')),
            "epoch,lr,train_loss,train_acc,val_acc,val_uf1,val_uar,seconds,clips_per_second,busy_fraction");
  EXPECT_EQ(std::count(csv.begin(), csv.end(), '\n'), 7);
  EXPECT_NE(read_text(dir_ / "fold" / "metrics.json").find("\"val_uf1\": "), std::string::npos);
  EXPECT_FALSE(std::filesystem::exists(dir_ / "fold" / "last.pt.tmp"));

  const auto info = read_checkpoint_info(result.selected_checkpoint);
  EXPECT_EQ(info.model, "small3d");
  EXPECT_EQ(info.classes, config.classes);
  EXPECT_EQ(info.in_channels, 1);
  EXPECT_EQ(info.epoch, result.best_epoch);
  EXPECT_EQ(info.metadata.at("input.frames"), "4");
  EXPECT_EQ(info.metadata.at("train.loss"), "focal");
  EXPECT_EQ(info.head, "linear");
}

// Issue 31's guard: SCN on clean, separable labels must not erase a class
// (the unguarded relabelling moved every contempt clip away by epoch 10).
TEST_F(Trainer, ScnOnACleanSeparableSetLosesNoClass) {
  PatternSource source(96);
  const std::vector<int> labels = source.labels();
  for (const std::string head : {"linear", "cosine"}) {
    SCOPED_TRACE(head);
    auto config = small_config(8);
    // mexa's optimizer (the tests' SGD at 0.05 parks a whole class in SCN's
    // low-importance group on this 3-class toy before the relabelling starts).
    config.optimizer = "adamw";
    config.schedule.base = 1e-3;
    config.weight_decay = 1e-2;
    config.head = head;
    config.loss.kind = head == "cosine" ? LossKind::Ldam : LossKind::CrossEntropy;
    config.uncertainty.scn = true;
    const auto result =
        fit(config, source, labels, range(0, 72), range(72, 96), (dir_ / ("scn-" + head)).string(), false, {});
    ASSERT_EQ(result.history.size(), 8u);
    EXPECT_EQ(result.history[2].relabelled, -1) << "warm-up: half the run";
    EXPECT_GE(result.history[3].relabelled, 0) << "relabelling from epoch 4";
    std::vector<int> kept(kClasses, 24);  // 72 training clips, 24 a class
    for (const auto& r : result.relabelled)
      if (r.to != r.from) --kept[static_cast<size_t>(r.from)];
    for (int c = 0; c < kClasses; ++c) EXPECT_GE(kept[static_cast<size_t>(c)], 23) << "class " << c;
    EXPECT_GT(result.history.back().val_uf1, 0.9);
    EXPECT_EQ(result.importance.size(), 72u);
  }
}

TEST_F(Trainer, TwoEpochsResumedTwiceEqualFourEpochs) {
  PatternSource source(48);
  const auto labels = source.labels();
  auto config = small_config(4);
  config.loss.kind = LossKind::Ldam;  // cosine head, margins, DRW from epoch 3
  config.loss.drw_epoch = 2;
  config.sampling = ClassSampling::Progressive;
  const auto straight = fit(config, source, labels, range(0, 36), range(36, 48), (dir_ / "straight").string(), false);

  config.stop_after_epoch = 2;
  const auto first = fit(config, source, labels, range(0, 36), range(36, 48), (dir_ / "resumed").string(), false);
  ASSERT_EQ(first.history.size(), 2u);
  config.stop_after_epoch = 0;
  config.workers = 3;  // prefetching threads do not change the result
  const auto second = fit(config, source, labels, range(0, 36), range(36, 48), (dir_ / "resumed").string(), true);
  EXPECT_EQ(second.resumed_from, 2);
  ASSERT_EQ(second.history.size(), 4u);
  for (size_t e = 0; e < 4; ++e) {
    EXPECT_EQ(second.history[e].train_loss, straight.history[e].train_loss) << "epoch " << e + 1;
    EXPECT_EQ(second.history[e].train_acc, straight.history[e].train_acc) << "epoch " << e + 1;
    EXPECT_EQ(second.history[e].val_uf1, straight.history[e].val_uf1) << "epoch " << e + 1;
    EXPECT_EQ(second.history[e].lr, straight.history[e].lr) << "epoch " << e + 1;
  }
  EXPECT_EQ(second.best_epoch, straight.best_epoch);
  EXPECT_EQ(fingerprint((dir_ / "resumed" / "last.pt").string()), fingerprint((dir_ / "straight" / "last.pt").string()));
  EXPECT_EQ(read_checkpoint_info((dir_ / "resumed" / "last.pt").string()).head, "cosine");
}

TEST_F(Trainer, WatchedClipsArePredictedEveryEpochWithoutChangingTrainingAndSurviveResume) {
  PatternSource source(48);
  const auto labels = source.labels();
  auto config = small_config(3);
  FitCallbacks watching;
  watching.watched = range(36, 48);
  const auto plain = fit(config, source, labels, range(0, 36), {}, (dir_ / "plain").string(), false);
  const auto straight = fit(config, source, labels, range(0, 36), {}, (dir_ / "straight").string(), false, watching);
  config.stop_after_epoch = 1;
  fit(config, source, labels, range(0, 36), {}, (dir_ / "resumed").string(), false, watching);
  config.stop_after_epoch = 0;
  const auto resumed = fit(config, source, labels, range(0, 36), {}, (dir_ / "resumed").string(), true, watching);
  ASSERT_EQ(straight.history.size(), 3u);
  ASSERT_EQ(resumed.history.size(), 3u);
  for (size_t e = 0; e < 3; ++e) {
    EXPECT_EQ(straight.history[e].train_loss, plain.history[e].train_loss) << "epoch " << e + 1;
    EXPECT_TRUE(plain.history[e].watched.empty());
    ASSERT_EQ(straight.history[e].watched.size(), 12u);
    EXPECT_EQ(resumed.history[e].watched, straight.history[e].watched) << "epoch " << e + 1 << " (from the checkpoint)";
  }
  // The last epoch's watched predictions are the checkpoint's own.
  Predictor predictor((dir_ / "straight" / "last.pt").string(), "cpu");
  const auto outputs = predictor.predict_all(source, range(36, 48), 4, 0);
  for (size_t i = 0; i < outputs.size(); ++i) {
    const auto& p = outputs[i].probs;
    EXPECT_EQ(straight.history[2].watched[i], static_cast<int>(std::max_element(p.begin(), p.end()) - p.begin()))
        << "clip " << 36 + i;
  }
}

// relabels_by_epoch.csv is written from the history's relabel moves: a
// resumed run must still hold the epochs before the resume.
TEST_F(Trainer, ScnRelabelMovesSurviveResume) {
  PatternSource source(96);
  std::vector<int> labels = source.labels();
  for (size_t i = 0; i < 72; i += 9) labels[i] = (labels[i] + 1) % kClasses;  // 8 noisy training labels
  auto config = small_config(8);
  config.optimizer = "adamw";
  config.schedule.base = 1e-3;
  config.weight_decay = 1e-2;
  config.uncertainty.scn = true;
  config.uncertainty.scn_relabel_epoch = 2;
  const auto straight = fit(config, source, labels, range(0, 72), range(72, 96), (dir_ / "straight").string(), false);
  config.stop_after_epoch = 6;
  fit(config, source, labels, range(0, 72), range(72, 96), (dir_ / "resumed").string(), false);
  config.stop_after_epoch = 0;
  const auto resumed = fit(config, source, labels, range(0, 72), range(72, 96), (dir_ / "resumed").string(), true);
  ASSERT_EQ(straight.history.size(), 8u);
  ASSERT_EQ(resumed.history.size(), 8u);
  size_t moves = 0;
  for (size_t e = 0; e < 8; ++e) {
    const auto& a = straight.history[e];
    const auto& b = resumed.history[e];
    EXPECT_EQ(b.relabelled, a.relabelled) << "epoch " << e + 1;
    EXPECT_EQ(b.relabel_scale, a.relabel_scale) << "epoch " << e + 1;
    ASSERT_EQ(b.relabel_moves.size(), a.relabel_moves.size()) << "epoch " << e + 1;
    for (size_t k = 0; k < a.relabel_moves.size(); ++k) {
      EXPECT_EQ(b.relabel_moves[k].index, a.relabel_moves[k].index);
      EXPECT_EQ(b.relabel_moves[k].from, a.relabel_moves[k].from);
      EXPECT_EQ(b.relabel_moves[k].to, a.relabel_moves[k].to);
      EXPECT_EQ(b.relabel_moves[k].epoch, static_cast<int>(e) + 1);
    }
    if (e < 6) moves += a.relabel_moves.size();
  }
  EXPECT_GT(moves, 0u) << "no relabelling before the resume: the test would prove nothing";
}

TEST_F(Trainer, BackgroundLoadingPredictsAlikeAndReportsWeightsThatDoNotFit) {
  PatternSource source(24);
  const auto labels = source.labels();
  const auto config = small_config(1);
  fit(config, source, labels, range(0, 18), {}, (dir_ / "run").string(), false);
  const auto path = (dir_ / "run" / "last.pt").string();
  Predictor now(path, "cpu");
  Predictor later(path, "cpu", Predictor::Loading::Background);
  EXPECT_EQ(later.info().model, "small3d");  // the description at once
  const auto a = now.predict_all(source, range(18, 24), 4, 0);
  const auto b = later.predict_all(source, range(18, 24), 4, 0);
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) EXPECT_EQ(a[i].probs, b[i].probs) << "clip " << 18 + i;

  // A 5-class model's weights under a 3-class checkpoint's description
  // (LibTorch's load alone would take the 5x64 classifier as it is).
  auto wrong = make_model("small3d", {.num_classes = 5, .in_channels = 1});
  torch::optim::SGD optimizer(wrong->parameters(), torch::optim::SGDOptions(0.1));
  const auto bad = (dir_ / "wrong.pt").string();
  save_checkpoint(bad, *wrong, optimizer, config, "linear", 1, {6, 6, 6}, TrainState{});
  const auto throws_do_not_fit = [&](const std::function<void()>& f) {
    try {
      f();
    } catch (const std::runtime_error& e) {
      return std::string(e.what()).find("weights do not fit") != std::string::npos &&
             std::string(e.what()).find(bad) != std::string::npos;
    }
    return false;
  };
  EXPECT_TRUE(throws_do_not_fit([&] { Predictor p(bad, "cpu"); }));
  Predictor background(bad, "cpu", Predictor::Loading::Background);
  EXPECT_EQ(background.info().classes.size(), 3u);
  EXPECT_TRUE(throws_do_not_fit([&] { background.wait_until_loaded(); }));
  EXPECT_TRUE(throws_do_not_fit([&] { background.wait_until_loaded(); })) << "every call, not only the first";
  EXPECT_TRUE(throws_do_not_fit([&] { background.predict({source.load(0, 0, 0)}); }));
}

TEST_F(Trainer, ResumeRefusesOtherSettings) {
  PatternSource source(24);
  auto config = small_config(2);
  config.stop_after_epoch = 1;
  fit(config, source, source.labels(), range(0, 24), {}, dir_.string(), false);
  config.schedule.base = 0.1;
  try {
    fit(config, source, source.labels(), range(0, 24), {}, dir_.string(), true);
    FAIL() << "resumed with another learning rate";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("last.pt"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("lr = "), std::string::npos) << e.what();
  }
}

TEST_F(Trainer, AFailingClipStopsTrainingWithItsIndex) {
  PatternSource source(24);
  source.fail_index = 5;
  try {
    fit(small_config(1), source, source.labels(), range(0, 24), {}, dir_.string(), false);
    FAIL() << "no error";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("clip 5"), std::string::npos) << e.what();
  }
}

TEST_F(Trainer, PredictorRejectsFilesThatAreNotCheckpoints) {
  const auto bogus = dir_ / "bogus.pt";
  std::ofstream(bogus) << "not a checkpoint";
  for (const std::string path : {bogus.string(), (dir_ / "missing.pt").string()}) {
    try {
      Predictor predictor(path, "cpu");
      FAIL() << path;
    } catch (const std::runtime_error& e) {
      EXPECT_NE(std::string(e.what()).find(path), std::string::npos) << e.what();
    }
  }
}

TEST_F(Trainer, CosineHeadProbabilitiesComeFromTheScaledLogits) {
  // LDAM-DRW trains a cosine head; its probabilities are softmax(s cos), so a
  // model that separates the classes is confident (softmax of bare cosines
  // could not exceed e / (e + 2/e) = 0.79 for 3 classes).
  PatternSource source(48);
  TrainConfig c = small_config(8);
  c.loss.kind = LossKind::Ldam;
  c.loss.drw_epoch = 6;
  const auto result = fit(c, source, source.labels(), range(0, 48), {}, (dir_ / "cos").string(), false);
  Predictor predictor(result.selected_checkpoint, "cpu");
  EXPECT_EQ(predictor.info().head, "cosine");
  EXPECT_DOUBLE_EQ(predictor.info().logit_scale, c.loss.s);
  EXPECT_EQ(predictor.info().class_counts, (std::vector<int64_t>{16, 16, 16}));
  float top = 0;
  for (const auto& o : predictor.predict_all(source, range(0, 48), 16, 0))
    top = std::max(top, *std::max_element(o.probs.begin(), o.probs.end()));
  EXPECT_GT(top, 0.9f);
}

TEST_F(Trainer, PosthocLogitAdjustmentNeedsCountsAndShiftsTowardsRareClasses) {
  PatternSource source(12);
  TrainConfig c = small_config(1);
  const auto result = fit(c, source, source.labels(), {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 0, 3}, {},
                          (dir_ / "la").string(), false);
  Predictor plain(result.selected_checkpoint, "cpu"), adjusted(result.selected_checkpoint, "cpu");
  adjusted.set_logit_adjustment(1.0);
  const auto a = plain.predict_all(source, range(0, 6), 6, 0), b = adjusted.predict_all(source, range(0, 6), 6, 0);
  for (size_t i = 0; i < a.size(); ++i) {
    // Class 0 has the most training clips: adjustment lowers it relative to the others.
    EXPECT_LT(b[i].probs[0] / b[i].probs[1], a[i].probs[0] / a[i].probs[1]);
  }
}

}  // namespace
}  // namespace mexa::engine
