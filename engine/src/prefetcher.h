// The trainer's and predictor's data feed (engine-internal): clip arrays to
// tensors, batches loaded ahead by worker threads in a fixed order, and the
// per-sample seeds that make augmentation and jitter reproducible.
#pragma once

#include <torch/torch.h>

#include <condition_variable>
#include <cstdint>
#include <exception>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include "mexa/engine/trainer.h"

namespace mexa::engine {

/// SplitMix64: independent, well-mixed seeds from (seed, epoch, index).
inline uint64_t mix(uint64_t x) {
  x += 0x9E3779B97F4A7C15ULL;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
  return x ^ (x >> 31);
}
inline uint64_t sample_seed(uint64_t seed, int epoch, int64_t index) {
  return mix(mix(mix(seed) ^ static_cast<uint64_t>(epoch + 1)) ^ static_cast<uint64_t>(index)) | 1;  // never 0
}

/// The clip as a [C, T, H, W] float tensor owning its data; throws on a shape mismatch.
torch::Tensor to_tensor(ClipArray clip);

/// `order` cut into batches of `batch_size` (the last one shorter).
std::vector<std::vector<int64_t>> chunk(const std::vector<int64_t>& order, int batch_size);

/// Loads batches ahead in worker threads. Batch b is handed out only when all
/// of its clips are loaded, in the order given, so the data a step sees does
/// not depend on thread timing. At most `depth` batches are in flight.
class Prefetcher {
 public:
  using Loader = std::function<torch::Tensor(int64_t index, int worker)>;

  Prefetcher(std::vector<std::vector<int64_t>> batches, Loader loader, int workers, int depth)
      : batches_(std::move(batches)), loader_(std::move(loader)), depth_(std::max(1, depth)) {
    slots_.resize(batches_.size());
    for (size_t b = 0; b < batches_.size(); ++b) {
      slots_[b].items.resize(batches_[b].size());
      slots_[b].remaining = static_cast<int>(batches_[b].size());
      for (size_t i = 0; i < batches_[b].size(); ++i) jobs_.push_back({b, i});
    }
    for (int w = 0; w < workers; ++w) threads_.emplace_back([this, w] { work(w); });
  }
  ~Prefetcher() {
    {
      std::lock_guard lock(mutex_);
      stop_ = true;
    }
    wake_workers_.notify_all();
    for (auto& t : threads_) t.join();
  }
  Prefetcher(const Prefetcher&) = delete;
  Prefetcher& operator=(const Prefetcher&) = delete;

  size_t size() const { return batches_.size(); }

  /// The next batch's clips (stacked); rethrows a worker's error.
  std::vector<torch::Tensor> next() {
    const size_t b = consumed_;
    if (b >= batches_.size()) throw std::logic_error("no batch left");
    if (threads_.empty()) {  // no workers: load here
      for (size_t i = 0; i < batches_[b].size(); ++i) slots_[b].items[i] = loader_(batches_[b][i], 0);
      ++consumed_;
      return std::move(slots_[b].items);
    }
    std::unique_lock lock(mutex_);
    batch_ready_.wait(lock, [&] { return slots_[b].remaining == 0; });
    Slot slot = std::move(slots_[b]);
    ++consumed_;
    lock.unlock();
    wake_workers_.notify_all();
    if (slot.error) std::rethrow_exception(slot.error);
    return std::move(slot.items);
  }

 private:
  struct Slot {
    std::vector<torch::Tensor> items;
    int remaining = 0;
    std::exception_ptr error;
  };
  struct Job {
    size_t batch, position;
  };

  void work(int worker) {
    for (;;) {
      Job job{};
      {
        std::unique_lock lock(mutex_);
        wake_workers_.wait(lock, [&] {
          return stop_ || next_job_ >= jobs_.size() || jobs_[next_job_].batch < consumed_ + static_cast<size_t>(depth_);
        });
        if (stop_ || next_job_ >= jobs_.size()) return;
        job = jobs_[next_job_++];
      }
      torch::Tensor value;
      std::exception_ptr error;
      try {
        value = loader_(batches_[job.batch][job.position], worker);
      } catch (...) {
        error = std::current_exception();
      }
      {
        std::lock_guard lock(mutex_);
        Slot& slot = slots_[job.batch];
        slot.items[job.position] = std::move(value);
        if (error && !slot.error) slot.error = error;
        if (--slot.remaining == 0) batch_ready_.notify_all();
      }
    }
  }

  std::vector<std::vector<int64_t>> batches_;
  Loader loader_;
  int depth_;
  std::vector<Slot> slots_;
  std::vector<Job> jobs_;
  size_t next_job_ = 0;
  size_t consumed_ = 0;
  bool stop_ = false;
  std::mutex mutex_;
  std::condition_variable wake_workers_, batch_ready_;
  std::vector<std::thread> threads_;
};

}  // namespace mexa::engine
