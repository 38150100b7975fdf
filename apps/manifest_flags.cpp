#include "manifest_flags.h"

#include "mexa/io/errors.h"

namespace mexa::cli {

void add_manifest_flags(po::options_description& options, ManifestFlags& f) {
  options.add_options()("style", po::value(&f.style)->default_value(f.style), "annotation file layout: mexa, casme2, samm, casme3 or smic")(
      "classes", po::value(&f.classes)->default_value(f.classes), "dfme (7 classes) or megc3 (negative/positive/surprise)")(
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
  if (f.classes == "megc3") {
    mo.class_names = io::megc3_classes();
    mo.class_aliases = io::megc3_aliases();
    mo.excluded_emotions = io::megc3_excluded();
  } else if (f.classes != "dfme") {
    throw UsageError("--classes must be dfme or megc3 (got '" + f.classes + "')");
  }
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
