// io::ResultsWriter / ResultsReader: round trip, resume, schema checks and
// crash safety under SIGKILL.
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <fstream>
#include <iostream>
#include <filesystem>
#include <random>

#include "mexa/io/errors.h"
#include "mexa/io/results.h"
#include "results_fixture.h"
#include "../common/temp_dir_test.h"

namespace mexa::io {
namespace {

namespace fs = std::filesystem;
using test::expect_batches;
using test::make_batch;
using test::sample_meta;

class Results : public test::TempDirTest {
 protected:
  void SetUp() override {
    TempDirTest::SetUp();
    path_ = (dir_ / "r.h5").string();
  }

  std::string path_;
};

TEST_F(Results, RoundTripsEveryColumnAndProvenance) {
  {
    ResultsWriter writer(path_, sample_meta(), ResultsWriter::Mode::Create);
    for (int b = 0; b < 3; ++b) writer.append(make_batch(b));
    EXPECT_EQ(writer.clip_count(), 12);
  }
  ResultsReader reader(path_);
  expect_batches(reader, 3);
  const ResultsMeta& meta = reader.meta();
  EXPECT_EQ(meta.schema, "mexa-results");
  EXPECT_EQ(meta.schema_version, 1);
  EXPECT_EQ(meta.class_names, sample_meta().class_names);
  EXPECT_EQ(meta.feature_dim, 16);
  EXPECT_EQ(meta.model, "small3d");
  EXPECT_EQ(meta.checkpoint_sha256, std::string(64, 'a'));
  EXPECT_EQ(meta.config, sample_meta().config);
  EXPECT_TRUE(meta.frame_landmarks);
  EXPECT_TRUE(meta.frame_probs);
  EXPECT_FALSE(meta.engine_version.empty());
  EXPECT_EQ(meta.created_utc.size(), 20u);  // 2026-11-25T08:42:00Z
}

TEST_F(Results, MissingProbabilitiesAreNaN) {
  ResultsMeta meta = sample_meta();
  meta.frame_landmarks = meta.frame_probs = false;
  {
    ResultsWriter writer(path_, meta, ResultsWriter::Mode::Create);
    ResultsBatch batch;
    ClipRow failed;
    failed.id = "broken";
    failed.status = ClipStatus::DecodeError;
    failed.error = "broken.mp4: cannot open";
    batch.clips.push_back(failed);
    writer.append(batch);
  }
  ResultsReader reader(path_);
  const auto clips = reader.clips();
  ASSERT_EQ(clips.size(), 1u);
  EXPECT_EQ(clips[0].status, ClipStatus::DecodeError);
  EXPECT_EQ(clips[0].error, "broken.mp4: cannot open");
  ASSERT_EQ(clips[0].probs.size(), 7u);
  EXPECT_TRUE(std::isnan(clips[0].probs[0]));
  EXPECT_EQ(clips[0].frame_count, 0);
  EXPECT_FALSE(reader.meta().frame_landmarks);
}

TEST_F(Results, ResumeSkipsWrittenClipsAndAppendsAfterThem) {
  {
    ResultsWriter writer(path_, sample_meta(), ResultsWriter::Mode::Create);
    writer.append(make_batch(0));
    writer.append(make_batch(1));
  }
  {
    ResultsWriter writer(path_, sample_meta(), ResultsWriter::Mode::Resume);
    EXPECT_TRUE(writer.contains("b0_c0"));
    EXPECT_TRUE(writer.contains("b1_c3"));
    EXPECT_FALSE(writer.contains("b2_c0"));
    EXPECT_EQ(writer.clip_count(), 8);
    writer.append(make_batch(2));
  }
  expect_batches(ResultsReader(path_), 3);
}

TEST_F(Results, ResumeRefusesOtherClassNames) {
  { ResultsWriter writer(path_, sample_meta(), ResultsWriter::Mode::Create); }
  ResultsMeta other = sample_meta();
  other.class_names = {"negative", "positive", "surprise"};
  try {
    ResultsWriter writer(path_, other, ResultsWriter::Mode::Resume);
    FAIL();
  } catch (const StorageError& e) {
    EXPECT_EQ(e.file(), path_);
    EXPECT_NE(e.reason().find("class names"), std::string::npos);
  }
}

TEST_F(Results, CreateRefusesAnExistingFileAndOverwriteReplacesIt) {
  {
    ResultsWriter writer(path_, sample_meta(), ResultsWriter::Mode::Create);
    writer.append(make_batch(0));
  }
  EXPECT_THROW(ResultsWriter(path_, sample_meta(), ResultsWriter::Mode::Create), StorageError);
  { ResultsWriter writer(path_, sample_meta(), ResultsWriter::Mode::Overwrite); }
  EXPECT_EQ(ResultsReader(path_).clip_count(), 0);
}

TEST_F(Results, ReaderRejectsFilesThatAreNotResults) {
  EXPECT_THROW(ResultsReader((dir_ / "missing.h5").string()), StorageError);
  std::ofstream(dir_ / "text.h5") << "not hdf5";
  try {
    ResultsReader reader((dir_ / "text.h5").string());
    FAIL();
  } catch (const StorageError& e) {
    EXPECT_NE(std::string(e.what()).find("text.h5"), std::string::npos);
  }
}

TEST_F(Results, BatchWithAFrameOfAnUnknownClipIsRejectedAndTheFileStaysIntact) {
  ResultsWriter writer(path_, sample_meta(), ResultsWriter::Mode::Create);
  writer.append(make_batch(0));
  ResultsBatch bad = make_batch(1);
  bad.frames.back().clip = 99;
  EXPECT_THROW(writer.append(bad), StorageError);
  ResultsBatch wrong_width = make_batch(1);
  wrong_width.clips[0].probs.pop_back();
  EXPECT_THROW(writer.append(wrong_width), StorageError);
  writer.close();
  expect_batches(ResultsReader(path_), 1);
}

TEST_F(Results, TooLongIdsAndSourcesAreStoredHashedAndFoundOnResume) {
  const std::string tail = "/deep/clip.mp4";
  const std::string id_a = std::string(300, 'a') + tail, id_b = std::string(300, 'b') + tail;
  {
    ResultsWriter writer(path_, sample_meta(), ResultsWriter::Mode::Create);
    ResultsBatch batch = make_batch(0);
    batch.clips[0].id = id_a;
    batch.clips[0].source = std::string(1500, 's') + tail;
    batch.clips[1].id = id_b;
    writer.append(batch);  // no exception: the whole batch is written
    EXPECT_TRUE(writer.contains(id_a));
  }
  const auto clips = ResultsReader(path_).clips();
  EXPECT_EQ(clips[0].id, stored_clip_id(id_a));
  EXPECT_LE(clips[0].id.size(), 256u);
  EXPECT_EQ(clips[0].id.front(), '~');
  EXPECT_NE(clips[0].id, clips[1].id);  // same tail, different text: different stored ids
  EXPECT_EQ(clips[0].id.substr(clips[0].id.size() - tail.size()), tail);
  EXPECT_LE(clips[0].source.size(), 1024u);
  EXPECT_EQ(clips[0].source.substr(clips[0].source.size() - tail.size()), tail);
  ResultsWriter resumed(path_, sample_meta(), ResultsWriter::Mode::Resume);
  EXPECT_TRUE(resumed.contains(id_a));
  EXPECT_TRUE(resumed.contains(id_b));
  EXPECT_FALSE(resumed.contains(std::string(300, 'c') + tail));
}

// ---------------------------------------------------------------- crash safety

struct KilledWriter {
  int reported_batches = 0;  // batches whose append() returned before the kill
  bool ready = false;
  bool killed_by_sigkill = false;
};

/// Runs `results_tool crash-writer PATH` (appends batches forever, printing
/// each one after append() returned) with MEXA_FAILPOINT = `failpoint` (empty:
/// unarmed). Without a failpoint, SIGKILLs it `delay` after it is ready; with
/// one, waits for the writer to kill itself (30 s guard, then SIGKILL).
KilledWriter run_crash_writer(const std::string& path, const std::string& failpoint,
                              std::chrono::microseconds delay = std::chrono::seconds(30)) {
  int pipe_fds[2];
  if (pipe(pipe_fds) != 0) throw std::runtime_error("pipe");
  const pid_t child = fork();
  if (child == 0) {
    dup2(pipe_fds[1], STDOUT_FILENO);
    close(pipe_fds[0]);
    close(pipe_fds[1]);
    if (failpoint.empty())
      unsetenv("MEXA_FAILPOINT");
    else
      setenv("MEXA_FAILPOINT", failpoint.c_str(), 1);
    execl(MEXA_RESULTS_TOOL, MEXA_RESULTS_TOOL, "crash-writer", path.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  close(pipe_fds[1]);
  KilledWriter result;
  std::string received;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  char buffer[4096];
  while (true) {
    const auto now = std::chrono::steady_clock::now();
    if (now >= deadline) break;
    pollfd fd{pipe_fds[0], POLLIN, 0};
    const int wait_ms = static_cast<int>(std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now).count());
    if (poll(&fd, 1, std::max(wait_ms, 0)) <= 0) continue;
    const ssize_t n = read(pipe_fds[0], buffer, sizeof buffer);
    if (n <= 0) break;  // the writer died (a failpoint) and the pipe closed
    received.append(buffer, static_cast<size_t>(n));
    if (!result.ready && received.find("ready\n") != std::string::npos) {
      result.ready = true;
      if (failpoint.empty()) deadline = std::chrono::steady_clock::now() + delay;
    }
  }
  kill(child, SIGKILL);  // no-op when it already died
  int status = 0;
  waitpid(child, &status, 0);
  result.killed_by_sigkill = WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL;
  // What the child wrote before it died is still in the pipe.
  ssize_t n;
  while ((n = read(pipe_fds[0], buffer, sizeof buffer)) > 0) received.append(buffer, static_cast<size_t>(n));
  close(pipe_fds[0]);
  // Complete lines after "ready" are batch numbers.
  const size_t ready = received.find("ready\n");
  if (ready != std::string::npos) {
    result.ready = true;
    size_t begin = ready + 6, end;
    while ((end = received.find('\n', begin)) != std::string::npos) {
      result.reported_batches = std::stoi(received.substr(begin, end - begin)) + 1;
      begin = end + 1;
    }
  }
  return result;
}

/// Opens a killed file, checks it holds `committed` whole batches, resumes it and appends one more.
void expect_committed_then_resume(const std::string& path, int committed) {
  {
    ResultsReader reader(path);  // must open, every time
    ASSERT_EQ(reader.clip_count(), committed * test::kClipsPerBatch);
    expect_batches(reader, committed);
  }
  {
    // Resume rolls back a half-written batch and carries on.
    ResultsWriter writer(path, sample_meta(), ResultsWriter::Mode::Resume);
    ASSERT_EQ(writer.clip_count(), committed * test::kClipsPerBatch);
    writer.append(make_batch(committed));
  }
  expect_batches(ResultsReader(path), committed + 1);
}

// Deterministic crash points (MEXA_FAILPOINT): the writer SIGKILLs itself at
// an exact place inside its N-th batch, whatever the machine's speed.
struct CrashPoint {
  const char* name;
  int batch;
  int committed;  // whole batches a reader must find afterwards
};

class ResultsCrash : public test::TempDirTest, public ::testing::WithParamInterface<CrashPoint> {};

TEST_P(ResultsCrash, SigkillAtAFailpointKeepsEveryCommittedBatch) {
  const CrashPoint& p = GetParam();
  const std::string path = (dir_ / "crash.h5").string();
  const KilledWriter killed = run_crash_writer(path, std::string(p.name) + ":" + std::to_string(p.batch));
  ASSERT_TRUE(killed.ready) << "writer did not start";
  ASSERT_TRUE(killed.killed_by_sigkill) << "the failpoint did not kill the writer";
  EXPECT_EQ(killed.reported_batches, p.batch - 1);  // the N-th append() never returned
  expect_committed_then_resume(path, p.committed);
}

INSTANTIATE_TEST_SUITE_P(
    Failpoints, ResultsCrash,
    ::testing::Values(CrashPoint{"kill-mid-batch", 1, 0}, CrashPoint{"kill-mid-batch", 2, 1},
                      CrashPoint{"kill-mid-batch", 5, 4}, CrashPoint{"kill-before-commit", 1, 0},
                      CrashPoint{"kill-before-commit", 3, 2}, CrashPoint{"kill-after-commit", 1, 1},
                      CrashPoint{"kill-after-commit", 4, 4}),
    [](const ::testing::TestParamInfo<CrashPoint>& info) {
      std::string name = std::string(info.param.name) + "_" + std::to_string(info.param.batch);
      for (auto& c : name)
        if (c == '-') c = '_';
      return name;
    });

TEST_F(Results, MalformedFailpointIsRefusedBeforeTheFileIsTouched) {
  const KilledWriter run = run_crash_writer(path_, "kill-after-comit:2");
  EXPECT_FALSE(run.killed_by_sigkill);
  EXPECT_FALSE(run.ready);
  EXPECT_FALSE(fs::exists(path_));
}

// Extra: kills at random moments (speed-dependent *where* they land, but every
// assertion holds wherever that is).
TEST_F(Results, SigkillAtRandomMomentsLosesNoFlushedBatch) {
  std::mt19937 random(20261125);
  std::uniform_int_distribution<int> delay_us(0, 400000);
  constexpr int kTrials = 12;
  int kills_after_a_batch = 0;
  int most_batches = 0;
  for (int trial = 0; trial < kTrials; ++trial) {
    const std::string path = (dir_ / ("crash" + std::to_string(trial) + ".h5")).string();
    const KilledWriter killed = run_crash_writer(path, "", std::chrono::microseconds(delay_us(random)));
    ASSERT_TRUE(killed.ready) << "writer did not start (trial " << trial << ")";
    kills_after_a_batch += killed.reported_batches > 0;

    SCOPED_TRACE("trial " + std::to_string(trial) + ", batches reported " + std::to_string(killed.reported_batches));
    int committed = 0;
    {
      ResultsReader reader(path);
      ASSERT_EQ(reader.clip_count() % test::kClipsPerBatch, 0);
      committed = static_cast<int>(reader.clip_count() / test::kClipsPerBatch);
      // Every reported batch is there; at most the one in flight beyond them.
      ASSERT_GE(committed, killed.reported_batches);
      ASSERT_LE(committed, killed.reported_batches + 1);
    }
    expect_committed_then_resume(path, committed);
    most_batches = std::max(most_batches, committed);
    fs::remove(path);
  }
  std::cout << "[ SIGKILL  ] " << kTrials << " kills; " << kills_after_a_batch
            << " after at least one committed batch; up to " << most_batches << " batches committed\n";
}

}  // namespace
}  // namespace mexa::io
