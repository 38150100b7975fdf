// pipeline::OrderedWindow: worker threads produce items 0..n-1 in any order
// of completion; one consumer takes them back in position order, a range at
// a time. Workers claim positions in increasing order and may run at most
// `window` positions ahead of what the consumer has finished with
// (advance()), so memory stays bounded however slow one item is. The scorer uses it to form inference
// batches by input position, not by which worker finished first.
//
// Thread-safe: any number of workers (claim/put), one consumer (take/advance).
//
//   OrderedWindow<Work> window(/*size=*/n, /*window=*/8);
//   worker:   while (auto p = window.claim()) window.put(*p, work(*p));
//   consumer: take(begin, end, poll, waiting) until the range is in; use it; advance(end); begin = end.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <map>
#include <mutex>
#include <optional>
#include <vector>

namespace mexa::pipeline {

template <typename T>
class OrderedWindow {
 public:
  OrderedWindow(size_t size, size_t window) : limit_(size), window_(window < 1 ? 1 : window) {}

  /// The next position to work on, in increasing order; waits while it is a
  /// whole window ahead of the consumer. nullopt once every position below
  /// the limit is claimed, or after cancel().
  std::optional<size_t> claim() {
    std::unique_lock lock(mutex_);
    room_.wait(lock, [&] { return cancelled_ || next_ >= limit_ || next_ < taken_ + window_; });
    if (cancelled_ || next_ >= limit_) return std::nullopt;
    return next_++;
  }

  /// A worker's result for a position it claimed.
  void put(size_t position, T item) {
    {
      std::lock_guard lock(mutex_);
      done_.emplace(position, std::move(item));
    }
    arrived_.notify_all();
  }

  /// Positions [begin, end) in order, once all are in; begin must be where
  /// the last take ended. The window moves only with advance(). Waits at most `poll` at a time, then returns
  /// nullopt with `timed_out` set, so the consumer can look at a stop flag;
  /// nullopt without it after cancel().
  std::optional<std::vector<T>> take(size_t begin, size_t end, std::chrono::milliseconds poll, bool& timed_out) {
    std::unique_lock lock(mutex_);
    timed_out = false;
    const auto ready = [&] {
      if (cancelled_) return true;
      for (size_t p = begin; p < end; ++p)
        if (!done_.count(p)) return false;
      return true;
    };
    if (!arrived_.wait_for(lock, poll, ready)) {
      timed_out = true;
      return std::nullopt;
    }
    if (cancelled_) return std::nullopt;
    std::vector<T> out;
    out.reserve(end - begin);
    for (size_t p = begin; p < end; ++p) {
      auto it = done_.find(p);
      out.push_back(std::move(it->second));
      done_.erase(it);
    }
    return out;
  }

  /// The consumer is done with every position before `end`: workers may
  /// now claim up to end + window.
  void advance(size_t end) {
    {
      std::lock_guard lock(mutex_);
      if (end > taken_) taken_ = end;
    }
    room_.notify_all();
  }

  /// No position at or after `end` is handed out any more (those already
  /// claimed still arrive): a stop that ends at a batch boundary.
  void limit(size_t end) {
    {
      std::lock_guard lock(mutex_);
      if (end < limit_) limit_ = end;
    }
    room_.notify_all();
  }

  /// Releases every waiting worker and the consumer: nothing more is handed out or taken.
  void cancel() {
    {
      std::lock_guard lock(mutex_);
      cancelled_ = true;
    }
    room_.notify_all();
    arrived_.notify_all();
  }


 private:
  std::mutex mutex_;
  std::condition_variable room_, arrived_;
  std::map<size_t, T> done_;
  size_t limit_, window_;
  size_t next_ = 0, taken_ = 0;
  bool cancelled_ = false;
};

}  // namespace mexa::pipeline
