// pipeline::OrderedWindow: items come back in position order whatever order
// the workers finish in; workers never run more than the window ahead; a
// limit ends at a batch boundary; cancel releases everyone. No assertion
// depends on timing: waits end by state changes (the poll only bounds a wait).
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

#include "mexa/pipeline/ordered_window.h"

namespace mexa::pipeline {
namespace {

using std::chrono::milliseconds;

/// take() until the range is in (each wait bounded by the poll).
std::optional<std::vector<int>> take_all(OrderedWindow<int>& window, size_t begin, size_t end) {
  bool waiting = true;
  std::optional<std::vector<int>> out;
  while (waiting) out = window.take(begin, end, milliseconds(50), waiting);
  return out;
}

TEST(OrderedWindow, ReturnsRangesInPositionOrderWhateverTheCompletionOrder) {
  OrderedWindow<int> window(6, 6);
  std::vector<size_t> claimed;
  for (int i = 0; i < 6; ++i) claimed.push_back(*window.claim());
  EXPECT_EQ(claimed, (std::vector<size_t>{0, 1, 2, 3, 4, 5}));
  EXPECT_FALSE(window.claim()) << "every position handed out";
  for (size_t p : {5, 2, 0, 4, 1, 3}) window.put(p, static_cast<int>(p) * 10);
  EXPECT_EQ(*take_all(window, 0, 4), (std::vector<int>{0, 10, 20, 30}));
  window.advance(4);
  EXPECT_EQ(*take_all(window, 4, 6), (std::vector<int>{40, 50}));
}

TEST(OrderedWindow, TakeWaitsForTheWholeRangeAndSaysWhenItTimedOut) {
  OrderedWindow<int> window(3, 3);
  for (int i = 0; i < 3; ++i) window.claim();
  window.put(0, 1);
  window.put(2, 3);
  bool timed_out = false;
  EXPECT_FALSE(window.take(0, 3, milliseconds(1), timed_out));
  EXPECT_TRUE(timed_out) << "position 1 is missing";
  window.put(1, 2);
  EXPECT_EQ(*window.take(0, 3, milliseconds(1), timed_out), (std::vector<int>{1, 2, 3}));
  EXPECT_FALSE(timed_out);
}

TEST(OrderedWindow, WorkersNeverRunMoreThanTheWindowAheadOfTheConsumer) {
  constexpr size_t kItems = 40, kWindow = 5, kBatch = 4;
  OrderedWindow<int> window(kItems, kWindow);
  // `taken` is set to a range's end just before advance() moves the window
  // there, so it is never behind the window's own count when a worker reads
  // it: the lead measured can only be smaller than the true one (never a
  // false failure by timing), and equals it while the consumer waits.
  std::atomic<long> taken{0}, worst_lead{0};
  std::vector<std::jthread> workers;
  for (int w = 0; w < 3; ++w)
    workers.emplace_back([&] {
      while (const auto p = window.claim()) {
        const long lead = static_cast<long>(*p) - taken.load();
        for (long seen = worst_lead.load(); lead > seen && !worst_lead.compare_exchange_weak(seen, lead);) {
        }
        window.put(*p, static_cast<int>(*p));
      }
    });
  std::vector<int> all;
  for (size_t begin = 0; begin < kItems; begin += kBatch) {
    const auto batch = take_all(window, begin, begin + kBatch);
    if (!batch) {
      window.cancel();  // release the workers before the jthreads join
      FAIL() << "range " << begin << " never came";
    }
    all.insert(all.end(), batch->begin(), batch->end());
    taken = static_cast<long>(begin + kBatch);
    window.advance(begin + kBatch);
  }
  workers.clear();
  for (size_t i = 0; i < kItems; ++i) EXPECT_EQ(all[i], static_cast<int>(i));
  EXPECT_LT(worst_lead.load(), static_cast<long>(kWindow));
}

TEST(OrderedWindow, ALimitStopsHandingOutPositionsAtABatchBoundary) {
  OrderedWindow<int> window(10, 10);
  window.claim();
  window.limit(4);
  std::vector<size_t> claimed;
  while (const auto p = window.claim()) claimed.push_back(*p);
  EXPECT_EQ(claimed, (std::vector<size_t>{1, 2, 3}));
  window.limit(8);  // a limit only ever shrinks
  EXPECT_FALSE(window.claim());
}

TEST(OrderedWindow, CancelReleasesABlockedWorkerAndTheConsumer) {
  OrderedWindow<int> window(10, 1);
  window.claim();  // the window is full: the next claim blocks
  std::optional<size_t> blocked_claim{99};
  std::jthread worker([&] { blocked_claim = window.claim(); });
  window.cancel();
  worker.join();
  EXPECT_FALSE(blocked_claim);
  bool timed_out = true;
  EXPECT_FALSE(window.take(0, 1, milliseconds(1000), timed_out));
  EXPECT_FALSE(timed_out) << "cancelled, not timed out";
}

}  // namespace
}  // namespace mexa::pipeline
