// Subject-independent evaluation protocols (MEGC): which clips train, which
// select the model, which test, per fold. No clip of a test subject is ever
// in that fold's training or validation set.
//   split  one fold; a share of the subjects (test_fraction) is the test set
//   kfold  subjects dealt into k folds; each fold tests one part
//   loso   leave one subject out: one fold per subject
// Validation (for picking the best epoch) is carved from each fold's TRAINING
// subjects (val_fraction of them, at least one when > 0), never from the test
// subjects: picking epochs on the test fold would leak it into the score.
// Deterministic for a seed. Plain C++, thread-safe.
//
//   auto folds = mexa::engine::make_folds(subjects, {.protocol = Protocol::KFold, .folds = 5});
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace mexa::engine {

enum class Protocol { Split, KFold, Loso };

/// Parses "split", "kfold", "loso"; throws std::invalid_argument.
Protocol parse_protocol(const std::string& name);
std::string protocol_name(Protocol protocol);

struct ProtocolOptions {
  Protocol protocol = Protocol::Loso;
  int folds = 5;               ///< kfold
  double test_fraction = 0.2;  ///< split: share of subjects tested
  double val_fraction = 0.0;   ///< share of each fold's training subjects used for validation
  uint64_t seed = 0;           ///< subject shuffling for split / kfold / validation
};

struct Fold {
  std::string name;  ///< "loso-sub03", "kfold-2", "split"
  std::vector<int64_t> train, val, test;  ///< indices into the subjects vector
};

/// `subjects[i]` is the subject of clip i. Throws std::invalid_argument when the
/// protocol needs more subjects than there are (kfold with fewer than k, any
/// protocol with fewer than 2).
std::vector<Fold> make_folds(const std::vector<std::string>& subjects, const ProtocolOptions& options);

}  // namespace mexa::engine
