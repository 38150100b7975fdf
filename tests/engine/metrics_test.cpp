// engine::classification_report against numbers from scikit-learn 1.x
// (f1_score / recall_score with average='macro', zero_division=0), computed
// once in Python and written here; the computation under test is mexa's.
#include <gtest/gtest.h>

#include <stdexcept>

#include "mexa/engine/metrics.h"

namespace mexa::engine {
namespace {

TEST(Metrics, ThreeClassesMatchScikitLearn) {
  const std::vector<int> y{0, 0, 0, 0, 1, 1, 1, 2, 2, 2, 2, 2, 2, 0, 1, 2};
  const std::vector<int> p{0, 0, 1, 2, 1, 1, 0, 2, 2, 2, 1, 0, 2, 0, 2, 2};
  const auto r = classification_report(y, p, 3);
  EXPECT_NEAR(r.uf1, 0.6047619047619048, 1e-12);  // f1_score(average='macro')
  EXPECT_NEAR(r.uar, 0.6047619047619048, 1e-12);  // recall_score(average='macro')
  EXPECT_NEAR(r.acc, 0.625, 1e-12);
  EXPECT_NEAR(r.f1[2], 0.7142857142857143, 1e-12);
  EXPECT_NEAR(r.precision[1], 0.5, 1e-12);
  EXPECT_EQ(r.support, (std::vector<int64_t>{5, 4, 7}));
  EXPECT_EQ(r.confusion[0], (std::vector<int64_t>{3, 1, 1}));
  EXPECT_EQ(r.confusion[2], (std::vector<int64_t>{1, 1, 5}));
}

TEST(Metrics, SevenClassesWithAnUnpredictedClassMatchScikitLearn) {
  // Class 0 and 3 are never predicted correctly; UF1 and UAR differ here.
  const std::vector<int> y{5, 5, 5, 5, 6, 6, 6, 4, 4, 2, 2, 1, 1, 0, 3, 5, 6, 5, 4, 5};
  const std::vector<int> p{5, 5, 6, 5, 6, 6, 5, 4, 5, 2, 5, 1, 0, 5, 5, 5, 6, 5, 4, 6};
  const auto r = classification_report(y, p, 7);
  EXPECT_NEAR(r.uf1, 0.48403361344537815, 1e-12);
  EXPECT_NEAR(r.uar, 0.44727891156462585, 1e-12);
  EXPECT_NEAR(r.acc, 0.6, 1e-12);
  EXPECT_EQ(r.f1[3], 0.0);
  EXPECT_EQ(r.recall[0], 0.0);
}

TEST(Metrics, BadInputIsRejected) {
  EXPECT_THROW(classification_report({0, 1}, {0}, 2), std::invalid_argument);
  EXPECT_THROW(classification_report({0, 2}, {0, 1}, 2), std::invalid_argument);
  EXPECT_THROW(classification_report({0}, {-1}, 2), std::invalid_argument);
}

TEST(Metrics, AuMacroF1OverTheAusThatOccur) {
  // 4 clips, 3 AUs; AU 2 never occurs and is left out of the mean.
  // AU 0: truth {0, 1}, predicted {0, 2}: TP 1, FP 1, FN 1 -> 0.5.
  // AU 1: truth {1, 2, 3}, predicted {1, 2, 3}: 1.0.
  const std::vector<std::vector<int>> truth{{0}, {0, 1}, {1}, {1}}, predicted{{0}, {1}, {0, 1}, {1, 2}};
  const auto r = au_report(truth, predicted, 3);
  EXPECT_DOUBLE_EQ(r.f1[0], 0.5);
  EXPECT_DOUBLE_EQ(r.f1[1], 1.0);
  EXPECT_EQ(r.f1[2], -1);
  EXPECT_EQ(r.support, (std::vector<int64_t>{2, 3, 0}));
  EXPECT_DOUBLE_EQ(r.macro_f1, 0.75);
  EXPECT_EQ(au_report({{}}, {{0}}, 1).macro_f1, -1);  // nothing to score
  EXPECT_THROW(au_report({{0}}, {}, 1), std::invalid_argument);
}

}  // namespace
}  // namespace mexa::engine
