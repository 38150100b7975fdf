#include "mexa/pipeline/clip_scoring.h"

#include <spdlog/spdlog.h>

#include <opencv2/core.hpp>

#include <algorithm>
#include <cmath>
#include <iterator>
#include <optional>

#include "mexa/io/errors.h"
#include "mexa/io/failpoint.h"
#include "mexa/engine/metrics.h"

namespace mexa::pipeline {
namespace {

/// Long videos' intervals go through the model in chunks of this many.
constexpr size_t kChunk = 64;

io::FramePhase phase_of(int64_t t, int64_t onset, int64_t apex, int64_t offset) {
  if (t < onset || t > offset) return io::FramePhase::None;
  if (t < apex) return io::FramePhase::OnsetToApex;
  if (t == apex) return io::FramePhase::Apex;
  return io::FramePhase::ApexToOffset;
}

int16_t argmax(const std::vector<float>& p) { return static_cast<int16_t>(engine::predicted_class(p)); }

engine::ClipArray to_array(temporal::ClipSample sample) { return {sample.shape, std::move(sample.data)}; }

/// --frame-probs: the window around frame t (t in [first, last]) spans as many
/// frames as the clip's onset..offset (at least 3), clamped to the video, with t as its apex.
std::vector<temporal::ClipSpan> frame_windows(int64_t n_frames, int64_t onset, int64_t offset, int64_t first,
                                              int64_t last) {
  const int64_t half = std::max<int64_t>(1, (offset - onset) / 2);
  std::vector<temporal::ClipSpan> windows;
  for (int64_t t = first; t <= last; ++t)
    windows.push_back({std::max<int64_t>(0, t - half), t, std::min(n_frames - 1, t + half)});
  return windows;
}

/// Long videos: the intervals are cut and scored in chunks as the worker goes,
/// so memory does not grow with their number; the clip row takes the interval
/// that moved most.
void score_intervals(const std::string& path, ScoredClip& w, temporal::ClipLoader& loader, const PredictFn& predict) {
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

io::FrameRow frame_row(const temporal::FrameAnalysis& f, bool landmarks) {
  io::FrameRow r;
  r.clip = 0;
  r.index = f.index;
  r.time = f.time;
  r.face_box = {f.box.x, f.box.y, f.box.width, f.box.height};
  r.face_confidence = f.confidence;
  r.success = f.success ? 1 : 0;
  r.face_id = f.face_id;
  r.motion = f.motion;
  if (landmarks) {
    r.landmarks.assign(2 * io::kLandmarkCount, std::nanf(""));
    for (size_t i = 0; i < f.landmarks.size() && i < io::kLandmarkCount; ++i) {
      r.landmarks[2 * i] = f.landmarks[i].x;
      r.landmarks[2 * i + 1] = f.landmarks[i].y;
    }
  }
  return r;
}

void fail(ScoredClip& w, io::ClipStatus status, std::string error) {
  w.clip.status = status;
  w.clip.error = std::move(error);
}

}  // namespace

ClipAnalyser::ClipAnalyser(const ClipAnalysisOptions& options)
    : options_(options), analyser_(options.video), loader_([&] {
        auto spec = options.input;
        spec.require_face = false;  // analyse() tells a missing face apart (no_face, not bad_annotation)
        return spec;
      }()) {}

namespace {

/// The clip row's analysis fields and the frame rows.
void take_analysis(ScoredClip& w, const temporal::VideoAnalysis& a, bool landmarks) {
  w.clip.fps = a.fps;
  w.clip.n_frames = static_cast<int64_t>(a.frames.size());
  w.clip.onset = static_cast<int32_t>(a.onset);
  w.clip.apex = static_cast<int32_t>(a.apex);
  w.clip.offset = static_cast<int32_t>(a.offset);
  w.clip.apex_source = a.apex_spotted ? 1 : 0;
  for (const auto& f : a.frames) {
    w.frames.push_back(frame_row(f, landmarks));
    if (a.has_span) w.frames.back().phase = phase_of(f.index, a.onset, a.apex, a.offset);
  }
  w.clip.face_found = a.face_found;
}

/// A long video without annotation: its spotted intervals, each scored.
void score_spotted(const ScoreInput& in, const temporal::VideoAnalysis& a, ScoredClip& w, temporal::ClipLoader& loader,
                   const PredictFn& predict) {
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
    fail(w, io::ClipStatus::ModelError, in.path + ": " + e.what());
  }
}

/// The span's model input (collected during the analysis when it could be),
/// and with --frame-probs the per-frame windows.
void take_model_input(const ScoreInput& in, const temporal::VideoAnalysis& a,
                      std::optional<temporal::ClipLoader::Collector>& collector, ScoredClip& w,
                      temporal::ClipLoader& loader, const ClipAnalysisOptions& options) {
  // The model sees the span as training does: an annotated span without an
  // apex keeps it unknown (the sampler centres), as ManifestClipSource does.
  const int64_t model_apex = in.onset >= 0 && in.offset >= 0 && in.apex < 0 ? -1 : a.apex;
  const temporal::ClipSpan span{a.onset, model_apex, a.offset};
  auto sample = collector && !collector->overflowed() ? collector->finish(in.path, span) : loader.load(in.path, span);
  collector.reset();  // its frames are not needed any more
  w.clip.face_found = w.clip.face_found && sample.face_found;
  if (!sample.face_found && options.input.require_face) {
    fail(w, io::ClipStatus::NoFace,
         in.path + ": no face found on frame " + std::to_string(sample.alignment.frame) +
             " (the clip's alignment frame; --require-face)");
  } else {
    w.clip_input = to_array(std::move(sample));
  }
  if (options.frame_probs && w.clip.status == io::ClipStatus::Ok) {
    // A long video's windows cover its annotated span only: memory stays bounded by the span.
    w.frame_windows_first = a.long_video ? a.onset : 0;
    const int64_t last = a.long_video ? a.offset : w.clip.n_frames - 1;
    w.frame_windows =
        loader.open_windows(in.path, frame_windows(w.clip.n_frames, a.onset, a.offset, w.frame_windows_first, last));
  }
}

}  // namespace

ScoredClip ClipAnalyser::analyse(const ScoreInput& in, const PredictFn& predict) {
  ScoredClip w;
  w.clip.id = in.id;
  w.clip.source = in.path;
  w.clip.subject = in.subject;
  w.clip.label = static_cast<int16_t>(in.label);
  try {
    io::failpoint("throw-in-analysis");
    if (options_.input.kind == temporal::InputKind::FlowImage) {
      // One precomputed flow image: the clip row only (no frames, no span).
      w.clip.n_frames = 0;
      w.clip_input = to_array(loader_.load(in.path, {in.onset, in.apex, in.offset}));
      return w;
    }
    // One decode: when the analysis and the model read the same pixel format,
    // the model's frames are collected (sized) as the analysis decodes;
    // otherwise the model input is decoded on its own. One alignment: with the
    // same detector, the model input is cut with the analysis's alignment (the
    // onset, else the first face), so rows and input share one transform.
    std::optional<temporal::ClipLoader::Collector> collector;
    temporal::FrameSink sink;
    if (analyser_.pixel_format() == loader_.pixel_format()) {
      collector.emplace(loader_, std::max<int64_t>(in.onset, 0), in.onset >= 0 ? in.offset : -1,
                        options_.video.max_short_frames);
      // (score's --face and --min-face are for the rows: the model input keeps the model's own)
      const bool same_detector =
          options_.video.face == options_.input.face && options_.video.min_face == options_.input.min_face;
      sink = [&, same_detector](int64_t index, const cv::Mat& image, const temporal::FaceAlignment& alignment) {
        collector->push(index, image, same_detector ? &alignment : nullptr);
      };
    }
    const auto a = analyser_.analyse(in.path, {in.onset, in.apex, in.offset}, sink);
    take_analysis(w, a, options_.video.landmarks);
    // As in training: no face, the whole frame is the face (face_found false), unless --require-face.
    if (!a.face_found && options_.input.require_face)
      fail(w, io::ClipStatus::NoFace, in.path + ": no face found in any frame (--require-face)");
    else if (!a.has_span)
      score_spotted(in, a, w, loader_, predict);
    else
      take_model_input(in, a, collector, w, loader_, options_);
  } catch (const DecodeError& e) {
    fail(w, io::ClipStatus::DecodeError, e.what());
  } catch (const DataError& e) {
    fail(w, io::ClipStatus::BadAnnotation, e.what());
  } catch (const cv::Exception& e) {  // OpenCV refusing a strange frame: this clip's decoding failed
    fail(w, io::ClipStatus::DecodeError, in.path + ": " + e.what());
  } catch (const std::exception& e) {  // a bug: recorded as such, loudly, and the batch goes on
    spdlog::error("internal error on {} (please report): {}", in.path, e.what());
    fail(w, io::ClipStatus::InternalError, in.path + ": internal error: " + e.what());
  }
  if (w.clip.status != io::ClipStatus::Ok) {
    // A video without a face keeps its frame rows (success 0 throughout, as
    // OpenFace reports them); other failures have no trustworthy rows.
    if (w.clip.status != io::ClipStatus::NoFace) w.frames.clear();
    w.intervals.clear();
    w.clip_input = {};
    w.frame_windows.reset();
  }
  return w;
}

void predict_clips(const PredictFn& predict, std::vector<ScoredClip>& batch, size_t window_batch) {
  window_batch = std::max<size_t>(1, window_batch);
  std::vector<engine::ClipArray> inputs;
  std::vector<ScoredClip*> owners;
  for (auto& w : batch)
    if (w.clip.status == io::ClipStatus::Ok && !w.clip_input.data.empty()) {
      inputs.push_back(std::move(w.clip_input));
      w.clip_input = {};
      owners.push_back(&w);
    }
  try {
    const auto outputs = inputs.empty() ? std::vector<engine::Predictor::Output>{} : predict(inputs);
    for (size_t k = 0; k < owners.size(); ++k) {
      owners[k]->clip.probs = outputs[k].probs;
      owners[k]->clip.apex_feature = outputs[k].features;
      owners[k]->clip.pred = argmax(outputs[k].probs);
    }
  } catch (const std::exception& e) {
    for (auto* w : owners) fail(*w, io::ClipStatus::ModelError, w->clip.source + ": " + e.what());
  }
  // --frame-probs: every frame's window, assembled and scored a chunk at a
  // time (a clip can have thousands; only one chunk's inputs exist at once).
  for (auto& w : batch) {
    if (w.clip.status != io::ClipStatus::Ok || !w.frame_windows) continue;
    try {
      const auto& windows = *w.frame_windows;
      for (size_t first = 0; first < windows.size(); first += window_batch) {
        std::vector<engine::ClipArray> chunk;
        for (auto& sample : windows.take(first, window_batch)) chunk.push_back(to_array(std::move(sample)));
        const auto out = predict(chunk);
        for (size_t k = 0; k < out.size(); ++k)
          w.frames[static_cast<size_t>(w.frame_windows_first) + first + k].probs = out[k].probs;
      }
    } catch (const std::exception& e) {
      fail(w, io::ClipStatus::ModelError, w.clip.source + ": " + e.what());
      w.frames.clear();
    }
    w.frame_windows.reset();
  }
}

io::ResultsBatch to_results_batch(std::vector<ScoredClip>& clips) {
  io::ResultsBatch batch;
  for (auto& w : clips) {
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

}  // namespace mexa::pipeline
