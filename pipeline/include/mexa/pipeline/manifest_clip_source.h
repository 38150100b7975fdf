// Clips of a manifest as the engine's training/prediction input: decode,
// face alignment and key-frame sampling (temporal::ClipLoader), with the
// preprocessed arrays kept in an HDF5 cache (io::ArrayCache) so that epochs
// after the first, and later runs with the same input spec, skip decoding.
//
// Thread-safe for load() from up to `workers` threads at once, each passing
// its own worker number (one ClipLoader per worker).
//
//   ManifestClipSource source(manifest.rows, spec, "cache.h5", /*workers=*/2, /*record_failures=*/true);
//   source.prepare(nullptr);                      // decode each clip once into the cache
//   engine::ClipArray clip = source.load(0, /*seed=*/0, /*worker=*/0);
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "mexa/engine/trainer.h"
#include "mexa/io/array_cache.h"
#include "mexa/io/manifest.h"
#include "mexa/temporal/clip_loader.h"

namespace mexa::pipeline {

class ManifestClipSource : public engine::ClipSource {
 public:
  /// `cache_path` "" disables the cache. `workers`: how many threads may call
  /// load() at once. With `record_failures`, a clip that fails to load is
  /// recorded (failures()) and returned empty; otherwise the error propagates.
  ManifestClipSource(std::vector<io::ManifestRow> rows, temporal::ClipSpec spec, const std::string& cache_path,
                     int workers, bool record_failures);
  ~ManifestClipSource() override;

  engine::ClipArray load(int64_t index, uint64_t seed, int worker) override;

  /// Loads every clip once with the worker threads (fills the cache); failed
  /// clips are recorded. `on_done(done, total)` after each clip.
  void prepare(const std::function<void(int64_t, int64_t)>& on_done);

  /// index -> "file: reason" of every clip that failed so far.
  std::map<int64_t, std::string> failures() const;

  /// The clips loaded so far (prepare(): all) whose detector found no face on
  /// the alignment frame: the whole frame was used (ClipSpec::require_face
  /// makes them failures instead). Empty without a detector.
  std::set<int64_t> no_face() const;

 private:
  engine::ClipArray fetch(int64_t index, uint64_t seed, int worker);            // throws
  engine::ClipArray fetch_or_record(int64_t index, uint64_t seed, int worker);  // records, returns empty
  engine::ClipArray load_uncached(int64_t index, uint64_t seed, int worker);
  std::string cache_key(const io::ManifestRow& row) const;
  /// Keeps a copy of `clip` in held_ while the budget allows (cache_mutex_ held).
  void hold(int64_t index, const engine::ClipArray& clip);

  std::vector<io::ManifestRow> rows_;
  temporal::ClipSpec spec_;
  std::string spec_text_;
  bool record_failures_;
  std::vector<std::unique_ptr<temporal::ClipLoader>> loaders_, jitter_loaders_;  // one per worker, made on first use
  std::unique_ptr<io::ArrayCache> cache_;
  /// Canonical clips already read, kept in memory up to kHeldBytes: training
  /// reads every clip once per epoch, and a 500-epoch run spent a quarter of
  /// its time decompressing the same arrays from the cache file again.
  static constexpr size_t kHeldBytes = size_t{1} << 30;
  std::map<int64_t, engine::ClipArray> held_;  // under cache_mutex_
  size_t held_bytes_ = 0;
  mutable std::mutex cache_mutex_, failures_mutex_;
  std::map<int64_t, std::string> failures_;
  std::set<int64_t> no_face_;  // under failures_mutex_
};

}  // namespace mexa::pipeline
