// `mexa report INPUT... --out report.html`: one self-contained HTML page of
// training runs (folders) and results files (HDF5), side by side when several.
#include <spdlog/spdlog.h>

#include <sstream>

#include "cli.h"
#include "commands.h"
#include "mexa/io/csv.h"
#include "mexa/report/report.h"

namespace mexa::cli {

int run_report(const std::vector<std::string>& args) {
  static const Command command{
      "report",
      "Write one HTML file that opens offline (Chart.js and the data inline) describing training runs (a `mexa train` "
      "--out folder: pooled and per-fold metrics, confusion, per-class scores, curves per epoch and fold, class "
      "distribution, options, failures) and results files (status counts, failures, predictions, face-detection "
      "rates, motion curves of chosen clips with onset/apex/offset, spotted intervals, per-frame probabilities). "
      "Several inputs are compared on one page.",
      "mexa report RUN_DIR|results.h5... --out report.html [options]", run_report};
  std::vector<std::string> inputs;
  std::string out, clips;
  report::ReportOptions o;
  po::options_description options("Report options");
  options.add_options()("input", po::value(&inputs)->required()->multitoken(), "training run folders and results files")(
      "out", po::value(&out)->required(), "the HTML file to write")(
      "clips", po::value(&clips), "results: ids of the clips to plot, comma-separated (default: a few per predicted class)")(
      "clips-per-class", po::value(&o.clips_per_class)->default_value(o.clips_per_class),
      "results: clips plotted per predicted class when --clips is not given")(
      "max-points", po::value(&o.max_points)->default_value(o.max_points),
      "points per curve; longer curves are sampled (minimum and maximum per bucket)");
  po::positional_options_description positional;
  positional.add("input", -1);
  po::variables_map vm;
  if (!parse(args, command, options, positional, vm)) return kOk;
  if (o.max_points < 10) throw UsageError("--max-points must be at least 10");
  if (o.clips_per_class < 0) throw UsageError("--clips-per-class must not be negative");
  std::istringstream list(clips);
  for (std::string id; std::getline(list, id, ',');)
    if (!id.empty()) o.clips.push_back(id);
  io::write_text_file(out, report::report_page(inputs, o));
  std::printf("%s\n", out.c_str());
  return kOk;
}

}  // namespace mexa::cli
