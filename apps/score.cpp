// `mexa score INPUT... --model CKPT --out results.h5`: the main job. Scores many
// videos offline and writes per-clip predictions, apex features, per-frame
// face/motion/phase rows and spotted intervals to one HDF5 results file.
//
// Pipeline: worker threads (decode, face, motion curve, spotting, key frames)
// -> bounded queue -> batched inference on this thread (CPU threads or CUDA)
// -> the writer, one committed batch at a time. Memory is bounded by the
// queue (2 x workers analysed videos) and the batch, whatever the number and
// length of the videos.
//
// Interruption: SIGINT / SIGTERM stop taking new videos, the analysed ones
// are scored and written, the file is closed, exit 130; SIGKILL loses at most
// the batch in flight (the results file commits batch by batch). --resume
// skips clips already in the file.
#include <spdlog/spdlog.h>

#include <atomic>
#include <condition_variable>
#include <csignal>
#include <cmath>
#include <cstdio>
#include <deque>
#include <functional>
#include <filesystem>
#include <iostream>
#include <map>
#include <mutex>
#include <thread>

#include "cli.h"
#include "clip_source.h"
#include "commands.h"
#include "inputs.h"
#include "manifest_flags.h"
#include "mexa/engine/device.h"
#include "mexa/engine/trainer.h"
#include "mexa/io/checksum.h"
#include "mexa/io/errors.h"
#include "mexa/io/results.h"
#include "mexa/temporal/clip_loader.h"
#include "mexa/temporal/video_analysis.h"
#include "mexa/version.h"
#include "report.h"

namespace mexa::cli {
namespace {

namespace fs = std::filesystem;

std::atomic<bool> g_stop{false};
extern "C" void on_stop_signal(int) { g_stop = true; }

/// One analysed video on its way to the writer.
struct Work {
  io::ClipRow clip;
  std::vector<io::FrameRow> frames;
  std::vector<io::IntervalRow> intervals;
  engine::ClipArray clip_input;               ///< the clip's model input (short videos)
  std::vector<engine::ClipArray> frame_inputs;     ///< --frame-probs: one window per frame (short videos)
};

io::FramePhase phase_of(int64_t t, int64_t onset, int64_t apex, int64_t offset) {
  if (t < onset || t > offset) return io::FramePhase::None;
  if (t < apex) return io::FramePhase::OnsetToApex;
  if (t == apex) return io::FramePhase::Apex;
  return io::FramePhase::ApexToOffset;
}

/// --frame-probs: the window around frame t spans as many frames as the clip's
/// onset..offset (at least 3), clamped to the video, with t as its apex.
std::vector<temporal::ClipSpan> frame_windows(int64_t n_frames, int64_t onset, int64_t offset) {
  const int64_t half = std::max<int64_t>(1, (offset - onset) / 2);
  std::vector<temporal::ClipSpan> windows;
  for (int64_t t = 0; t < n_frames; ++t)
    windows.push_back({std::max<int64_t>(0, t - half), t, std::min(n_frames - 1, t + half)});
  return windows;
}

/// The predictor, shared by the writer thread and (for long videos) the workers.
using PredictFn = std::function<std::vector<engine::Predictor::Output>(const std::vector<engine::ClipArray>&)>;

int16_t argmax(const std::vector<float>& p) { return static_cast<int16_t>(predicted_class(p)); }

engine::ClipArray to_array(temporal::ClipSample sample) { return {sample.shape, std::move(sample.data)}; }

/// Long videos: the intervals are cut and scored in chunks as the worker goes,
/// so memory does not grow with their number; the clip row takes the interval
/// that moved most.
void score_intervals(const std::string& path, Work& w, temporal::ClipLoader& loader, const PredictFn& predict) {
  constexpr size_t kChunk = 64;
  size_t best = 0;
  for (size_t first = 0; first < w.intervals.size(); first += kChunk) {
    std::vector<temporal::ClipSpan> spans;
    for (size_t i = first; i < std::min(w.intervals.size(), first + kChunk); ++i)
      spans.push_back({w.intervals[i].onset, w.intervals[i].apex, w.intervals[i].offset});
    std::vector<engine::ClipArray> inputs;
    for (auto& sample : loader.load_windows(path, spans)) inputs.push_back(to_array(std::move(sample)));
    const auto outputs = predict(inputs);
    for (size_t k = 0; k < outputs.size(); ++k) {
      auto& iv = w.intervals[first + k];
      iv.probs = outputs[k].probs;
      iv.pred = argmax(iv.probs);
      if (iv.score > w.intervals[best].score || first + k == 0) {
        best = first + k;
        w.clip.probs = outputs[k].probs;
        w.clip.apex_feature = outputs[k].features;
      }
    }
  }
  if (w.intervals.empty()) return;
  w.clip.pred = argmax(w.clip.probs);
  w.clip.onset = w.intervals[best].onset;
  w.clip.apex = w.intervals[best].apex;
  w.clip.offset = w.intervals[best].offset;
}

/// Decode + analysis + model inputs of one video. Failures become the clip's status.
Work analyse(const ScoreInput& in, temporal::VideoAnalyser& analyser, temporal::ClipLoader& loader, bool landmarks,
             bool frame_probs, const PredictFn& predict) {
  Work w;
  w.clip.id = in.id;
  w.clip.source = in.path;
  w.clip.subject = in.subject;
  w.clip.label = static_cast<int16_t>(in.label);
  try {
    const auto a = analyser.analyse(in.path, {in.onset, in.apex, in.offset});
    w.clip.fps = a.fps;
    w.clip.n_frames = static_cast<int64_t>(a.frames.size());
    w.clip.onset = static_cast<int32_t>(a.onset);
    w.clip.apex = static_cast<int32_t>(a.apex);
    w.clip.offset = static_cast<int32_t>(a.offset);
    w.clip.apex_source = a.apex_spotted ? 1 : 0;
    for (const auto& f : a.frames) {
      io::FrameRow r;
      r.clip = 0;
      r.index = f.index;
      r.time = f.time;
      r.face_box = {f.box.x, f.box.y, f.box.width, f.box.height};
      r.face_confidence = f.confidence;
      r.success = f.success ? 1 : 0;
      r.motion = f.motion;
      if (!a.long_video) r.phase = phase_of(f.index, a.onset, a.apex, a.offset);
      if (landmarks) {
        r.landmarks.assign(2 * io::kLandmarkCount, std::nanf(""));
        for (size_t i = 0; i < f.landmarks.size() && i < io::kLandmarkCount; ++i) {
          r.landmarks[2 * i] = f.landmarks[i].x;
          r.landmarks[2 * i + 1] = f.landmarks[i].y;
        }
      }
      w.frames.push_back(std::move(r));
    }
    if (!a.face_found) {
      w.clip.status = io::ClipStatus::NoFace;
      w.clip.error = in.path + ": no face found in any frame";
      return w;
    }
    if (a.long_video) {
      for (const auto& iv : a.intervals) {
        w.intervals.push_back({0, static_cast<int32_t>(iv.onset), static_cast<int32_t>(iv.apex),
                               static_cast<int32_t>(iv.offset), iv.score, -1, {}});
        for (int64_t t = iv.onset; t <= iv.offset && t < w.clip.n_frames; ++t)
          w.frames[static_cast<size_t>(t)].phase = phase_of(t, iv.onset, iv.apex, iv.offset);
      }
      try {
        score_intervals(in.path, w, loader, predict);
      } catch (const Error&) {
        throw;
      } catch (const std::exception& e) {
        w.clip.status = io::ClipStatus::ModelError;
        w.clip.error = in.path + ": " + e.what();
      }
    } else {
      w.clip_input = to_array(loader.load(in.path, {a.onset, a.apex, a.offset}));
      if (frame_probs)
        for (auto& sample : loader.load_windows(in.path, frame_windows(w.clip.n_frames, a.onset, a.offset)))
          w.frame_inputs.push_back(to_array(std::move(sample)));
    }
  } catch (const DecodeError& e) {
    w.clip.status = io::ClipStatus::DecodeError;
    w.clip.error = e.what();
  } catch (const DataError& e) {
    w.clip.status = io::ClipStatus::BadAnnotation;
    w.clip.error = e.what();
  } catch (const std::exception& e) {  // e.g. an OpenCV error on a strange frame: this clip's failure
    w.clip.status = io::ClipStatus::DecodeError;
    w.clip.error = in.path + ": " + e.what();
  }
  if (w.clip.status != io::ClipStatus::Ok) {
    w.frames.clear();
    w.intervals.clear();
    w.frame_inputs.clear();
  }
  return w;
}

/// Bounded multi-producer queue of analysed videos.
class WorkQueue {
 public:
  explicit WorkQueue(size_t capacity) : capacity_(capacity) {}
  void push(Work w) {
    std::unique_lock lock(mutex_);
    not_full_.wait(lock, [&] { return items_.size() < capacity_; });
    items_.push_back(std::move(w));
    not_empty_.notify_one();
  }
  /// False when every producer is done and the queue is empty.
  bool pop(Work& w) {
    std::unique_lock lock(mutex_);
    not_empty_.wait(lock, [&] { return !items_.empty() || producers_ == 0; });
    if (items_.empty()) return false;
    w = std::move(items_.front());
    items_.pop_front();
    not_full_.notify_one();
    return true;
  }
  void set_producers(int n) { producers_ = n; }
  void producer_done() {
    std::lock_guard lock(mutex_);
    --producers_;
    not_empty_.notify_all();
  }

 private:
  size_t capacity_;
  int producers_ = 0;
  std::deque<Work> items_;
  std::mutex mutex_;
  std::condition_variable not_full_, not_empty_;
};

/// Fills probs / pred / apex_feature of the short clips of `batch` (long
/// videos were scored by their worker), and --frame-probs.
void predict(const PredictFn& predictor, std::vector<Work>& batch) {
  std::vector<engine::ClipArray> inputs;
  std::vector<Work*> owners;
  for (auto& w : batch)
    if (w.clip.status == io::ClipStatus::Ok && !w.clip_input.data.empty()) {
      inputs.push_back(std::move(w.clip_input));
      owners.push_back(&w);
    }
  try {
    const auto outputs = inputs.empty() ? std::vector<engine::Predictor::Output>{} : predictor(inputs);
    for (size_t k = 0; k < owners.size(); ++k) {
      owners[k]->clip.probs = outputs[k].probs;
      owners[k]->clip.apex_feature = outputs[k].features;
      owners[k]->clip.pred = argmax(outputs[k].probs);
    }
  } catch (const std::exception& e) {
    for (auto* w : owners) {
      w->clip.status = io::ClipStatus::ModelError;
      w->clip.error = w->clip.source + ": " + e.what();
    }
  }
  // --frame-probs: every frame's window, in chunks (a clip can have thousands).
  constexpr size_t kChunk = 64;
  for (auto& w : batch) {
    if (w.clip.status != io::ClipStatus::Ok || w.frame_inputs.empty()) continue;
    try {
      for (size_t first = 0; first < w.frame_inputs.size(); first += kChunk) {
        const std::vector<engine::ClipArray> chunk(
            std::make_move_iterator(w.frame_inputs.begin() + static_cast<std::ptrdiff_t>(first)),
            std::make_move_iterator(w.frame_inputs.begin() +
                                    static_cast<std::ptrdiff_t>(std::min(w.frame_inputs.size(), first + kChunk))));
        const auto out = predictor(chunk);
        for (size_t k = 0; k < out.size(); ++k) w.frames[first + k].probs = out[k].probs;
      }
    } catch (const std::exception& e) {
      w.clip.status = io::ClipStatus::ModelError;
      w.clip.error = w.clip.source + ": " + e.what();
    }
    w.frame_inputs.clear();
  }
}

io::ResultsBatch to_batch(std::vector<Work>& works) {
  io::ResultsBatch batch;
  for (auto& w : works) {
    const auto clip_index = static_cast<int64_t>(batch.clips.size());
    for (auto& f : w.frames) {
      f.clip = clip_index;
      batch.frames.push_back(std::move(f));
    }
    for (auto& iv : w.intervals) {
      iv.clip = clip_index;
      batch.intervals.push_back(std::move(iv));
    }
    batch.clips.push_back(std::move(w.clip));
  }
  return batch;
}

}  // namespace

int run_score(const std::vector<std::string>& args) {
  static const Command command{
      "score",
      "Score videos with a checkpoint from `mexa train` and write an HDF5 results file: per clip probabilities, "
      "prediction, onset/apex/offset (annotated or spotted), apex feature; per frame face box, confidence, "
      "success, motion and phase (optionally landmarks); spotted intervals of long videos, each scored. Inputs: "
      "video files, frame folders, directories (recursive), manifest CSVs (annotated spans and labels), "
      "@list.txt and - (list on stdin). A clip that fails gets a row with its status and error; exit 1 if any.",
      "mexa score INPUT... --model CKPT --out results.h5 [options]", run_score};
  std::vector<std::string> inputs;
  std::string model, out, device = "auto", shard_text, face;
  int workers = 2, batch_clips = 8, threads = 0;
  int64_t long_frames = 3000;
  bool resume = false, overwrite = false, landmarks = false, frame_probs = false;
  ManifestFlags manifest_flags;
  po::options_description options("Score options");
  options.add_options()("input", po::value(&inputs)->multitoken(), "videos, frame folders, directories, manifests, @lists, -")(
      "model", po::value(&model)->required(), "checkpoint (best.pt / last.pt of a `mexa train` run)")(
      "out", po::value(&out)->required(), "results file (HDF5)")(
      "resume", po::bool_switch(&resume), "keep the clips already in --out and score the rest")(
      "overwrite", po::bool_switch(&overwrite), "replace an existing --out")(
      "shard", po::value(&shard_text), "score shard i of n (i/n); default from RANK/WORLD_SIZE or Slurm array variables")(
      "device", po::value(&device)->default_value(device), "auto, cpu, cuda or cuda:N")(
      "workers", po::value(&workers)->default_value(workers), "decode/analysis threads")(
      "threads", po::value(&threads)->default_value(threads), "LibTorch CPU threads (0: all cores)")(
      "batch", po::value(&batch_clips)->default_value(batch_clips), "clips per inference batch and per committed write")(
      "face", po::value(&face), "face alignment for the per-frame rows: none, hog, haar (default: the model's)")(
      "landmarks", po::bool_switch(&landmarks), "store 68 landmarks per frame (needs --face hog or haar)")(
      "frame-probs", po::bool_switch(&frame_probs),
      "per-frame probabilities: the model on a window around every frame (as long as the clip's span)")(
      "long-frames", po::value(&long_frames)->default_value(long_frames),
      "videos longer than this are spotted for intervals, each scored");
  add_manifest_flags(options, manifest_flags);
  po::positional_options_description positional;
  positional.add("input", -1);
  po::variables_map vm;
  if (!parse(args, command, options, positional, vm)) return kOk;
  if (inputs.empty()) throw UsageError("no inputs (videos, folders, manifests, @list or -)");
  if (workers < 1 || batch_clips < 1) throw UsageError("--workers and --batch must be >= 1");
  if (resume && overwrite) throw UsageError("--resume and --overwrite exclude each other");
  Shard shard;
  try {
    shard = resolve_shard(shard_text);
  } catch (const std::invalid_argument& e) {
    throw UsageError(e.what());
  }
  apply_compute_options(threads, device);
  if (!resume && !overwrite && fs::exists(out))
    throw UsageError(out + " exists; --resume adds the missing clips, --overwrite replaces it");

  auto [predictor, spec] = load_model(model, device);
  const auto& info = predictor->info();
  temporal::VideoAnalysisOptions analysis;
  try {
    analysis.face = face.empty() ? spec.face : temporal::parse_face_detector(face);
  } catch (const std::invalid_argument& e) {
    throw UsageError(e.what());
  }
  if (landmarks && analysis.face == temporal::FaceDetector::None)
    throw UsageError("--landmarks needs a face detector (--face hog or haar)");
  analysis.landmarks = landmarks;
  analysis.max_short_frames = long_frames;
  analysis.folder_fps = spec.folder_fps;

  // ---- inputs
  auto collected = collect_inputs(inputs, manifest_options_for(manifest_flags, info.classes), std::cin);
  for (const auto& p : collected.problems) spdlog::error("{}: {}", p.what, p.error);
  const auto items = shard_items(collected.items, shard);
  if (shard.count > 1)
    spdlog::info("shard {}/{}: {} of {} clips", shard.index, shard.count, items.size(), collected.items.size());

  // ---- output
  io::ResultsMeta meta;
  meta.class_names = info.classes;
  meta.feature_dim = static_cast<int>(info.feature_dim);
  meta.model = info.model;
  meta.checkpoint_sha256 = io::sha256_file(model);
  meta.frame_landmarks = landmarks;
  meta.frame_probs = frame_probs;
  for (const auto& [key, value] : info.metadata) meta.config += key + " = " + value + "\n";
  meta.config += "score.face = " + std::string(analysis.face == temporal::FaceDetector::None ? "none" : "detector") + "\n";
  io::ResultsWriter writer(out, meta,
                           resume ? io::ResultsWriter::Mode::Resume
                                  : overwrite ? io::ResultsWriter::Mode::Overwrite : io::ResultsWriter::Mode::Create);
  std::vector<const ScoreInput*> todo;
  for (const auto& item : items)
    if (!writer.contains(item.id)) todo.push_back(&item);
  if (resume) spdlog::info("{}: {} clips already scored, {} to go", out, items.size() - todo.size(), todo.size());
  spdlog::info("scoring {} clips with {} ({} classes) on {}, {} workers", todo.size(), info.model, info.classes.size(),
               predictor->device_name(), workers);

  // ---- pipeline
  g_stop = false;
  std::signal(SIGINT, on_stop_signal);
  std::signal(SIGTERM, on_stop_signal);
  std::mutex predictor_mutex;  // one predict() at a time: the writer thread's batches, workers' long videos
  const PredictFn predict_locked = [&](const std::vector<engine::ClipArray>& inputs) {
    std::lock_guard lock(predictor_mutex);
    return predictor->predict(inputs);
  };
  WorkQueue queue(static_cast<size_t>(2 * workers));
  queue.set_producers(workers);
  std::atomic<size_t> next{0};
  std::vector<std::thread> threads_pool;
  for (int w = 0; w < workers; ++w)
    threads_pool.emplace_back([&] {
      temporal::VideoAnalyser analyser(analysis);
      temporal::ClipLoader loader(spec);
      for (size_t i = next++; i < todo.size() && !g_stop; i = next++) queue.push(analyse(*todo[i], analyser, loader, landmarks, frame_probs, predict_locked));
      queue.producer_done();
    });

  std::map<std::string, int> failed_by_reason;
  int64_t written = 0, ok = 0;
  Progress progress("score", static_cast<int64_t>(todo.size()), "clips");
  std::vector<Work> pending;
  auto flush = [&] {
    if (pending.empty()) return;
    predict(predict_locked, pending);
    for (const auto& w : pending) {
      if (w.clip.status == io::ClipStatus::Ok) {
        ++ok;
      } else {
        ++failed_by_reason[io::clip_status_name(w.clip.status)];
        spdlog::error("{}", w.clip.error);
      }
    }
    written += static_cast<int64_t>(pending.size());
    writer.append(to_batch(pending));
    pending.clear();
    progress.update(written);
  };
  std::string fatal;
  try {
    Work w;
    while (queue.pop(w)) {
      pending.push_back(std::move(w));
      if (static_cast<int>(pending.size()) >= batch_clips) flush();
    }
    flush();
  } catch (const std::exception& e) {
    fatal = e.what();
    g_stop = true;
    Work drop;
    while (queue.pop(drop)) {  // unblock the workers; they stop at their next video
    }
  }
  for (auto& t : threads_pool) t.join();
  progress.finish();
  writer.close();
  std::signal(SIGINT, SIG_DFL);
  std::signal(SIGTERM, SIG_DFL);
  if (!fatal.empty()) throw StorageError(out, fatal);

  // ---- summary
  int64_t failed = 0;
  std::string reasons;
  for (const auto& [reason, n] : failed_by_reason) {
    failed += n;
    reasons += " " + reason + "=" + std::to_string(n);
  }
  std::printf("%s: %lld clips written (%lld ok, %lld failed%s%s)", out.c_str(), static_cast<long long>(written),
              static_cast<long long>(ok), static_cast<long long>(failed), reasons.empty() ? "" : ":", reasons.c_str());
  if (!collected.problems.empty()) std::printf(", %zu inputs gave no clip", collected.problems.size());
  std::printf("\n");
  if (g_stop && written < static_cast<int64_t>(todo.size())) {
    std::printf("interrupted: %lld of %zu clips to go are written; continue with --resume\n",
                static_cast<long long>(written), todo.size());
    return 130;
  }
  return failed > 0 || !collected.problems.empty() ? kInputsFailed : kOk;
}

}  // namespace mexa::cli
