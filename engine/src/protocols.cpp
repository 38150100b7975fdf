#include "mexa/engine/protocols.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <random>
#include <set>
#include <stdexcept>

#include "mexa/enum_names.h"

namespace mexa::engine {
namespace {

std::vector<std::string> distinct_sorted(const std::vector<std::string>& subjects) {
  const std::set<std::string> unique(subjects.begin(), subjects.end());
  return {unique.begin(), unique.end()};
}

/// Clip indices of the given subjects, in clip order.
std::vector<int64_t> clips_of(const std::vector<std::string>& subjects, const std::set<std::string>& wanted) {
  std::vector<int64_t> out;
  for (size_t i = 0; i < subjects.size(); ++i)
    if (wanted.count(subjects[i])) out.push_back(static_cast<int64_t>(i));
  return out;
}

Fold build_fold(std::string name, const std::vector<std::string>& clip_subjects, const std::set<std::string>& test,
                const std::vector<std::string>& all, const ProtocolOptions& options, uint64_t fold_seed) {
  std::vector<std::string> train_subjects;
  for (const auto& s : all)
    if (!test.count(s)) train_subjects.push_back(s);
  std::set<std::string> val;
  if (options.val_fraction > 0 && train_subjects.size() > 1) {
    std::mt19937_64 rng(fold_seed);
    std::shuffle(train_subjects.begin(), train_subjects.end(), rng);
    const auto n = std::clamp<size_t>(
        static_cast<size_t>(std::lround(options.val_fraction * static_cast<double>(train_subjects.size()))), 1,
        train_subjects.size() - 1);
    val.insert(train_subjects.begin(), train_subjects.begin() + static_cast<std::ptrdiff_t>(n));
  }
  std::set<std::string> train;
  for (const auto& s : train_subjects)
    if (!val.count(s)) train.insert(s);
  return {std::move(name), clips_of(clip_subjects, train), clips_of(clip_subjects, val), clips_of(clip_subjects, test)};
}

}  // namespace

static const EnumNames<Protocol>& protocol_names() {
  static const EnumNames<Protocol> names("protocol",
                                         {{Protocol::Split, "split"}, {Protocol::KFold, "kfold"}, {Protocol::Loso, "loso"}});
  return names;
}

Protocol parse_protocol(const std::string& name) { return protocol_names().parse(name); }
std::string protocol_name(Protocol protocol) { return protocol_names().name(protocol); }

std::vector<Fold> make_folds(const std::vector<std::string>& subjects, const ProtocolOptions& options) {
  const auto all = distinct_sorted(subjects);
  if (all.size() < 2) throw std::invalid_argument("subject-independent protocols need at least 2 subjects");
  if (options.val_fraction < 0 || options.val_fraction >= 1)
    throw std::invalid_argument("validation fraction must be in [0, 1)");
  std::vector<Fold> folds;
  switch (options.protocol) {
    case Protocol::Loso:
      for (size_t i = 0; i < all.size(); ++i)
        folds.push_back(build_fold("loso-" + all[i], subjects, {all[i]}, all, options, options.seed + i));
      break;
    case Protocol::KFold: {
      if (options.folds < 2 || static_cast<size_t>(options.folds) > all.size())
        throw std::invalid_argument("kfold needs 2 <= folds <= subjects (" + std::to_string(all.size()) + "), got " +
                                    std::to_string(options.folds));
      auto shuffled = all;
      std::mt19937_64 rng(options.seed);
      std::shuffle(shuffled.begin(), shuffled.end(), rng);
      for (int k = 0; k < options.folds; ++k) {
        std::set<std::string> test;
        for (size_t i = static_cast<size_t>(k); i < shuffled.size(); i += static_cast<size_t>(options.folds))
          test.insert(shuffled[i]);
        folds.push_back(build_fold("kfold-" + std::to_string(k + 1), subjects, test, all, options,
                                   options.seed + static_cast<uint64_t>(k) + 1));
      }
      break;
    }
    case Protocol::Split: {
      if (!(options.test_fraction > 0 && options.test_fraction < 1))
        throw std::invalid_argument("test fraction must be in (0, 1)");
      auto shuffled = all;
      std::mt19937_64 rng(options.seed);
      std::shuffle(shuffled.begin(), shuffled.end(), rng);
      const auto n = std::clamp<size_t>(
          static_cast<size_t>(std::lround(options.test_fraction * static_cast<double>(all.size()))), 1, all.size() - 1);
      folds.push_back(build_fold("split", subjects, {shuffled.begin(), shuffled.begin() + static_cast<std::ptrdiff_t>(n)},
                                 all, options, options.seed + 1));
      break;
    }
  }
  return folds;
}

}  // namespace mexa::engine
