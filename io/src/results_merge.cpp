#include "mexa/io/results_merge.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <map>
#include <set>

#include "mexa/io/errors.h"

namespace mexa::io {

MergeSummary merge_results(const std::vector<std::string>& shards, const std::string& out, ResultsWriter::Mode mode) {
  if (shards.empty()) throw std::invalid_argument("no shard files given");
  const ResultsMeta meta = ResultsReader(shards.front()).meta();
  ResultsWriter writer(out, meta, mode);
  std::set<std::string> seen;
  MergeSummary summary;
  for (const auto& path : shards) {
    const ResultsReader reader(path);
    const auto& m = reader.meta();
    if (m.class_names != meta.class_names || m.feature_dim != meta.feature_dim || m.model != meta.model ||
        m.checkpoint_sha256 != meta.checkpoint_sha256 || m.frame_landmarks != meta.frame_landmarks ||
        m.frame_probs != meta.frame_probs)
      throw DataError(path, "was scored with another model, classes or options than " + shards.front());
    const auto clips = reader.clips();
    const auto intervals = reader.intervals();
    std::multimap<int64_t, const IntervalRow*> intervals_of;
    for (const auto& iv : intervals) intervals_of.emplace(iv.clip, &iv);
    constexpr size_t kClipsPerBatch = 64;
    for (size_t first = 0; first < clips.size(); first += kClipsPerBatch) {
      ResultsBatch batch;
      for (size_t i = first; i < std::min(clips.size(), first + kClipsPerBatch); ++i) {
        const auto& c = clips[i];
        if (!seen.insert(c.id).second) {
          spdlog::warn("{}: clip '{}' is already in an earlier shard; kept once", path, c.id);
          ++summary.duplicates;
          continue;
        }
        const auto clip_index = static_cast<int64_t>(batch.clips.size());
        for (auto f : reader.frames(c.frame_start, c.frame_count)) {
          f.clip = clip_index;
          batch.frames.push_back(std::move(f));
        }
        const auto [lo, hi] = intervals_of.equal_range(static_cast<int64_t>(i));
        for (auto it = lo; it != hi; ++it) {
          auto iv = *it->second;
          iv.clip = clip_index;
          batch.intervals.push_back(std::move(iv));
        }
        batch.clips.push_back(c);
      }
      writer.append(batch);
    }
  }
  summary.clips = writer.clip_count();
  writer.close();
  return summary;
}

}  // namespace mexa::io
