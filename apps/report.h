// Classification results as JSON (MEGC metrics, per class, confusion) and as a
// table on stdout: shared by `mexa train` and `mexa eval`.
#pragma once

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

#include "mexa/engine/metrics.h"

namespace mexa::cli {

/// {"acc", "uf1", "uar", "n", "classes", "per_class": {name: {precision, recall, f1, support}}, "confusion"}
nlohmann::json report_json(const engine::ClassificationReport& report, const std::vector<std::string>& classes);
/// ACC / UF1 / UAR and per-class lines.
void print_report(const engine::ClassificationReport& report, const std::vector<std::string>& classes);
/// Writes `text` to `path` through a temporary file and a rename.
void write_file_atomically(const std::string& path, const std::string& text);

}  // namespace mexa::cli
