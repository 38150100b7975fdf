// `mexa manifest FILE`: validates an annotation file (mexa's or a dataset's
// own) and summarises it, so a conversion can be checked before training.
#include <spdlog/spdlog.h>

#include <cstdio>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>

#include "cli.h"
#include "commands.h"
#include "manifest_flags.h"
#include "mexa/io/errors.h"
#include "mexa/io/manifest.h"

namespace mexa::cli {

int run_manifest(const std::vector<std::string>& args) {
  static const Command command{
      "manifest",
      "Validate an annotation file and summarise it: rows per class and subject, and every bad row as file:line. "
      "Reads mexa's manifest and the annotation files of CASME II, SAMM, CAS(ME)^3 and SMIC.",
      "mexa manifest [options] FILE", run_manifest};
  std::string file;
  ManifestFlags flags;
  bool no_path_check = false, json = false;
  po::options_description options("Manifest options");
  options.add_options()("file", po::value(&file)->required(), "annotation CSV or workbook (.xlsx, .xls)");
  add_manifest_flags(options, flags);
  options.add_options()("no-path-check", po::bool_switch(&no_path_check), "do not require the clips to exist")(
      "json", po::bool_switch(&json), "print the summary as JSON");
  po::positional_options_description positional;
  positional.add("file", 1);
  po::variables_map vm;
  if (!parse(args, command, options, positional, vm)) return kOk;

  io::ManifestOptions mo = manifest_options(flags);
  mo.check_paths = !no_path_check;

  const io::Manifest m = io::read_manifest(file, mo);
  std::map<std::string, int> per_class, per_subject;
  int spotted = 0;
  for (const auto& row : m.rows) {
    ++per_class[row.emotion];
    ++per_subject[row.subject];
    spotted += row.apex < 0;
  }
  std::map<std::string, int> causes;
  for (const auto& p : m.skipped) ++causes[p.cause];
  if (json) {
    nlohmann::json out{{"file", file},
                       {"rows", m.rows.size()},
                       {"skipped", m.skipped.size()},
                       {"skipped_by_cause", causes},
                       {"excluded", m.excluded},
                       {"excluded_by_class", m.excluded_classes},
                       {"excluded_by_type", m.excluded_type},
                       {"per_class", per_class},
                       {"subjects", per_subject.size()},
                       {"apex_missing", spotted}};
    for (const auto& s : m.skipped) out["problems"].push_back(s.message);
    std::cout << out.dump(2) << "\n";
  } else {
    std::printf("%s: %zu rows, %zu skipped, %lld excluded by the class set, %zu subjects, %d without apex\n",
                file.c_str(), m.rows.size(), m.skipped.size(), static_cast<long long>(m.excluded), per_subject.size(),
                spotted);
    for (const auto& name : mo.class_names)
      std::printf("  %-12s %d\n", name.c_str(), per_class.count(name) ? per_class.at(name) : 0);
    if (!causes.empty() || m.excluded > 0 || m.excluded_type > 0) {
      std::printf("rows left out:\n");
      for (const auto& [cause, count] : causes) std::printf("  %5d  skipped: %s\n", count, cause.c_str());
      for (const auto& [emotion, count] : m.excluded_classes)
        std::printf("  %5lld  excluded by the class set: %s\n", static_cast<long long>(count), emotion.c_str());
      if (m.excluded_type > 0)
        std::printf("  %5lld  excluded by --expression (other intervals)\n", static_cast<long long>(m.excluded_type));
    }
  }
  if (m.rows.empty()) {
    spdlog::error("{}: no row is left (every row excluded or bad): check --classes and --style", file);
    return kInputsFailed;
  }
  return m.skipped.empty() ? kOk : kInputsFailed;
}

}  // namespace mexa::cli
