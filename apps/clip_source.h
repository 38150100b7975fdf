// Clips of a manifest as the engine's training/prediction input: decode,
// face alignment and key-frame sampling (temporal::ClipLoader), with the
// preprocessed arrays kept in an HDF5 cache (io::ArrayCache) so that epochs
// after the first, and later runs with the same input spec, skip decoding.
// Also: the input spec <-> checkpoint metadata mapping, so that `mexa eval`
// and `mexa score` rebuild exactly the input a model was trained on.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "mexa/engine/trainer.h"
#include "mexa/io/array_cache.h"
#include "mexa/io/manifest.h"
#include "mexa/temporal/clip_loader.h"

namespace mexa::cli {

/// The input spec as checkpoint metadata ("input.frames" = "16", ...).
std::map<std::string, std::string> input_metadata(const temporal::ClipSpec& spec);
/// Back from checkpoint metadata; throws std::runtime_error naming a missing key.
temporal::ClipSpec input_spec_from(const std::map<std::string, std::string>& metadata);

/// A checkpoint ready to predict, and the input spec it was trained on.
struct LoadedModel {
  std::unique_ptr<engine::Predictor> predictor;
  temporal::ClipSpec spec;
};
/// Throws DataError naming the file when it is not a usable mexa checkpoint.
LoadedModel load_model(const std::string& checkpoint, const std::string& device);

/// --threads and --device of the engine commands: sets LibTorch's CPU threads and
/// checks the device text; throws UsageError for bad values.
void apply_compute_options(int threads, const std::string& device);

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

 private:
  engine::ClipArray fetch(int64_t index, uint64_t seed, int worker);            // throws
  engine::ClipArray fetch_or_record(int64_t index, uint64_t seed, int worker);  // records, returns empty
  engine::ClipArray load_uncached(int64_t index, uint64_t seed, int worker);
  std::string cache_key(const io::ManifestRow& row) const;

  std::vector<io::ManifestRow> rows_;
  temporal::ClipSpec spec_;
  std::string spec_text_;
  bool record_failures_;
  std::vector<std::unique_ptr<temporal::ClipLoader>> loaders_, jitter_loaders_;  // one per worker, made on first use
  std::unique_ptr<io::ArrayCache> cache_;
  mutable std::mutex cache_mutex_, failures_mutex_;
  std::map<int64_t, std::string> failures_;
};

}  // namespace mexa::cli
