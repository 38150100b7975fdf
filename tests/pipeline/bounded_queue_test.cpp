// pipeline::BoundedQueue: order, the end of input, cancellation. No timing:
// every wait in these tests ends by a state change, never by a clock.
#include <gtest/gtest.h>

#include <thread>
#include <vector>

#include "mexa/pipeline/bounded_queue.h"

namespace mexa::pipeline {
namespace {

TEST(BoundedQueue, PopsInPushOrderThenEndsWhenEveryProducerIsDone) {
  BoundedQueue<int> queue(4, /*producers=*/2);
  EXPECT_TRUE(queue.push(1));
  EXPECT_TRUE(queue.push(2));
  queue.producer_done();
  EXPECT_TRUE(queue.push(3));
  queue.producer_done();
  std::vector<int> seen;
  while (auto item = queue.pop()) seen.push_back(*item);
  EXPECT_EQ(seen, (std::vector<int>{1, 2, 3}));
  EXPECT_FALSE(queue.pop().has_value());  // stays ended
}

TEST(BoundedQueue, ManyProducersDeliverEveryItemOnceThroughASmallQueue) {
  constexpr int kProducers = 3, kEach = 500;
  BoundedQueue<int> queue(2, kProducers);
  std::vector<std::jthread> producers;
  for (int p = 0; p < kProducers; ++p)
    producers.emplace_back([&, p] {
      for (int i = 0; i < kEach; ++i) queue.push(p * kEach + i);
      queue.producer_done();
    });
  std::vector<int> count(kProducers * kEach, 0);
  while (auto item = queue.pop()) ++count[static_cast<size_t>(*item)];
  for (int c : count) ASSERT_EQ(c, 1);
}

TEST(BoundedQueue, CancelReleasesABlockedProducerAndEndsTheConsumer) {
  BoundedQueue<int> queue(1, /*producers=*/1);
  ASSERT_TRUE(queue.push(0));  // full now
  bool second_push = true;
  std::jthread producer([&] { second_push = queue.push(1); });  // blocks (or sees the cancel first)
  queue.cancel();
  producer.join();
  EXPECT_FALSE(second_push);
  EXPECT_FALSE(queue.pop().has_value());  // pending items dropped
  EXPECT_FALSE(queue.push(2));
}

}  // namespace
}  // namespace mexa::pipeline
