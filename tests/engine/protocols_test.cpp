// engine protocols: subject-independent folds, validation carved from training subjects.
#include <gtest/gtest.h>

#include <set>

#include "mexa/engine/protocols.h"

namespace mexa::engine {
namespace {

/// 5 subjects with 3, 1, 2, 4 and 2 clips.
const std::vector<std::string> kSubjects{"s1", "s1", "s1", "s2", "s3", "s3", "s4", "s4", "s4", "s4", "s5", "s5"};

std::set<std::string> subjects_of(const std::vector<int64_t>& clips) {
  std::set<std::string> out;
  for (int64_t i : clips) out.insert(kSubjects[static_cast<size_t>(i)]);
  return out;
}

void expect_subject_independent(const Fold& fold) {
  const auto train = subjects_of(fold.train), val = subjects_of(fold.val), test = subjects_of(fold.test);
  for (const auto& s : test) {
    EXPECT_FALSE(train.count(s)) << fold.name << ": test subject " << s << " also trains";
    EXPECT_FALSE(val.count(s)) << fold.name << ": test subject " << s << " also validates";
  }
  for (const auto& s : val) EXPECT_FALSE(train.count(s)) << fold.name << ": " << s;
  EXPECT_EQ(fold.train.size() + fold.val.size() + fold.test.size(), kSubjects.size()) << fold.name;
}

TEST(Protocols, LosoLeavesEachSubjectOutOnce) {
  const auto folds = make_folds(kSubjects, {.protocol = Protocol::Loso});
  ASSERT_EQ(folds.size(), 5u);
  std::multiset<int64_t> tested;
  for (const auto& f : folds) {
    expect_subject_independent(f);
    EXPECT_EQ(subjects_of(f.test).size(), 1u);
    EXPECT_TRUE(f.val.empty());
    tested.insert(f.test.begin(), f.test.end());
  }
  EXPECT_EQ(folds[1].name, "loso-s2");
  EXPECT_EQ(folds[1].test, (std::vector<int64_t>{3}));
  EXPECT_EQ(tested.size(), kSubjects.size());
  EXPECT_EQ(std::set<int64_t>(tested.begin(), tested.end()).size(), kSubjects.size());  // each clip tested once
}

TEST(Protocols, KFoldTestsEveryClipOnceAndIsSeeded) {
  const auto folds = make_folds(kSubjects, {.protocol = Protocol::KFold, .folds = 2, .seed = 7});
  ASSERT_EQ(folds.size(), 2u);
  std::set<int64_t> tested;
  for (const auto& f : folds) {
    expect_subject_independent(f);
    for (int64_t i : f.test) EXPECT_TRUE(tested.insert(i).second) << i << " tested twice";
  }
  EXPECT_EQ(tested.size(), kSubjects.size());
  const auto again = make_folds(kSubjects, {.protocol = Protocol::KFold, .folds = 2, .seed = 7});
  EXPECT_EQ(again[0].test, folds[0].test);
  EXPECT_THROW(make_folds(kSubjects, {.protocol = Protocol::KFold, .folds = 6}), std::invalid_argument);
}

TEST(Protocols, ValidationComesFromTrainingSubjectsOnly) {
  for (auto protocol : {Protocol::Loso, Protocol::KFold, Protocol::Split}) {
    const auto folds = make_folds(kSubjects, {.protocol = protocol, .folds = 2, .val_fraction = 0.25, .seed = 3});
    for (const auto& f : folds) {
      expect_subject_independent(f);
      EXPECT_FALSE(f.val.empty()) << f.name;
      EXPECT_FALSE(f.train.empty()) << f.name;
    }
  }
}

TEST(Protocols, SplitHoldsOutAShareOfSubjects) {
  const auto folds = make_folds(kSubjects, {.protocol = Protocol::Split, .test_fraction = 0.4, .seed = 1});
  ASSERT_EQ(folds.size(), 1u);
  expect_subject_independent(folds[0]);
  EXPECT_EQ(subjects_of(folds[0].test).size(), 2u);
  EXPECT_EQ(parse_protocol("loso"), Protocol::Loso);
  EXPECT_THROW(parse_protocol("random"), std::invalid_argument);
  EXPECT_THROW(make_folds({"a", "a"}, {}), std::invalid_argument);
}

}  // namespace
}  // namespace mexa::engine
