// The manifest flags shared by `mexa manifest`, `train`, `eval` and `score`.
#pragma once

#include <string>

#include "cli.h"
#include "mexa/io/manifest.h"

namespace mexa::cli {

struct ManifestFlags {
  std::string style = "mexa";
  std::string classes;     ///< "" = the style's (io/styles.h): dfme, megc3, or a list "a,b,c"
  std::string expression;  ///< long-video styles: micro, macro or all; "" = the style's
  std::string index_base;
  std::string path_template;
  std::string sheet;
  std::string class_map;   ///< FILE of "alias,class" lines: the dataset's own spellings
  bool strict = false;
};

/// Adds --style, --classes, --class-map, --expression, --index-base, --path-template, --sheet, --strict.
void add_manifest_flags(po::options_description& options, ManifestFlags& flags);
/// Throws UsageError for a bad style or class set, DataError for an unreadable class map.
io::ManifestOptions manifest_options(const ManifestFlags& flags);
/// Manifest options whose classes are `classes` (a model's), with MEGC aliases when they are MEGC's 3.
io::ManifestOptions manifest_options_for(const ManifestFlags& flags, const std::vector<std::string>& classes);

}  // namespace mexa::cli
