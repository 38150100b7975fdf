// engine samplers: exact class probabilities and seeded epoch orders.
#include <gtest/gtest.h>

#include <map>
#include <set>

#include "mexa/engine/samplers.h"

namespace mexa::engine {
namespace {

const std::vector<int64_t> kCounts{100, 25, 4};

TEST(Samplers, ClassProbabilitiesFollowNToTheQ) {
  auto near = [](const std::vector<double>& got, const std::vector<double>& want) {
    ASSERT_EQ(got.size(), want.size());
    for (size_t i = 0; i < got.size(); ++i) EXPECT_NEAR(got[i], want[i], 1e-12) << i;
  };
  near(class_probabilities(ClassSampling::Instance, kCounts, 0, 10), {100.0 / 129, 25.0 / 129, 4.0 / 129});
  near(class_probabilities(ClassSampling::SquareRoot, kCounts, 0, 10), {10.0 / 17, 5.0 / 17, 2.0 / 17});
  near(class_probabilities(ClassSampling::ClassBalanced, kCounts, 0, 10), {1.0 / 3, 1.0 / 3, 1.0 / 3});
  // Progressive: instance at the first epoch, balanced at the last, halfway between in the middle.
  near(class_probabilities(ClassSampling::Progressive, kCounts, 0, 11), {100.0 / 129, 25.0 / 129, 4.0 / 129});
  near(class_probabilities(ClassSampling::Progressive, kCounts, 10, 11), {1.0 / 3, 1.0 / 3, 1.0 / 3});
  near(class_probabilities(ClassSampling::Progressive, kCounts, 5, 11),
       {(100.0 / 129 + 1.0 / 3) / 2, (25.0 / 129 + 1.0 / 3) / 2, (4.0 / 129 + 1.0 / 3) / 2});
}

std::vector<int> labels_of(const std::vector<int64_t>& counts) {
  std::vector<int> labels;
  for (size_t c = 0; c < counts.size(); ++c) labels.insert(labels.end(), static_cast<size_t>(counts[c]), static_cast<int>(c));
  return labels;
}

TEST(Samplers, InstanceIsASeededPermutation) {
  const auto labels = labels_of(kCounts);
  const auto a = epoch_indices(ClassSampling::Instance, labels, 3, 10, 42);
  EXPECT_EQ(std::set<int64_t>(a.begin(), a.end()).size(), labels.size());
  EXPECT_EQ(a, epoch_indices(ClassSampling::Instance, labels, 3, 10, 42));
  EXPECT_NE(a, epoch_indices(ClassSampling::Instance, labels, 4, 10, 42));
  EXPECT_NE(a, epoch_indices(ClassSampling::Instance, labels, 3, 10, 43));
}

TEST(Samplers, ClassBalancedDrawsClassesEquallyOften) {
  const auto labels = labels_of({3000, 300, 30});
  std::map<int, int> drawn;
  for (int64_t i : epoch_indices(ClassSampling::ClassBalanced, labels, 0, 1, 7)) ++drawn[labels[static_cast<size_t>(i)]];
  for (int c = 0; c < 3; ++c) EXPECT_NEAR(drawn[c] / static_cast<double>(labels.size()), 1.0 / 3, 0.02) << c;
}

TEST(Samplers, StagedScheduleSwitchesAfterRepresentationLearning) {
  const StagedSampling staged{5, ClassSampling::SquareRoot};
  EXPECT_EQ(staged.at(0), ClassSampling::Instance);
  EXPECT_EQ(staged.at(4), ClassSampling::Instance);
  EXPECT_EQ(staged.at(5), ClassSampling::SquareRoot);
  EXPECT_THROW(parse_class_sampling("random"), std::invalid_argument);
  EXPECT_EQ(parse_class_sampling("progressive"), ClassSampling::Progressive);
}

}  // namespace
}  // namespace mexa::engine
