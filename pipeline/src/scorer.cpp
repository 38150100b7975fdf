#include "mexa/pipeline/scorer.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <exception>
#include <filesystem>
#include <functional>
#include <future>
#include <iostream>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>

#include "mexa/engine/malloc_tuning.h"
#include "mexa/io/checksum.h"
#include "mexa/io/errors.h"
#include "mexa/io/results.h"
#include "mexa/pipeline/clip_scoring.h"
#include "mexa/pipeline/model_input.h"
#include "mexa/pipeline/ordered_window.h"

namespace mexa::pipeline {
namespace {

namespace fs = std::filesystem;

/// The checks that need no file: usage errors before anything is loaded.
void check_options(const ScoreOptions& o) {
  if (o.inputs.empty()) throw OptionError("no inputs (videos, folders, manifests, @list or -)");
  if (o.model.empty()) throw OptionError("--model is required");
  if (o.out.empty()) throw OptionError("--out is required");
  if (o.workers < 1) throw OptionError("--workers must be >= 1");
  if (o.batch < 1 || o.batch > 1000000) throw OptionError("--batch must be in [1, 1000000]");
  if (o.workers > 1024) throw OptionError("--workers must be <= 1024");
  if (o.min_face < -1 || (o.min_face > 0 && o.min_face < temporal::kMinFaceLimit))
    throw OptionError("--min-face must be -1 (the model's), 0 (the detector's own) or at least " +
                      std::to_string(temporal::kMinFaceLimit));
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

io::ResultsMeta results_meta(const ScoreOptions& o, const engine::CheckpointInfo& info, temporal::FaceDetector face,
                             std::string checkpoint_sha256) {
  io::ResultsMeta meta;
  meta.class_names = info.classes;
  meta.feature_dim = static_cast<int>(info.feature_dim);
  meta.model = info.model;
  meta.checkpoint_sha256 = std::move(checkpoint_sha256);
  meta.frame_landmarks = o.landmarks;
  meta.frame_probs = o.frame_probs;
  for (const auto& [key, value] : info.metadata) meta.config += key + " = " + value + "\n";
  meta.config += "score.face = " + temporal::face_detector_name(face) + "\n";
  if (o.min_face >= 0) meta.config += fmt::format("score.min_face = {}\n", o.min_face);
  if (o.require_face) meta.config += "score.require_face = true\n";
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

/// The results file of shard `s` records which shard it is and how the
/// shards were cut (--batch, the whole input list's size): merge orders by
/// it and refuses shards cut another way; --resume refuses another cut.
io::ResultsMeta with_shard(io::ResultsMeta meta, const Shard& s, int batch, size_t inputs) {
  if (s.count <= 1) return meta;
  meta.shard = std::to_string(s.index) + "/" + std::to_string(s.count);
  meta.shard_batch = batch;
  meta.shard_inputs = static_cast<int64_t>(inputs);
  return meta;
}

/// What to analyse, cut into inference batches by position in the input list
/// (never by which worker finishes first): batch k is items [kB, (k+1)B).
/// A batch whose clips are all in the file is skipped; one with any clip
/// missing is scored whole, so a clip's batch-mates never depend on where an
/// earlier run stopped, and only the missing clips are written.
struct BatchPlan {
  std::vector<const ScoreInput*> todo;  ///< clips to analyse, batch after batch
  std::vector<bool> write;              ///< per todo entry: not in the file yet
  std::vector<size_t> batch_ends;       ///< end of each batch in todo
  int64_t to_write = 0;
};

/// writer null: a new file, every clip to do.
BatchPlan plan_batches(const std::vector<ScoreInput>& items, size_t batch, const io::ResultsWriter* writer) {
  BatchPlan plan;
  for (size_t first = 0; first < items.size(); first += batch) {
    const size_t last = std::min(items.size(), first + batch);
    std::vector<bool> missing;
    for (size_t i = first; i < last; ++i) missing.push_back(!writer || !writer->contains(items[i].id));
    const auto count = std::count(missing.begin(), missing.end(), true);
    if (count == 0) continue;
    for (size_t i = first; i < last; ++i) plan.todo.push_back(&items[i]);
    plan.write.insert(plan.write.end(), missing.begin(), missing.end());
    plan.batch_ends.push_back(plan.todo.size());
    plan.to_write += count;
  }
  return plan;
}

/// Counts and writes the batch's clips that are not in the file yet.
void write_batch(std::vector<ScoredClip>& batch, const std::vector<bool>& write, size_t first, io::ResultsWriter& writer,
                 ScoreSummary& summary) {
  std::vector<ScoredClip> rows;
  for (size_t k = 0; k < batch.size(); ++k) {
    if (!write[first + k]) continue;  // already in the file: scored only as a batch-mate
    auto& w = batch[k];
    if (w.clip.status == io::ClipStatus::Ok) {
      ++summary.ok;
    } else {
      ++summary.failed_by_reason[io::clip_status_name(w.clip.status)];
      spdlog::error("{}", w.clip.error);
    }
    rows.push_back(std::move(w));
  }
  summary.written += static_cast<int64_t>(rows.size());
  writer.append(to_results_batch(rows));
}

/// The pipeline: W workers analyse plan.todo in any order; this thread takes
/// each batch back in input order once all its clips are in, scores it and
/// commits it. While a batch is scored, workers analyse at most one batch and
/// two videos each beyond it, so memory stays bounded. A stop ends after the batch
/// being filled. A worker's exception is rethrown here, after every thread has joined.
/// `writer` is asked for once the workers have started (the model may still
/// be loading then, and the file not yet open).
void score_plan(const BatchPlan& plan, const ScoreOptions& o, std::vector<std::unique_ptr<ClipAnalyser>>& analysers,
                const PredictFn& predict, const std::function<io::ResultsWriter&()>& open_writer,
                const std::atomic<bool>& stop, const ScoreProgress& progress, ScoreSummary& summary) {
  OrderedWindow<ScoredClip> window(plan.todo.size(), static_cast<size_t>(o.batch) + 2 * static_cast<size_t>(o.workers));
  std::mutex worker_error_mutex;
  std::exception_ptr worker_error;
  {
    std::vector<std::jthread> workers;
    // Declared after the threads, so destroyed first: on any way out, blocked
    // workers are released before the jthreads join.
    struct CancelOnExit {
      OrderedWindow<ScoredClip>& window;
      ~CancelOnExit() { window.cancel(); }
    } cancel_on_exit{window};
    for (int w = 0; w < o.workers; ++w)
      workers.emplace_back([&, w] {
        try {
          while (const auto p = window.claim())
            window.put(*p, analysers[static_cast<size_t>(w)]->analyse(*plan.todo[*p], predict));
        } catch (...) {  // the thread boundary: nothing escapes a worker
          std::lock_guard lock(worker_error_mutex);
          if (!worker_error) worker_error = std::current_exception();
          window.cancel();
        }
      });
    io::ResultsWriter& writer = open_writer();
    size_t begin = 0;
    for (const size_t end : plan.batch_ends) {
      std::optional<std::vector<ScoredClip>> batch;
      const auto t0 = std::chrono::steady_clock::now();
      for (bool waiting = true; waiting;) {
        if (stop) window.limit(end);  // SIGINT/SIGTERM: finish this batch, start no other
        batch = window.take(begin, end, std::chrono::milliseconds(200), waiting);
      }
      if (!batch) break;  // a worker failed: rethrown below
      // The batch is out of the window: workers go on with the next one
      // while the model scores this one, instead of waiting for it.
      window.advance(end);
      const auto t1 = std::chrono::steady_clock::now();
      predict_clips(predict, *batch, static_cast<size_t>(o.batch));
      const auto t2 = std::chrono::steady_clock::now();
      write_batch(*batch, plan.write, begin, writer, summary);
      spdlog::debug("clips {}-{}: {:.2f} s waiting for their analysis, {:.2f} s in the model, {:.2f} s writing", begin,
                    end - 1, std::chrono::duration<double>(t1 - t0).count(),
                    std::chrono::duration<double>(t2 - t1).count(),
                    std::chrono::duration<double>(std::chrono::steady_clock::now() - t2).count());
      if (progress) progress(summary.written, summary.to_score);
      begin = end;
      if (stop) break;
    }
  }  // workers joined here
  if (worker_error) std::rethrow_exception(worker_error);
}

}  // namespace

int64_t ScoreSummary::failed() const {
  int64_t n = 0;
  for (const auto& [reason, count] : failed_by_reason) n += count;
  return n;
}

/// What each worker's ClipAnalyser does, from the options and the model's
/// input spec; throws OptionError for options the model's input refuses.
static ClipAnalysisOptions analysis_options(const ScoreOptions& o, const temporal::ClipSpec& spec) {
  const bool flow_images = spec.kind == temporal::InputKind::FlowImage;
  if (!o.input_kind.empty() && o.input_kind != "flow-image")
    throw OptionError("--input takes flow-image (folders of flow images; got '" + o.input_kind +
                      "'): other inputs are told apart by themselves");
  if (!o.input_kind.empty() && !flow_images)
    throw OptionError("--input flow-image: " + o.model + " reads " + temporal::input_kind_name(spec) +
                      ", not flow images");
  if (flow_images && (o.frame_probs || o.landmarks || !o.face.empty()))
    throw OptionError(o.model + " reads flow images, which have no frames: --frame-probs, --landmarks and --face do "
                      "not apply");
  ClipAnalysisOptions analysis;
  analysis.input = spec;
  analysis.input.require_face = o.require_face;
  analysis.frame_probs = o.frame_probs;
  analysis.video.face = face_detector(o, spec);
  analysis.video.min_face = o.min_face >= 0 ? o.min_face : spec.min_face;
  if (o.landmarks && analysis.video.face == temporal::FaceDetector::None)
    throw OptionError("--landmarks needs a face detector (--face hog or haar)");
  analysis.video.landmarks = o.landmarks;
  analysis.video.max_short_frames = o.long_frames;
  analysis.video.folder_fps = spec.folder_fps;
  return analysis;
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
  // The checkpoint's digest (for the results file) is computed beside the
  // model's loading: 0.3 s for a 400 MB r3d_18 checkpoint.
  auto checkpoint_sha256 = std::async(std::launch::async, [&] { return io::sha256_file(o.model); });
  // The weights load on a thread of their own while the inputs are listed
  // and the workers analyse the first clips (0.6 s for r3d_18).
  auto [predictor, spec] = load_model(o.model, o.device, engine::Predictor::Loading::Background);
  const auto& info = predictor->info();
  try {
    predictor->set_logit_adjustment(o.logit_adjust);
  } catch (const std::invalid_argument& e) {
    throw OptionError(std::string("--logit-adjust: ") + e.what());
  }

  const ClipAnalysisOptions analysis = analysis_options(o, spec);

  // ---- inputs (listed and read, nothing decoded: a shard's cut depends on their number)
  ScoreSummary summary;
  // A manifest row of a class the model lacks is still scored (its label is only ground truth: -1).
  io::ManifestOptions manifest = io::with_classes(o.manifest, info.classes);
  manifest.keep_excluded = true;
  auto collected = collect_inputs(o.inputs, manifest, std::cin, !o.input_kind.empty());
  for (const auto& p : collected.problems) spdlog::error("{}: {}", p.what, p.error);
  summary.problems = std::move(collected.problems);
  const auto items = shard_items(collected.items, shard, o.batch);
  if (shard.count > 1)
    spdlog::info("shard {}/{}: {} of {} clips", shard.index, shard.count, items.size(), collected.items.size());
  const io::ResultsMeta meta = with_shard(results_meta(o, info, analysis.video.face, checkpoint_sha256.get()), shard, o.batch, collected.items.size());
  check_resumable(o, meta);

  // One analyser per worker, made here: a missing face model file fails now,
  // before any thread starts and before the results file is opened.
  std::vector<std::unique_ptr<ClipAnalyser>> analysers;
  for (int w = 0; w < o.workers; ++w) analysers.push_back(std::make_unique<ClipAnalyser>(analysis));

  // ---- output: the file is opened once the weights are in (a checkpoint
  // whose weights do not load leaves it untouched), after the workers start;
  // --resume opens it first, to plan.
  using Mode = io::ResultsWriter::Mode;
  const Mode mode = o.output == ScoreOptions::Output::Resume      ? Mode::Resume
                    : o.output == ScoreOptions::Output::Overwrite ? Mode::Overwrite
                                                                  : Mode::Create;
  std::optional<io::ResultsWriter> writer;
  const std::function<io::ResultsWriter&()> open_writer = [&]() -> io::ResultsWriter& {
    if (!writer) {
      wait_until_loaded(*predictor);
      writer.emplace(o.out, meta, mode);
    }
    return *writer;
  };
  if (mode == Mode::Resume) open_writer();
  for (const auto& item : items)
    if (const auto stored = io::stored_clip_id(item.id); stored != item.id)
      spdlog::warn("{}: the id is longer than the results file's id column; stored as {}", item.path, stored);
  const BatchPlan plan = plan_batches(items, static_cast<size_t>(o.batch), writer ? &*writer : nullptr);
  summary.to_score = plan.to_write;
  summary.already_done = static_cast<int64_t>(items.size()) - plan.to_write;
  if (o.output == ScoreOptions::Output::Resume)
    spdlog::info("{}: {} clips already scored, {} to go{}", o.out, summary.already_done, summary.to_score,
                 plan.todo.size() > static_cast<size_t>(plan.to_write)
                     ? fmt::format(" ({} scored again beside them: their batches are scored whole)",
                                   plan.todo.size() - static_cast<size_t>(plan.to_write))
                     : "");
  spdlog::info("scoring {} clips with {} ({} classes) on {}, {} workers", summary.to_score, info.model,
               info.classes.size(), predictor->device_name(), o.workers);

  // ---- pipeline
  std::mutex predictor_mutex;  // one predict() at a time: this thread's batches, workers' long videos
  const PredictFn predict = [&](const std::vector<engine::ClipArray>& inputs) {
    std::lock_guard lock(predictor_mutex);
    return predictor->predict(inputs);
  };
  score_plan(plan, o, analysers, predict, open_writer, stop, progress, summary);
  if (const auto cache = engine::block_cache_stats(); cache.installed)
    spdlog::debug("CPU block cache: {} hits, {} misses, {} MiB held", cache.hits, cache.misses, cache.cached_bytes >> 20);
  open_writer().close();
  summary.interrupted = stop && summary.written < summary.to_score;
  return summary;
}

}  // namespace mexa::pipeline
