// results_data(): what a results file holds, as the report embeds it. Only
// /clips is read whole; frames are read per plotted clip (and, for files up
// to ReportOptions::max_scanned_frames, scanned in chunks for face rates).
#include <algorithm>
#include <cmath>
#include <map>

#include "mexa/io/errors.h"
#include "mexa/io/results.h"
#include "mexa/report/report.h"

namespace mexa::report {

using nlohmann::json;

namespace {

/// Indices of `n` points sampled to at most `max_points`: per bucket, the
/// first point and those with the smallest and largest value (peaks stay).
std::vector<size_t> sample_indices(const std::vector<float>& values, int max_points) {
  const size_t n = values.size();
  std::vector<size_t> keep;
  if (n <= static_cast<size_t>(std::max(max_points, 3))) {
    for (size_t i = 0; i < n; ++i) keep.push_back(i);
    return keep;
  }
  const size_t buckets = static_cast<size_t>(max_points) / 3;
  for (size_t b = 0; b < buckets; ++b) {
    const size_t from = b * n / buckets, to = (b + 1) * n / buckets;
    if (from >= to) continue;
    size_t lo = from, hi = from;
    for (size_t i = from; i < to; ++i) {
      if (values[i] < values[lo]) lo = i;
      if (values[i] > values[hi]) hi = i;
    }
    keep.push_back(from);
    if (lo != from) keep.push_back(lo);
    if (hi != from && hi != lo) keep.push_back(hi);
  }
  std::sort(keep.begin(), keep.end());
  keep.erase(std::unique(keep.begin(), keep.end()), keep.end());
  return keep;
}

json number(float v) { return std::isfinite(v) ? json(v) : json(); }

}  // namespace

namespace {

/// Status counts, failures, prediction and label distributions, accuracy.
void add_counts(json& out, const std::vector<io::ClipRow>& clips, const std::vector<std::string>& classes,
                const ReportOptions& options) {
  std::map<std::string, int64_t> status_counts;
  std::vector<int64_t> predictions(classes.size(), 0), labels(classes.size(), 0);
  json failures = json::array();
  int64_t failed = 0, labelled = 0, correct = 0;
  for (const auto& c : clips) {
    ++status_counts[io::clip_status_name(c.status)];
    if (c.status != io::ClipStatus::Ok) {
      ++failed;
      if (static_cast<int>(failures.size()) < options.max_failures)
        failures.push_back({c.id, io::clip_status_name(c.status), c.error});
      continue;
    }
    if (c.pred >= 0 && static_cast<size_t>(c.pred) < classes.size()) ++predictions[static_cast<size_t>(c.pred)];
    if (c.label >= 0 && static_cast<size_t>(c.label) < classes.size()) {
      ++labels[static_cast<size_t>(c.label)];
      ++labelled;
      correct += c.label == c.pred;
    }
  }
  out["status_counts"] = status_counts;
  out["failures"] = failures;
  out["failed"] = failed;
  out["prediction_distribution"] = predictions;
  out["label_distribution"] = labels;
  out["labelled"] = labelled;
  out["accuracy"] = labelled > 0 ? json(static_cast<double>(correct) / static_cast<double>(labelled)) : json();
}

/// The clips to plot: asked for by id, else the first few of each predicted class.
std::vector<size_t> chosen_clips(const std::string& path, const std::vector<io::ClipRow>& clips, size_t classes,
                                 const ReportOptions& options) {
  std::vector<size_t> chosen;
  if (!options.clips.empty()) {
    for (const auto& id : options.clips) {
      const std::string stored = io::stored_clip_id(id);
      const auto it = std::find_if(clips.begin(), clips.end(), [&](const io::ClipRow& c) { return c.id == stored; });
      if (it == clips.end()) throw DataError(path, "no clip '" + id + "' (see `mexa inspect` or `mexa export` for the ids)");
      chosen.push_back(static_cast<size_t>(it - clips.begin()));
    }
    return chosen;
  }
  std::vector<int> taken(classes, 0);
  for (size_t i = 0; i < clips.size(); ++i) {
    const auto& c = clips[i];
    if (c.status != io::ClipStatus::Ok || c.frame_count == 0 || c.pred < 0 || static_cast<size_t>(c.pred) >= classes) continue;
    if (taken[static_cast<size_t>(c.pred)]++ < options.clips_per_class) chosen.push_back(i);
  }
  return chosen;
}

/// One plotted clip: its motion curve (sampled), per-frame probabilities, face rate and intervals.
json plotted_clip(const io::ResultsReader& reader, const io::ClipRow& c, const ReportOptions& options,
                  const json& intervals) {
  const auto frames = reader.frames(c.frame_start, c.frame_count);
  std::vector<float> motion(frames.size());
  for (size_t k = 0; k < frames.size(); ++k) motion[k] = frames[k].motion;
  const auto keep = sample_indices(motion, options.max_points);
  json index = json::array(), values = json::array(), probs = json::array();
  int64_t found = 0;
  for (const auto& f : frames) found += f.success;
  for (size_t k : keep) {
    index.push_back(frames[k].index);
    values.push_back(number(frames[k].motion));
    if (reader.meta().frame_probs) {
      json p = json::array();
      for (float v : frames[k].probs) p.push_back(number(v));
      probs.push_back(p);
    }
  }
  json clip = {{"id", c.id}, {"source", c.source}, {"fps", c.fps}, {"n_frames", c.n_frames}, {"onset", c.onset},
               {"apex", c.apex}, {"offset", c.offset}, {"annotated", c.apex_source == 0}, {"label", c.label},
               {"pred", c.pred}, {"frame_index", index}, {"motion", values}, {"sampled", keep.size() < frames.size()},
               {"face_rate", frames.empty() ? json() : json(static_cast<double>(found) / static_cast<double>(frames.size()))}};
  json p = json::array();
  for (float v : c.probs) p.push_back(number(v));
  clip["probs"] = p;
  if (reader.meta().frame_probs) clip["frame_probs"] = probs;
  clip["intervals"] = intervals;
  return clip;
}

/// Face-detection rate per clip: every clip when the frames are few enough to scan, else the plotted ones.
void add_face_rates(json& out, const io::ResultsReader& reader, size_t clips, const json& plotted,
                    const ReportOptions& options) {
  json rates = json::array();
  const bool scan_all = reader.frame_count() <= options.max_scanned_frames;
  if (scan_all) {
    std::vector<int64_t> found(clips, 0), total(clips, 0);
    constexpr int64_t kChunk = 200'000;
    for (int64_t first = 0; first < reader.frame_count(); first += kChunk)
      for (const auto& f : reader.frames(first, std::min(kChunk, reader.frame_count() - first)))
        if (f.clip >= 0 && static_cast<size_t>(f.clip) < clips) {
          found[static_cast<size_t>(f.clip)] += f.success;
          ++total[static_cast<size_t>(f.clip)];
        }
    for (size_t i = 0; i < clips; ++i)
      if (total[i] > 0) rates.push_back(static_cast<double>(found[i]) / static_cast<double>(total[i]));
  } else {
    for (const auto& clip : plotted)
      if (!clip["face_rate"].is_null()) rates.push_back(clip["face_rate"]);
  }
  out["face_rates"] = rates;
  out["face_rates_scope"] = scan_all ? "all clips" : "the plotted clips (the file has more than " +
                                                         std::to_string(options.max_scanned_frames) + " frames)";
}

}  // namespace

json results_data(const std::string& path, const ReportOptions& options) {
  const io::ResultsReader reader(path);
  const io::ResultsMeta& meta = reader.meta();
  const auto clips = reader.clips();
  const auto& classes = meta.class_names;
  json out;
  out["kind"] = "results";
  out["path"] = path;
  out["name"] = path.substr(path.find_last_of('/') == std::string::npos ? 0 : path.find_last_of('/') + 1);
  out["model"] = meta.model;
  out["checkpoint_sha256"] = meta.checkpoint_sha256;
  out["created_utc"] = meta.created_utc;
  out["classes"] = classes;
  out["clips"] = clips.size();
  out["frames"] = reader.frame_count();
  out["intervals"] = reader.interval_count();
  out["frame_probs"] = meta.frame_probs;
  out["config"] = meta.config;
  add_counts(out, clips, classes, options);

  // Intervals of the chosen clips (long videos: spotted against annotated).
  std::map<int64_t, json> intervals_of;
  if (reader.interval_count() > 0)
    for (const auto& iv : reader.intervals())
      intervals_of[iv.clip].push_back({{"onset", iv.onset}, {"apex", iv.apex}, {"offset", iv.offset}, {"score", number(iv.score)},
                                       {"pred", iv.pred}});
  json plotted = json::array();
  for (size_t i : chosen_clips(path, clips, classes.size(), options)) {
    const auto iv = intervals_of.find(static_cast<int64_t>(i));
    plotted.push_back(plotted_clip(reader, clips[i], options, iv == intervals_of.end() ? json::array() : iv->second));
  }
  out["plotted"] = plotted;
  add_face_rates(out, reader, clips.size(), plotted, options);
  return out;
}

}  // namespace mexa::report
