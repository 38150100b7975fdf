// mexa::report: one self-contained HTML page (no network: Chart.js, the data
// and the page's script are inline) describing training runs (a `mexa train`
// --out folder) and results files (`mexa score` HDF5), alone or side by side.
//
// The data a page embeds is built first, as JSON, by run_data() and
// results_data() (tested against summary.json and the HDF5 file); html()
// renders it. Large results files stay usable: only the clips' table is read
// whole; per-frame curves are read for the plotted clips alone and sampled to
// at most ReportOptions::max_points points (min/max per bucket, so peaks stay).
//
//   mexa::io::write_text_file("report.html", mexa::report::report_page({"runs/loso"}, {}));
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace mexa::report {

struct ReportOptions {
  std::vector<std::string> clips;  ///< results: ids of the clips to plot; empty: clips_per_class per predicted class
  int clips_per_class = 2;
  int max_points = 2000;           ///< a longer per-frame curve is sampled down to this many points
  int max_failures = 200;          ///< rows of the failures tables
  /// Per-clip face-detection rates are computed for every clip when the file
  /// holds at most this many frames, else for the plotted clips only.
  int64_t max_scanned_frames = 2'000'000;
};

/// A training run folder: pooled and per-fold metrics, confusion, per-class
/// scores, per-epoch curves of every fold, class distribution, the effective
/// options (config.ini) and failures. Throws mexa::DataError naming the file.
nlohmann::json run_data(const std::string& dir, const ReportOptions& options = {});

/// A results file: status counts, failures, prediction distribution, face
/// detection rates, and the plotted clips' motion curves (with onset, apex,
/// offset, annotated span, spotted intervals, per-frame probabilities when
/// stored). Throws mexa::StorageError naming the file.
nlohmann::json results_data(const std::string& path, const ReportOptions& options = {});

/// run_data for a folder, results_data for a file.
nlohmann::json input_data(const std::string& path, const ReportOptions& options = {});

/// The page: one section per input, and a comparison when there are several.
/// `chart_js` is the Chart.js UMD source inlined into the page.
std::string html(const std::vector<nlohmann::json>& inputs, const std::string& title, const std::string& chart_js);

/// The Chart.js source embedded at build time (Debian's libjs-chart.js), and its version.
const std::string& bundled_chart_js();
std::string bundled_chart_js_version();

/// The page of `inputs` (run folders and results files), read with `options`.
std::string report_page(const std::vector<std::string>& inputs, const ReportOptions& options);

}  // namespace mexa::report
