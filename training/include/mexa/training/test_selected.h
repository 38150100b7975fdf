// The optimistic "test-selected" figure that published micro-expression code
// reports (`mexa train --report-test-selected`): every epoch also predicts
// the fold's test clips (folds/NAME/test_by_epoch.csv); pooling then takes,
// per test subject, the epoch with the highest accuracy on that subject's
// clips, ties going to the latest. It looks at the test labels to choose,
// so it is for comparison with published tables only, never the headline.
#pragma once

#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <vector>

#include "mexa/engine/trainer.h"
#include "mexa/training/pool.h"

namespace mexa::training {

/// folds/NAME/test_by_epoch.csv: "epoch,id,subject,label,predicted" (class
/// names), one row per epoch and test clip, from the fold's history.
std::string test_by_epoch_csv(const std::vector<engine::EpochRecord>& history, const std::vector<int64_t>& test,
                              const io::Manifest& manifest, const std::vector<int>& labels,
                              const std::vector<std::string>& classes);

/// The test-selected figure over every fold of `run`: {note, acc, uf1, uar,
/// per_dataset (a composite's), subjects: [{subject, epoch, n, correct}]}.
/// nullopt when a fold has no test_by_epoch.csv (trained without the flag).
/// Throws DataError naming a damaged file.
std::optional<nlohmann::json> test_selected_summary(const RunDescription& run);

}  // namespace mexa::training
