#include "mexa/io/results_merge.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <charconv>
#include <map>
#include <set>

#include "mexa/io/errors.h"

namespace mexa::io {
namespace {

/// The shard files in shard index order when each says which shard of the
/// same count it is (the `shard` attribute), so the shards hold the clips in
/// input order; else as given. Throws DataError for a shard cut another way
/// (another count, --batch or input list: clips would be lost or doubled);
/// a shard index that is missing or given twice is logged.
std::vector<std::string> in_shard_order(const std::vector<std::string>& shards) {
  std::vector<std::pair<int, std::string>> indexed;
  ResultsMeta first;
  int count = 0;
  for (const auto& path : shards) {
    const ResultsMeta m = ResultsReader(path).meta();
    const auto slash = m.shard.find('/');
    int index = -1, n = 0;
    if (slash == std::string::npos ||
        std::from_chars(m.shard.data(), m.shard.data() + slash, index).ptr != m.shard.data() + slash ||
        std::from_chars(m.shard.data() + slash + 1, m.shard.data() + m.shard.size(), n).ptr !=
            m.shard.data() + m.shard.size()) {
      if (shards.size() > 1) spdlog::warn("{}: says no shard (an older file?): the files are merged in the order given", path);
      return shards;
    }
    if (index < 0 || index >= n) throw DataError(path, "says it is shard " + m.shard + ", which cannot be");
    if (indexed.empty()) {
      first = m;
      count = n;
    } else if (n != count || m.shard_batch != first.shard_batch || m.shard_inputs != first.shard_inputs) {
      throw DataError(path, "is shard " + m.shard + " of a run cut another way than " + shards.front() + " (shard " +
                                first.shard + ", --batch " + std::to_string(first.shard_batch) + ", " +
                                std::to_string(first.shard_inputs) + " inputs; this one --batch " +
                                std::to_string(m.shard_batch) + ", " + std::to_string(m.shard_inputs) +
                                " inputs): its clips would be lost or doubled");
    }
    indexed.emplace_back(index, path);
  }
  std::stable_sort(indexed.begin(), indexed.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<std::string> out;
  for (int i = 0, k = 0; i < count; ++i) {
    int given = 0;
    for (; k < static_cast<int>(indexed.size()) && indexed[static_cast<size_t>(k)].first == i; ++k, ++given)
      out.push_back(indexed[static_cast<size_t>(k)].second);
    if (given == 0) spdlog::warn("shard {}/{} is not among the files: the merged file lacks its clips", i, count);
    if (given > 1) spdlog::warn("shard {}/{} is given {} times: its clips are kept once", i, count, given);
  }
  return out;
}

}  // namespace

MergeSummary merge_results(const std::vector<std::string>& shards, const std::string& out, ResultsWriter::Mode mode) {
  if (shards.empty()) throw std::invalid_argument("no shard files given");
  ResultsMeta meta = ResultsReader(shards.front()).meta();
  meta.shard.clear();  // the merged file is the whole run's
  meta.shard_batch = meta.shard_inputs = 0;
  ResultsWriter writer(out, meta, mode);
  std::set<std::string> seen;
  MergeSummary summary;
  for (const auto& path : in_shard_order(shards)) {
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
