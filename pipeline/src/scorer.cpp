#include "mexa/pipeline/scorer.h"

#include <spdlog/spdlog.h>

#include <exception>
#include <filesystem>
#include <iostream>
#include <memory>
#include <mutex>
#include <thread>

#include "mexa/io/checksum.h"
#include "mexa/io/errors.h"
#include "mexa/io/results.h"
#include "mexa/pipeline/bounded_queue.h"
#include "mexa/pipeline/clip_scoring.h"
#include "mexa/pipeline/model_input.h"

namespace mexa::pipeline {
namespace {

namespace fs = std::filesystem;

/// The checks that need no file: usage errors before anything is loaded.
void check_options(const ScoreOptions& o) {
  if (o.inputs.empty()) throw OptionError("no inputs (videos, folders, manifests, @list or -)");
  if (o.model.empty()) throw OptionError("--model is required");
  if (o.out.empty()) throw OptionError("--out is required");
  if (o.workers < 1) throw OptionError("--workers must be >= 1");
  if (o.batch < 1) throw OptionError("--batch must be >= 1");
  if (o.long_frames < 2) throw OptionError("--long-frames must be >= 2");
  if (o.output == ScoreOptions::Output::Create && fs::exists(o.out))
    throw OptionError(o.out + " exists; --resume adds the missing clips, --overwrite replaces it");
}

temporal::FaceDetector face_detector(const ScoreOptions& o, const temporal::ClipSpec& spec) {
  if (o.face.empty()) return spec.face;
  try {
    return temporal::parse_face_detector(o.face);
  } catch (const std::invalid_argument& e) {
    throw OptionError(std::string("--face: ") + e.what());
  }
}

io::ResultsMeta results_meta(const ScoreOptions& o, const engine::CheckpointInfo& info, temporal::FaceDetector face) {
  io::ResultsMeta meta;
  meta.class_names = info.classes;
  meta.feature_dim = static_cast<int>(info.feature_dim);
  meta.model = info.model;
  meta.checkpoint_sha256 = io::sha256_file(o.model);
  meta.frame_landmarks = o.landmarks;
  meta.frame_probs = o.frame_probs;
  for (const auto& [key, value] : info.metadata) meta.config += key + " = " + value + "\n";
  meta.config += "score.face = " + temporal::face_detector_name(face) + "\n";
  if (o.logit_adjust != 0) meta.config += fmt::format("score.logit_adjust = {}\n", o.logit_adjust);
  return meta;
}

/// --resume of a file another run wrote is a usage error, found before any work.
void check_resumable(const ScoreOptions& o, const io::ResultsMeta& meta) {
  if (o.output != ScoreOptions::Output::Resume || !fs::exists(o.out)) return;
  const io::ResultsReader existing(o.out);
  if (const auto why = io::resume_mismatch(existing.meta(), meta); !why.empty())
    throw OptionError("--resume: " + o.out + " was written by another run: " + why +
                      "; score into another file or use --overwrite");
}

}  // namespace

int64_t ScoreSummary::failed() const {
  int64_t n = 0;
  for (const auto& [reason, count] : failed_by_reason) n += count;
  return n;
}

ScoreSummary score(const ScoreOptions& o, const std::atomic<bool>& stop, const ScoreProgress& progress) {
  check_options(o);
  Shard shard;
  try {
    shard = resolve_shard(o.shard);
    apply_compute_options(o.threads, o.device);
  } catch (const std::invalid_argument& e) {
    throw OptionError(e.what());
  }
  auto [predictor, spec] = load_model(o.model, o.device);
  const auto& info = predictor->info();
  try {
    predictor->set_logit_adjustment(o.logit_adjust);
  } catch (const std::invalid_argument& e) {
    throw OptionError(std::string("--logit-adjust: ") + e.what());
  }

  ClipAnalysisOptions analysis;
  analysis.input = spec;
  analysis.frame_probs = o.frame_probs;
  analysis.video.face = face_detector(o, spec);
  if (o.landmarks && analysis.video.face == temporal::FaceDetector::None)
    throw OptionError("--landmarks needs a face detector (--face hog or haar)");
  analysis.video.landmarks = o.landmarks;
  analysis.video.max_short_frames = o.long_frames;
  analysis.video.folder_fps = spec.folder_fps;
  const io::ResultsMeta meta = results_meta(o, info, analysis.video.face);
  check_resumable(o, meta);

  // One analyser per worker, made here: a missing face model file fails now,
  // before any thread starts and before the results file is opened.
  std::vector<std::unique_ptr<ClipAnalyser>> analysers;
  for (int w = 0; w < o.workers; ++w) analysers.push_back(std::make_unique<ClipAnalyser>(analysis));

  // ---- inputs
  ScoreSummary summary;
  auto collected = collect_inputs(o.inputs, io::with_classes(o.manifest, info.classes), std::cin);
  for (const auto& p : collected.problems) spdlog::error("{}: {}", p.what, p.error);
  summary.problems = std::move(collected.problems);
  const auto items = shard_items(collected.items, shard);
  if (shard.count > 1)
    spdlog::info("shard {}/{}: {} of {} clips", shard.index, shard.count, items.size(), collected.items.size());

  // ---- output
  using Mode = io::ResultsWriter::Mode;
  io::ResultsWriter writer(o.out, meta,
                           o.output == ScoreOptions::Output::Resume      ? Mode::Resume
                           : o.output == ScoreOptions::Output::Overwrite ? Mode::Overwrite
                                                                         : Mode::Create);
  std::vector<const ScoreInput*> todo;
  for (const auto& item : items) {
    if (const auto stored = io::stored_clip_id(item.id); stored != item.id)
      spdlog::warn("{}: the id is longer than the results file's id column; stored as {}", item.path, stored);
    if (!writer.contains(item.id)) todo.push_back(&item);
  }
  summary.to_score = static_cast<int64_t>(todo.size());
  summary.already_done = static_cast<int64_t>(items.size() - todo.size());
  if (o.output == ScoreOptions::Output::Resume)
    spdlog::info("{}: {} clips already scored, {} to go", o.out, summary.already_done, summary.to_score);
  spdlog::info("scoring {} clips with {} ({} classes) on {}, {} workers", todo.size(), info.model, info.classes.size(),
               predictor->device_name(), o.workers);

  // ---- pipeline
  std::mutex predictor_mutex;  // one predict() at a time: this thread's batches, workers' long videos
  const PredictFn predict = [&](const std::vector<engine::ClipArray>& inputs) {
    std::lock_guard lock(predictor_mutex);
    return predictor->predict(inputs);
  };
  BoundedQueue<ScoredClip> queue(static_cast<size_t>(2 * o.workers), o.workers);
  std::atomic<size_t> next{0};
  std::mutex worker_error_mutex;
  std::exception_ptr worker_error;
  {
    std::vector<std::jthread> workers;
    // Declared after the threads, so destroyed first: on any way out, blocked
    // workers are released before the jthreads join.
    struct CancelOnExit {
      BoundedQueue<ScoredClip>& queue;
      ~CancelOnExit() { queue.cancel(); }
    } cancel_on_exit{queue};
    for (int w = 0; w < o.workers; ++w)
      workers.emplace_back([&, w] {
        try {
          for (size_t i = next++; i < todo.size() && !stop; i = next++)
            if (!queue.push(analysers[static_cast<size_t>(w)]->analyse(*todo[i], predict))) break;
        } catch (...) {  // the thread boundary: nothing escapes a worker
          std::lock_guard lock(worker_error_mutex);
          if (!worker_error) worker_error = std::current_exception();
          queue.cancel();
        }
        queue.producer_done();
      });

    std::vector<ScoredClip> pending;
    auto flush = [&] {
      if (pending.empty()) return;
      predict_clips(predict, pending, static_cast<size_t>(o.batch));
      for (const auto& w : pending) {
        if (w.clip.status == io::ClipStatus::Ok) {
          ++summary.ok;
        } else {
          ++summary.failed_by_reason[io::clip_status_name(w.clip.status)];
          spdlog::error("{}", w.clip.error);
        }
      }
      summary.written += static_cast<int64_t>(pending.size());
      writer.append(to_results_batch(pending));
      pending.clear();
      if (progress) progress(summary.written, summary.to_score);
    };
    while (auto w = queue.pop()) {
      pending.push_back(std::move(*w));
      if (static_cast<int>(pending.size()) >= o.batch) flush();
    }
    flush();
  }  // workers joined here
  if (worker_error) std::rethrow_exception(worker_error);
  writer.close();
  summary.interrupted = stop && summary.written < summary.to_score;
  return summary;
}

}  // namespace mexa::pipeline
