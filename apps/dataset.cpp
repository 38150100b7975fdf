// `mexa dataset check|manifest --style S ROOT [ANNOTATIONS]`: a licensed
// dataset as it unpacks, checked before anyone trains on it, and turned into a
// mexa manifest (docs/datasets.md).
//
//   mexa dataset check --style casme2 /data/CASME2
//   mexa dataset manifest --style casme2 /data/CASME2 --out casme2.csv
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "cli.h"
#include "data_sources.h"
#include "commands.h"
#include "manifest_flags.h"
#include "mexa/io/csv.h"
#include "mexa/io/dataset.h"
#include "mexa/io/errors.h"
#include "mexa/io/manifest.h"

namespace mexa::cli {
namespace {

namespace fs = std::filesystem;

struct DatasetArgs {
  std::string root, annotations, out;
  std::vector<std::string> parts;
  ManifestFlags flags;
  bool json = false;
  bool quick = false;
};

/// The annotation file: given, or found under ROOT for the style.
std::string annotations_of(const DatasetArgs& a, io::AnnotationStyle style) {
  return a.annotations.empty() ? found_annotations(a.root, style, "give its path after ROOT") : a.annotations;
}

io::ManifestOptions options_of(const DatasetArgs& a) {
  if (a.root.empty()) throw UsageError("ROOT (the dataset's folder) is required");
  if (!fs::is_directory(a.root)) throw UsageError(a.root + " is not a folder (ROOT: where the clips are)");
  io::ManifestOptions mo = manifest_options(a.flags);
  mo.root = a.root;
  return mo;
}

std::string counts(const std::map<std::string, int64_t>& m) {
  std::string out;
  for (const auto& [name, n] : m) out += (out.empty() ? "" : ", ") + name + " " + std::to_string(n);
  return out.empty() ? "-" : out;
}

int check(const DatasetArgs& a) {
  const auto mo = options_of(a);
  Progress progress("dataset check", 0, "clips");
  const auto report = io::check_dataset(annotations_of(a, mo.style), mo, !a.quick,
                                        [&](int64_t done, int64_t total) {
                                          progress.set_total(total);
                                          progress.update(done);
                                        });
  progress.finish();
  std::vector<int64_t> frames = report.frames;
  std::sort(frames.begin(), frames.end());
  if (a.json) {
    nlohmann::json j{{"annotations", report.annotations}, {"rows", report.rows},        {"clips_found", report.clips_found},
                     {"problems", report.problems},       {"per_class", report.per_class}, {"per_au", report.per_au},
                     {"subjects", report.per_subject.size()}, {"fps", report.fps}, {"excluded", report.excluded},
                     {"decoded", !a.quick}};
    if (!frames.empty())
      j["frames"] = {{"min", frames.front()}, {"median", frames[frames.size() / 2]}, {"max", frames.back()}};
    std::printf("%s\n", j.dump(2).c_str());
  } else {
    std::printf("%s: %lld annotated clips, %lld found and sound, %zu subjects, %s fps\n", report.annotations.c_str(),
                static_cast<long long>(report.rows), static_cast<long long>(report.clips_found),
                report.per_subject.size(), report.fps > 0 ? fmt::format("{}", report.fps).c_str() : "unknown");
    if (!frames.empty())
      std::printf("frames per clip: min %lld, median %lld, max %lld\n", static_cast<long long>(frames.front()),
                  static_cast<long long>(frames[frames.size() / 2]), static_cast<long long>(frames.back()));
    if (report.excluded > 0)
      std::printf("%lld rows left out by the class set or --expression (not problems)\n",
                  static_cast<long long>(report.excluded));
    std::printf("classes: %s\n", counts(report.per_class).c_str());
    std::printf("action units: %s\n", counts(report.per_au).c_str());
    if (!report.problems.empty()) {
      std::printf("%zu problems:\n", report.problems.size());
      for (const auto& p : report.problems) std::printf("  %s\n", p.c_str());
    }
  }
  return report.problems.empty() ? kOk : kInputsFailed;
}

int manifest(const DatasetArgs& a) {
  if (a.out.empty()) throw UsageError("--out manifest.csv is required");
  auto mo = options_of(a);
  const std::string annotations = annotations_of(a, mo.style);
  mo.check_paths = true;  // the manifest lists the clips that are there; the others are reported
  const auto m = io::read_manifest(annotations, mo);
  if (m.rows.empty()) throw DataError(annotations, "no usable row: nothing to write");
  const std::string out_dir = fs::absolute(a.out).parent_path().string();
  io::write_text_file(a.out, io::manifest_csv(m, out_dir, io::style_info(mo.style).fps));
  std::printf("%s: %zu clips from %s (%zu bad rows left out%s; %lld left out by the class set or --expression); "
              "train it with --classes %s\n",
              a.out.c_str(), m.rows.size(), m.source.c_str(), m.skipped.size(),
              m.skipped.empty() ? "" : ", summarised above (--log-level debug lists each); `mexa dataset check` says more",
              static_cast<long long>(m.excluded + m.excluded_type), io::class_set_name(mo.class_names).c_str());
  return m.skipped.empty() ? kOk : kInputsFailed;
}

/// --part [STYLE=]ROOT[,ANNOTATIONS]... -> one manifest with a dataset column (MEGC 2019 composite).
int composite(const DatasetArgs& a) {
  if (a.out.empty()) throw UsageError("--out composite.csv is required");
  if (a.parts.size() < 2) throw UsageError("a composite takes two or more --part [STYLE=]ROOT[,ANNOTATIONS]");
  const std::string out_dir = fs::absolute(a.out).parent_path().string();
  const BuiltManifest built = build_manifest(a.parts, a.flags, out_dir);
  io::write_text_file(a.out, built.csv);
  std::printf("%s: %zu clips from %zu datasets, subjects prefixed with the dataset (train it with --classes %s; "
              "summary.json then breaks the pooled metrics down per dataset)\n",
              a.out.c_str(), built.rows, built.datasets, a.flags.classes.empty() ? "megc3" : a.flags.classes.c_str());
  return built.skipped ? kInputsFailed : kOk;
}

/// The style table (io/styles.h), as docs/datasets.md prints it.
int styles(const DatasetArgs& a) {
  if (a.json) {
    nlohmann::json j = nlohmann::json::array();
    for (const auto& s : io::styles())
      j.push_back({{"style", s.name},         {"aliases", s.aliases},   {"dataset", s.dataset},
                   {"path_template", s.path_template}, {"index_base", s.index_base}, {"fps", s.fps},
                   {"classes", s.classes},    {"expression", s.expression}, {"layout", s.layout},
                   {"uncertain", s.uncertain}});
    std::printf("%s\n", j.dump(2).c_str());
    return kOk;
  }
  for (const auto& s : io::styles()) {
    std::printf("%-9s %s\n", s.name.c_str(), s.dataset.c_str());
    std::printf("          download:  %s\n", s.layout.c_str());
    std::printf("          template:  %s (index base %s)\n", s.path_template.empty() ? "the path column" : s.path_template.c_str(),
                s.index_base.c_str());
    std::printf("          fps %s, --classes %s%s\n", s.fps > 0 ? fmt::format("{}", s.fps).c_str() : "per row",
                s.classes.c_str(), s.expression.empty() ? "" : (", --expression " + s.expression).c_str());
    if (!s.uncertain.empty()) std::printf("          uncertain: %s\n", s.uncertain.c_str());
  }
  return kOk;
}

}  // namespace

int run_dataset(const std::vector<std::string>& args) {
  static const Command command{
      "dataset",
      "A licensed dataset as it unpacks (CASME II, SAMM, SMIC-HS/VIS/NIR, CAS(ME)^2 and SAMM long videos, "
      "CAS(ME)^3, DFME, or mexa's layout: --style). `check`: every annotated clip against the disk (missing clips, "
      "frame-number gaps, empty images, frames that do not decode, offsets past the last frame, bad annotation "
      "rows), with subjects, classes, AUs and fps; exit 1 listing the problems. "
      "`manifest`: writes a mexa manifest CSV of the clips present, for every later command. `composite`: several "
      "datasets in one manifest with a dataset column and dataset-prefixed subjects (MEGC 2019: --classes megc3 "
      "maps the emotions; CASME II's 'others' is left out). The annotation file (.xlsx, .xls or .csv) is found "
      "under ROOT by the dataset's name unless given.",
      "mexa dataset check|manifest --style STYLE ROOT [ANNOTATIONS] [--out manifest.csv]\n"
      "  mexa dataset composite --part [STYLE=]ROOT[,ANNOTATIONS]... [--classes megc3] --out composite.csv\n"
      "  mexa dataset styles [--json]   (every --style: the download's layout, template, fps, classes)",
      run_dataset};
  DatasetArgs a;
  std::string action;
  po::options_description options("Dataset options");
  options.add_options()("action", po::value(&action)->required(), "check, manifest, composite or styles")(
      "root", po::value(&a.root), "the dataset's folder (clip paths start here)")(
      "part", po::value(&a.parts)->multitoken(),
      "composite: [STYLE=]ROOT[,ANNOTATIONS] or [STYLE=]ANNOTATIONS, once per dataset (STYLE recognised from the name "
      "when left out)")(
      "annotations", po::value(&a.annotations), "annotation file (default: found under ROOT)")(
      "out", po::value(&a.out), "manifest: the CSV to write")("json", po::bool_switch(&a.json), "check: JSON output")(
      "quick", po::bool_switch(&a.quick), "check: image headers and frame numbering only, without decoding every frame");
  add_manifest_flags(options, a.flags);
  po::positional_options_description positional;
  positional.add("action", 1).add("root", 1).add("annotations", 1);
  po::variables_map vm;
  if (!parse(args, command, options, positional, vm)) return kOk;
  if (action == "check") return check(a);
  if (action == "manifest") return manifest(a);
  if (action == "composite") return composite(a);
  if (action == "styles") return styles(a);
  throw UsageError("mexa dataset: the action is check, manifest, composite or styles (got '" + action + "')");
}

}  // namespace mexa::cli
