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

/// "casme2=/data/x" -> "casme2" when that is a style's name, else "".
std::string style_prefix(const std::string& spec) {
  const auto eq = spec.find('=');
  if (eq == std::string::npos || eq == 0 || spec.find('/') < eq) return "";
  try {
    (void)io::parse_annotation_style(spec.substr(0, eq));
    return spec.substr(0, eq);
  } catch (const Error&) {
    return "";
  }
}

/// The style a file or folder's name says (its own name, then its folder's).
bool style_of_name(const std::string& path, io::AnnotationStyle& style) {
  std::error_code ec;
  fs::path p = fs::absolute(path, ec);  // "." and ".." name the folder they stand for
  p = (ec ? fs::path(path) : p).lexically_normal();
  const fs::path own = p.has_filename() ? p : p.parent_path();
  return io::guess_style(own.filename().string(), style) ||
         io::guess_style(own.parent_path().filename().string(), style);
}

}  // namespace

bool names_a_dataset(const std::string& spec) {
  if (!style_prefix(spec).empty()) return true;
  const std::string path = spec.substr(0, spec.find(','));
  std::error_code ec;
  if (fs::is_directory(path, ec)) return true;
  // A workbook named after a dataset (its own name: a manifest workbook may sit in
  // a dataset's folder); a CSV, or any other workbook, is a manifest.
  io::AnnotationStyle style;
  return io::is_workbook(path) && io::guess_style(fs::path(path).filename().string(), style);
}

std::string found_annotations(const std::string& root, io::AnnotationStyle style, const std::string& how_to_give) {
  const std::string found = io::find_annotations(root, style);
  if (found.empty())
    throw UsageError("no " + io::style_info(style).name + " annotation file (.xlsx, .xls or .csv named after the "
                     "dataset) under " + root + ": " + how_to_give);
  spdlog::info("annotations: {}", found);
  return found;
}

DataSource parse_data_source(const std::string& spec, const ManifestFlags& flags) {
  DataSource s;
  s.spec = spec;
  ManifestFlags f = flags;
  std::string path = spec;
  const std::string prefix = style_prefix(spec);
  const bool named = !prefix.empty();
  if (named) {
    f.style = prefix;
    path = spec.substr(prefix.size() + 1);
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
                     "[STYLE=]ANNOTATIONS) to build one from (a DFME annotation CSV: dfme=" + path + ")");
  if (!named && f.style == "mexa") {  // --style given: it names the dataset; else its name does
    io::AnnotationStyle guessed;
    if ((!s.annotations.empty() && style_of_name(s.annotations, guessed)) || style_of_name(path, guessed))
      f.style = io::style_info(guessed).name;
    else
      throw UsageError("'" + spec + "': which dataset is it? Write STYLE=" + path + " (styles: --help's --style)");
  }
  s.options = manifest_options(f);
  if (fs::is_directory(path, ec)) {
    s.options.root = path;
    if (s.annotations.empty())
      s.annotations = found_annotations(path, s.options.style, "'" + spec + "': give it as " + spec + ",ANNOTATIONS");
  } else {
    if (!s.annotations.empty()) throw UsageError("'" + spec + "': PATH is a file; ,ANNOTATIONS follows a dataset folder");
    s.annotations = path;
    s.options.root = fs::path(path).parent_path().string();
  }
  return s;
}

BuiltManifest build_manifest(const std::vector<std::string>& specs, const ManifestFlags& flags, const std::string& out_dir) {
  ManifestFlags f = flags;
  if (specs.size() > 1 && (!f.path_template.empty() || !f.index_base.empty() || !f.sheet.empty()))
    throw UsageError("several datasets: --path-template, --index-base and --sheet would apply to every one; point "
                     "each ROOT at where its style's template starts, and name each annotation file or sheet's "
                     "workbook (STYLE=ROOT,ANNOTATIONS)");
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
    std::fprintf(stderr, "%s: %zu %s (%zu bad rows left out, %lld left out by the class set or --expression):%s\n",
                 m.source.c_str(), m.rows.size(), io::style_info(source.options.style).images ? "flow images" : "clips",
                 m.skipped.size(),
                 static_cast<long long>(m.excluded + m.excluded_type), classes.c_str());
    out.rows += m.rows.size();
    out.classes = source.options.class_names;
    const io::StyleInfo& style = io::style_info(source.options.style);
    if (style.images && specs.size() > 1)
      throw UsageError("'" + spec + "': " + style.dataset + " holds flow images, one per clip; it is a composite "
                       "already and cannot be combined with other datasets");
    out.images = style.images;
    out.recipe = style.recipe;
    parts.push_back({name, std::move(m), io::style_info(source.options.style).fps});
  }
  out.datasets = parts.size();
  if (out.rows == 0) throw DataError(specs.front(), "no usable row in " + std::to_string(specs.size()) + " dataset(s)");
  out.csv = parts.size() == 1 ? io::manifest_csv(parts.front().manifest, out_dir, parts.front().fps)
                              : io::composite_csv(parts, out_dir);
  return out;
}

}  // namespace mexa::cli
