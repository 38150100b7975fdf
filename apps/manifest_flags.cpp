#include "manifest_flags.h"

#include <algorithm>

#include "mexa/io/errors.h"
#include "mexa/io/class_sets.h"
#include "mexa/io/text.h"

namespace mexa::cli {

namespace {

std::string style_names() {
  std::string names;
  for (const auto& s : io::styles()) names += (names.empty() ? "" : ", ") + s.name;
  return names;
}

}  // namespace

void add_manifest_flags(po::options_description& options, ManifestFlags& f) {
  static const std::string style_help = "annotation file and folder layout: " + style_names() + " (docs/datasets.md)";
  options.add_options()("style", po::value(&f.style)->default_value(f.style), style_help.c_str())(
      "classes", po::value(&f.classes),
      "dfme (7 classes), megc3 (negative/positive/surprise; 'others' left out) or a list such as "
      "happiness,disgust,repression,surprise,others (default: the dataset's own labels; docs/datasets.md's layout table). "
      "Rows of another class are excluded, not errors")(
      "class-map", po::value(&f.class_map),
      "FILE of 'alias,class' lines for spellings mexa does not know (happy, sad, angry, disgusted, fearful, "
      "surprised, contemptuous, other are known)")(
      "expression", po::value(&f.expression),
      "long videos (casme-sq, samm-lv): which intervals are clips, micro, macro or all (default: the style's)")(
      "index-base", po::value(&f.index_base), "frame number of index 0: a number, 'folder' or 'first_frame'")(
      "path-template", po::value(&f.path_template), "clip path from {subject}, {subject:02}, {clip}, {emotion}")(
      "sheet", po::value(&f.sheet), "annotation workbook (.xlsx, .xls): sheet name or 0-based index (default: the first with a header row)")(
      "strict", po::bool_switch(&f.strict), "a bad manifest row is fatal (exit 3)");
}

io::ManifestOptions manifest_options(const ManifestFlags& f) {
  io::ManifestOptions mo;
  try {
    mo.style = io::parse_annotation_style(f.style);
  } catch (const Error& e) {
    throw UsageError(e.reason());
  }
  const std::string classes = f.classes.empty() ? io::style_info(mo.style).classes : f.classes;
  try {
    mo = io::with_classes(mo, io::parse_class_set(classes));
  } catch (const std::invalid_argument& e) {
    throw UsageError(std::string("--classes ") + e.what());
  }
  if (!f.class_map.empty()) mo.class_map = io::read_class_map(f.class_map);
  if (!f.expression.empty() && f.expression != "micro" && f.expression != "macro" && f.expression != "all")
    throw UsageError("--expression must be micro, macro or all (got '" + f.expression + "')");
  if (!f.expression.empty() && io::style_info(mo.style).expression.empty())
    throw UsageError("--expression applies to long-video styles (casme-sq, samm-lv), not --style " + f.style);
  mo.expression = f.expression;
  mo.index_base = f.index_base;
  mo.path_template = f.path_template;
  mo.strict = f.strict;
  mo.sheet = f.sheet;
  return mo;
}

io::ManifestOptions manifest_options_for(const ManifestFlags& f, const std::vector<std::string>& classes) {
  return io::with_classes(manifest_options(f), classes);
}

}  // namespace mexa::cli
