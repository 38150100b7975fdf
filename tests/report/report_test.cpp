// mexa::report: the data a page embeds equals its sources (summary.json,
// metrics.csv, the HDF5 file), curves are sampled keeping their peaks, and the
// page is self-contained.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "../io/results_fixture.h"
#include "mexa/io/errors.h"
#include "mexa/report/report.h"

namespace mexa::report {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

class ReportData : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("mexa-report-test-" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_ / "run" / "folds" / "a");
    fs::create_directories(dir_ / "run" / "folds" / "b");
  }
  void TearDown() override { fs::remove_all(dir_); }
  void write(const fs::path& p, const std::string& text) { std::ofstream(p) << text; }

  /// A two-fold, three-class run as `mexa train` writes one.
  void make_run() {
    const json summary = {{"acc", 0.5}, {"uf1", 0.4}, {"uar", 0.45}, {"n", 6}, {"model", "ststnet"}, {"loss", "ldam"},
                          {"protocol", "kfold"}, {"classes", {"neg", "pos", "sur"}},
                          {"confusion", {{1, 1, 0}, {0, 1, 1}, {1, 0, 1}}},
                          {"per_class", {{"neg", {{"precision", 0.5}, {"recall", 0.5}, {"f1", 0.5}, {"support", 2}}}}},
                          {"folds", {{{"fold", "a"}, {"acc", 0.6}, {"uf1", 0.5}, {"uar", 0.55}, {"n", 3}},
                                     {{"fold", "b"}, {"acc", 0.4}, {"uf1", 0.3}, {"uar", 0.35}, {"n", 3}}}}};
    write(dir_ / "run" / "summary.json", summary.dump());
    write(dir_ / "run" / "folds" / "a" / "metrics.csv",
          "epoch,lr,train_loss,train_acc,val_acc,val_uf1,val_uar\n1,0.1,2.0,0.3,-1,-1,-1\n2,0.1,1.5,0.5,-1,0.25,-1\n");
    write(dir_ / "run" / "folds" / "b" / "metrics.csv", "epoch,lr,train_loss,train_acc,val_acc,val_uf1,val_uar\n1,0.1,1.9,0.4,-1,0.2,-1\n");
    write(dir_ / "run" / "predictions.csv",
          "id,subject,fold,label,pred,p_neg,p_pos,p_sur\na,s1,a,neg,neg,1,0,0\nb,s1,a,neg,pos,0,1,0\nc,s2,a,pos,pos,0,1,0\n"
          "d,s2,b,pos,sur,0,0,1\ne,s3,b,sur,neg,1,0,0\nf,s3,b,sur,sur,0,0,1\ng,s3,b,pos,pos,0,1,0\n");
    write(dir_ / "run" / "config.ini", "model = ststnet\nloss = ldam\n");
    write(dir_ / "run" / "failed.csv", "id,path,error\nx/y,clips/y.mp4,clips/y.mp4: file is empty\n");
  }
  fs::path dir_;
};

TEST_F(ReportData, RunDataEqualsSummaryAndFoldFiles) {
  make_run();
  const json d = run_data((dir_ / "run").string());
  EXPECT_EQ(d["kind"], "run");
  EXPECT_EQ(d["uf1"], 0.4);
  EXPECT_EQ(d["confusion"], json({{1, 1, 0}, {0, 1, 1}, {1, 0, 1}}));
  EXPECT_EQ(d["per_class"]["neg"]["support"], 2);
  EXPECT_DOUBLE_EQ(d["fold_spread"]["uf1"]["mean"].get<double>(), 0.4);
  EXPECT_NEAR(d["fold_spread"]["uf1"]["sd"].get<double>(), 0.141421356, 1e-8);  // sample sd of 0.5, 0.3
  ASSERT_EQ(d["folds"].size(), 2u);
  EXPECT_EQ(d["folds"][0]["curves"]["train_loss"], json({2.0, 1.5}));
  EXPECT_EQ(d["folds"][0]["curves"]["val_uf1"], json({nullptr, 0.25}));  // -1: not measured
  EXPECT_EQ(d["class_distribution"], json({2, 3, 2}));
  EXPECT_EQ(d["config"], "model = ststnet\nloss = ldam\n");
  EXPECT_EQ(d["failed"], 1);
  EXPECT_EQ(d["failures"][0][2], "clips/y.mp4: file is empty");
}

TEST_F(ReportData, TheRelabellingAuditIsEmbeddedWhenTheRunHasOne) {
  make_run();
  EXPECT_FALSE(run_data((dir_ / "run").string()).contains("audit"));
  const json audit = {{"truth", "true_emotion"},
                      {"pooled", {{"precision", 0.75}, {"recall", 0.5}, {"relabelled", 4}, {"changes", json::array()}}},
                      {"folds", json::object()}};
  write(dir_ / "run" / "audit.json", audit.dump());
  EXPECT_EQ(run_data((dir_ / "run").string())["audit"], audit);
  write(dir_ / "run" / "audit.json", "{\"truth\": ");
  try {
    run_data((dir_ / "run").string());
    FAIL();
  } catch (const DataError& e) {
    EXPECT_EQ(e.file(), (dir_ / "run" / "audit.json").string());
  }
}

TEST_F(ReportData, AFolderWithoutSummaryIsADataErrorNamingIt) {
  try {
    run_data(dir_.string());
    FAIL();
  } catch (const DataError& e) {
    EXPECT_NE(std::string(e.what()).find("no summary.json"), std::string::npos);
    EXPECT_EQ(e.file(), dir_.string());
  }
  EXPECT_THROW(input_data((dir_ / "missing.h5").string()), DataError);
}

TEST_F(ReportData, ResultsDataEqualsTheFile) {
  const std::string path = (dir_ / "r.h5").string();
  {
    io::ResultsWriter writer(path, test::sample_meta(), io::ResultsWriter::Mode::Create);
    for (int b = 0; b < 3; ++b) writer.append(test::make_batch(b));
  }
  ReportOptions o;
  o.clips_per_class = 1;
  const json d = results_data(path, o);
  EXPECT_EQ(d["clips"], 12);
  EXPECT_EQ(d["status_counts"]["ok"], 9);
  EXPECT_EQ(d["status_counts"]["decode_error"], 3);
  EXPECT_EQ(d["failed"], 3);
  std::vector<int64_t> predicted(7, 0);
  for (int b = 0; b < 3; ++b)
    for (int c = 0; c < 3; ++c) ++predicted[static_cast<size_t>((b + 2 * c) % 7)];
  EXPECT_EQ(d["prediction_distribution"].get<std::vector<int64_t>>(), predicted);
  // One clip per predicted class, in file order; its motion curve is the file's.
  int classes_predicted = 0;
  for (int64_t n : predicted) classes_predicted += n > 0;
  ASSERT_EQ(static_cast<int>(d["plotted"].size()), classes_predicted);
  const json& first = d["plotted"][0];
  EXPECT_EQ(first["id"], "b0_c0");
  EXPECT_EQ(first["motion"].size(), static_cast<size_t>(test::frames_of(0, 0)));
  EXPECT_EQ(first["motion"][5], 5.0);
  EXPECT_EQ(first["face_rate"], 1.0);
  EXPECT_EQ(first["frame_probs"].size(), first["motion"].size());
  EXPECT_EQ(d["face_rates"].size(), 12u);
  // Clip 1 of each batch has an interval.
  o.clips = {"b1_c1"};
  const json one = results_data(path, o);
  ASSERT_EQ(one["plotted"].size(), 1u);
  EXPECT_EQ(one["plotted"][0]["intervals"].size(), 1u);
  EXPECT_EQ(one["plotted"][0]["intervals"][0]["score"], 1.5);
  o.clips = {"nope"};
  EXPECT_THROW(results_data(path, o), DataError);
}

TEST_F(ReportData, LongCurvesAreSampledKeepingTheirPeaks) {
  const std::string path = (dir_ / "long.h5").string();
  io::ResultsBatch batch = test::make_batch(0);
  // Clip 0 becomes 20,000 frames of a slow ramp with one spike.
  batch.frames.erase(std::remove_if(batch.frames.begin(), batch.frames.end(), [](const io::FrameRow& f) { return f.clip == 0; }),
                     batch.frames.end());
  std::vector<io::FrameRow> frames;
  for (int f = 0; f < 20000; ++f) {
    io::FrameRow row;
    row.clip = 0;
    row.index = f;
    row.motion = f == 12345 ? 1e6f : static_cast<float>(f % 97);
    row.landmarks.assign(136, 0.f);
    row.probs.assign(7, 0.1f);
    frames.push_back(row);
  }
  batch.frames.insert(batch.frames.begin(), frames.begin(), frames.end());
  batch.clips[0].n_frames = 20000;
  {
    io::ResultsWriter writer(path, test::sample_meta(), io::ResultsWriter::Mode::Create);
    writer.append(batch);
  }
  ReportOptions o;
  o.clips = {"b0_c0"};
  o.max_points = 600;
  const json clip = results_data(path, o)["plotted"][0];
  EXPECT_LE(clip["motion"].size(), 600u);
  EXPECT_TRUE(clip["sampled"].get<bool>());
  const auto& index = clip["frame_index"];
  EXPECT_NE(std::find(index.begin(), index.end(), json(12345)), index.end()) << "the spike was dropped";
}

TEST_F(ReportData, ThePageIsSelfContainedAndItsDataCannotCloseTheScript) {
  make_run();
  json d = run_data((dir_ / "run").string());
  d["config"] = "x = </script><script>alert(1)</script>";
  const std::string page = html({d}, "t </title>", bundled_chart_js());
  EXPECT_EQ(page.find("<script src"), std::string::npos);
  EXPECT_EQ(page.find("<link"), std::string::npos);
  EXPECT_EQ(page.find("</script><script>alert"), std::string::npos);
  EXPECT_NE(page.find("<\\/script><script>alert(1)<\\/script>"), std::string::npos);
  EXPECT_NE(page.find("<title>t &lt;/title&gt;</title>"), std::string::npos);
  EXPECT_NE(page.find("default-src 'none'"), std::string::npos);
  EXPECT_NE(bundled_chart_js_version().find("Chart.js v"), std::string::npos);
  EXPECT_GT(bundled_chart_js().size(), 100000u);
}

}  // namespace
}  // namespace mexa::report
