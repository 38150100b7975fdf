// pipeline::BoundedQueue: a blocking multi-producer, multi-consumer queue of
// at most `capacity` items — what keeps the scoring pipeline's memory bounded
// whatever the number of videos (decode workers push analysed clips, the
// inference thread pops them).
//
// Thread-safe. The queue knows its producers: when the last one calls
// producer_done(), pop() drains what is left and then reports the end.
// cancel() ends it at once (a fatal error): pending items are dropped and
// blocked push() calls return false.
//
//   BoundedQueue<Work> queue(/*capacity=*/4, /*producers=*/2);
//   // producer: while (...) if (!queue.push(make())) break;  queue.producer_done();
//   // consumer: while (auto w = queue.pop()) use(*w);
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <mutex>
#include <optional>

namespace mexa::pipeline {

template <typename T>
class BoundedQueue {
 public:
  BoundedQueue(size_t capacity, int producers) : capacity_(capacity < 1 ? 1 : capacity), producers_(producers) {}

  /// Blocks while the queue is full. False (item dropped) once cancelled.
  bool push(T item) {
    std::unique_lock lock(mutex_);
    not_full_.wait(lock, [&] { return items_.size() < capacity_ || cancelled_; });
    if (cancelled_) return false;
    items_.push_back(std::move(item));
    not_empty_.notify_one();
    return true;
  }

  /// Blocks while empty and producers remain. Empty once every producer is
  /// done and the queue drained, or once cancelled.
  std::optional<T> pop() {
    std::unique_lock lock(mutex_);
    not_empty_.wait(lock, [&] { return !items_.empty() || producers_ <= 0 || cancelled_; });
    if (cancelled_ || items_.empty()) return std::nullopt;
    T item = std::move(items_.front());
    items_.pop_front();
    not_full_.notify_one();
    return item;
  }

  /// One producer has finished (normally or not).
  void producer_done() {
    std::lock_guard lock(mutex_);
    --producers_;
    not_empty_.notify_all();
  }

  /// Drops the pending items and wakes every waiting producer and consumer.
  void cancel() {
    std::lock_guard lock(mutex_);
    cancelled_ = true;
    items_.clear();
    not_full_.notify_all();
    not_empty_.notify_all();
  }

  size_t capacity() const { return capacity_; }

 private:
  const size_t capacity_;
  int producers_;
  bool cancelled_ = false;
  std::deque<T> items_;
  std::mutex mutex_;
  std::condition_variable not_full_, not_empty_;
};

}  // namespace mexa::pipeline
