#include "mexa/pipeline/manifest_clip_source.h"

#include <atomic>
#include <filesystem>
#include <stdexcept>
#include <thread>

#include "mexa/io/errors.h"
#include "mexa/pipeline/model_input.h"

namespace mexa::pipeline {
namespace {

namespace fs = std::filesystem;

/// Size and modification time: a changed file is a cache miss.
std::string file_stamp(const std::string& path) {
  std::error_code ec;
  const auto time = fs::last_write_time(path, ec).time_since_epoch().count();
  const auto size = fs::is_regular_file(path, ec) ? fs::file_size(path, ec) : 0;
  return std::to_string(size) + ":" + std::to_string(time);
}

}  // namespace

ManifestClipSource::ManifestClipSource(std::vector<io::ManifestRow> rows, temporal::ClipSpec spec,
                                       const std::string& cache_path, int workers, bool record_failures)
    : rows_(std::move(rows)), spec_(spec), record_failures_(record_failures) {
  spec_.augment = {};  // the trainer augments; cached arrays are the canonical clips
  for (const auto& [key, value] : input_metadata(spec_)) spec_text_ += key + "=" + value + ";";
  // Face-aligned clips: the alignment changed (one FaceAlignment per clip, a
  // closed-form fit); clips cached by an older mexa are misses, not mixed in.
  if (spec_.face != temporal::FaceDetector::None) spec_text_ += "alignment=2;";
  if (spec_.require_face) spec_text_ += "require_face=1;";  // no-face clips fail: never a hit from a run without it
  loaders_.resize(static_cast<size_t>(std::max(1, workers)));
  jitter_loaders_.resize(loaders_.size());
  if (!cache_path.empty()) {
    if (fs::path(cache_path).has_parent_path()) fs::create_directories(fs::path(cache_path).parent_path());
    cache_ = std::make_unique<io::ArrayCache>(cache_path);
  }
}

ManifestClipSource::~ManifestClipSource() = default;

std::string ManifestClipSource::cache_key(const io::ManifestRow& row) const {
  return spec_text_ + "|" + row.path + "|" + file_stamp(row.path) + "|" + std::to_string(row.onset) + "," +
         std::to_string(row.apex) + "," + std::to_string(row.offset);
}

engine::ClipArray ManifestClipSource::load_uncached(int64_t index, uint64_t seed, int worker) {
  const auto& row = rows_.at(static_cast<size_t>(index));
  const bool jittered = spec_.jitter > 0 && seed != 0;
  auto& slot = (jittered ? jitter_loaders_ : loaders_).at(static_cast<size_t>(worker));
  if (!slot) {
    auto spec = spec_;
    if (!jittered) spec.jitter = 0;
    slot = std::make_unique<temporal::ClipLoader>(spec);
  }
  auto sample = slot->load(row.path, {row.onset, row.apex, row.offset}, jittered ? seed : 0);
  if (!sample.face_found) {
    std::lock_guard lock(failures_mutex_);
    no_face_.insert(index);
  }
  return {sample.shape, std::move(sample.data)};
}

engine::ClipArray ManifestClipSource::fetch(int64_t index, uint64_t seed, int worker) {
  const auto& row = rows_.at(static_cast<size_t>(index));
  // Temporally jittered clips differ per epoch: decoded each time, never cached.
  if (!cache_ || (spec_.jitter > 0 && seed != 0)) return load_uncached(index, seed, worker);
  {
    std::lock_guard lock(cache_mutex_);
    if (const auto held = held_.find(index); held != held_.end()) return held->second;
  }
  // The key stats the file: only for clips not held (every epoch's fetches otherwise).
  const std::string key = cache_key(row), face_key = key + "|face_found";
  {
    std::lock_guard lock(cache_mutex_);  // HDF5 is not thread-safe
    auto hit = cache_->get(key);
    auto face = cache_->get(face_key);  // absent in caches from before it was kept: a miss
    if (hit && face && face->data.size() == 1) {
      if (face->data[0] == 0) {
        std::lock_guard failures_lock(failures_mutex_);
        no_face_.insert(index);
      }
      engine::ClipArray clip{std::move(hit->shape), std::move(hit->data)};
      hold(index, clip);
      return clip;
    }
  }
  auto clip = load_uncached(index, seed, worker);
  const float face_found = no_face().count(index) ? 0.f : 1.f;
  std::lock_guard lock(cache_mutex_);
  cache_->put(key, clip.shape, clip.data);
  cache_->put(face_key, {1}, {face_found});
  hold(index, clip);
  return clip;
}

void ManifestClipSource::hold(int64_t index, const engine::ClipArray& clip) {
  const size_t bytes = clip.data.size() * sizeof(float);
  if (held_bytes_ + bytes > kHeldBytes) return;
  if (held_.emplace(index, clip).second) held_bytes_ += bytes;
}

engine::ClipArray ManifestClipSource::fetch_or_record(int64_t index, uint64_t seed, int worker) {
  try {
    return fetch(index, seed, worker);
  } catch (const Error& e) {
    std::lock_guard lock(failures_mutex_);
    failures_[index] = e.what();
  } catch (const std::exception& e) {  // e.g. an OpenCV error on a strange frame: still this clip's failure
    std::lock_guard lock(failures_mutex_);
    failures_[index] = rows_.at(static_cast<size_t>(index)).path + ": " + e.what();
  }
  return {};
}

engine::ClipArray ManifestClipSource::load(int64_t index, uint64_t seed, int worker) {
  return record_failures_ ? fetch_or_record(index, seed, worker) : fetch(index, seed, worker);
}

void ManifestClipSource::prepare(const std::function<void(int64_t, int64_t)>& on_done) {
  const auto total = static_cast<int64_t>(rows_.size());
  std::atomic<int64_t> next{0}, done{0};
  std::mutex report_mutex;
  auto work = [&](int worker) {
    for (int64_t i = next++; i < total; i = next++) {
      fetch_or_record(i, 0, worker);
      const int64_t n = ++done;
      std::lock_guard lock(report_mutex);
      if (on_done) on_done(n, total);
    }
  };
  std::vector<std::thread> threads;
  for (size_t w = 1; w < loaders_.size(); ++w) threads.emplace_back(work, static_cast<int>(w));
  work(0);
  for (auto& t : threads) t.join();
}

std::map<int64_t, std::string> ManifestClipSource::failures() const {
  std::lock_guard lock(failures_mutex_);
  return failures_;
}

std::set<int64_t> ManifestClipSource::no_face() const {
  std::lock_guard lock(failures_mutex_);
  return no_face_;
}

}  // namespace mexa::pipeline
