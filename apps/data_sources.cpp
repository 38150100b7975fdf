#include "data_sources.h"

#include <spdlog/spdlog.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>

#include "mexa/io/dataset.h"
#include "mexa/io/errors.h"
#include "mexa/io/text.h"
#include "mexa/io/workbook.h"

namespace mexa::cli {

namespace fs = std::filesystem;

namespace {

/// A CSV whose header has mexa's path column: a manifest, whatever its name says.
bool is_mexa_manifest(const std::string& path) {
  if (io::is_workbook(path)) return false;
  std::ifstream in(path);
  std::string header;
  std::getline(in, header);
  header = io::ascii_lower(header);
  return ("," + header + ",").find(",path,") != std::string::npos;
}

}  // namespace

bool names_a_dataset(const std::string& spec) {
  std::error_code ec;
  const auto eq = spec.find('=');
  if (eq != std::string::npos && eq > 0 && spec.find('/') > eq) return true;  // STYLE=...
  if (fs::is_directory(spec, ec)) return true;
  return io::is_workbook(spec);  // a CSV is a manifest unless STYLE= says otherwise
}

DataSource parse_data_source(const std::string& spec, const ManifestFlags& flags) {
  DataSource s;
  s.spec = spec;
  ManifestFlags f = flags;
  std::string path = spec;
  const auto eq = spec.find('=');
  const bool named = eq != std::string::npos && eq > 0 && spec.find('/') > eq;
  if (named) {
    f.style = spec.substr(0, eq);
    path = spec.substr(eq + 1);
  }
  if (const auto comma = path.find(','); comma != std::string::npos) {
    s.annotations = path.substr(comma + 1);
    path = path.substr(0, comma);
  }
  if (path.empty()) throw UsageError("'" + spec + "': no dataset folder or annotation file ([STYLE=]PATH[,ANNOTATIONS])");
  std::error_code ec;
  if (!fs::exists(path, ec)) throw UsageError("'" + spec + "': " + path + " does not exist");
  if (!named && is_mexa_manifest(path))
    throw UsageError("'" + spec + "' is a mexa manifest; --data takes one manifest, or datasets ([STYLE=]FOLDER or "
                     "[STYLE=]ANNOTATIONS) to build one from");
  if (!named) {
    io::AnnotationStyle guessed;
    if (io::guess_style(s.annotations.empty() ? path : s.annotations, guessed) || io::guess_style(path, guessed)) {
      f.style = io::style_info(guessed).name;
    } else if (f.style == "mexa") {
      throw UsageError("'" + spec + "': which dataset is it? Write STYLE=" + path + " (styles: --help's --style)");
    }
  }
  s.options = manifest_options(f);
  if (fs::is_directory(path, ec)) {
    s.options.root = path;
    if (s.annotations.empty()) {
      s.annotations = io::find_annotations(path, s.options.style);
      if (s.annotations.empty())
        throw UsageError("'" + spec + "': no " + io::style_info(s.options.style).name +
                         " annotation file (.xlsx, .xls or .csv named after the dataset) under " + path +
                         ": give it as " + spec + ",ANNOTATIONS");
      spdlog::info("{}: annotations {}", spec, s.annotations);
    }
  } else {
    if (!s.annotations.empty()) throw UsageError("'" + spec + "': PATH is a file; ,ANNOTATIONS follows a dataset folder");
    s.annotations = path;
    s.options.root = fs::path(path).parent_path().string();
  }
  return s;
}

BuiltManifest build_manifest(const std::vector<std::string>& specs, const ManifestFlags& flags, const std::string& out_dir) {
  ManifestFlags f = flags;
  if (specs.size() > 1 && f.classes.empty()) f.classes = "megc3";  // one class set for every part: MEGC's by default
  std::vector<io::CompositePart> parts;
  BuiltManifest out;
  for (const auto& spec : specs) {
    DataSource source = parse_data_source(spec, f);
    source.options.check_paths = true;  // absent clips are bad rows, named
    const std::string name = io::style_info(source.options.style).name;
    for (const auto& p : parts)
      if (p.name == name) throw UsageError("dataset " + name + " is given twice ('" + spec + "')");
    auto m = io::read_manifest(source.annotations, source.options);
    for (const auto& p : m.skipped) spdlog::warn("{}", p.message);
    out.skipped = out.skipped || !m.skipped.empty();
    std::map<std::string, int> per_class;
    for (const auto& row : m.rows) ++per_class[row.emotion];
    std::string classes;
    for (const auto& [c, n] : per_class) classes += " " + c + " " + std::to_string(n);
    std::fprintf(stderr, "%s: %zu clips (%zu bad rows left out, %lld left out by the class set or --expression):%s\n",
                 m.source.c_str(), m.rows.size(), m.skipped.size(),
                 static_cast<long long>(m.excluded + m.excluded_type), classes.c_str());
    out.rows += m.rows.size();
    out.classes = source.options.class_names;
    parts.push_back({name, std::move(m), io::style_info(source.options.style).fps});
  }
  out.datasets = parts.size();
  if (out.rows == 0) throw DataError(specs.front(), "no usable row in " + std::to_string(specs.size()) + " dataset(s)");
  out.csv = parts.size() == 1 ? io::manifest_csv(parts.front().manifest, out_dir, parts.front().fps)
                              : io::composite_csv(parts, out_dir);
  return out;
}

}  // namespace mexa::cli
