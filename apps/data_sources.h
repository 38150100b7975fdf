// Datasets named on the command line as `[STYLE=]PATH[,ANNOTATIONS]` (`mexa
// dataset composite --part`, `mexa train --data` given a dataset or several):
// PATH is a dataset's folder (its annotation file found under it) or its
// annotation file (ROOT is then the file's folder); without STYLE= the style
// is recognised from the name (io::guess_style). Several become one manifest
// with dataset-prefixed subjects and a dataset column (the MEGC composite).
#pragma once

#include <string>
#include <vector>

#include "manifest_flags.h"
#include "mexa/io/manifest.h"

namespace mexa::cli {

struct DataSource {
  std::string spec;         ///< as given
  io::ManifestOptions options;  ///< style, classes, root
  std::string annotations;  ///< the annotation file
};

/// The annotation file of a `style` install under `root` (io::find_annotations),
/// logged; throws UsageError ending with `how_to_give` when there is none.
std::string found_annotations(const std::string& root, io::AnnotationStyle style, const std::string& how_to_give);

/// Throws UsageError for a malformed spec, an unknown style, a missing path
/// or a dataset folder without an annotation file.
DataSource parse_data_source(const std::string& spec, const ManifestFlags& flags);

/// True when `spec` names a dataset rather than a mexa manifest file: STYLE=,
/// a folder, or a file whose name is a dataset's.
bool names_a_dataset(const std::string& spec);

struct BuiltManifest {
  std::string csv;     ///< mexa manifest text (paths relative to out_dir)
  size_t rows = 0;
  size_t datasets = 0;
  bool skipped = false;  ///< some annotation row was bad (logged)
  std::vector<std::string> classes;  ///< the class set every dataset was read with
  bool images = false;  ///< the rows name flow images (the megc2019 style), not clips of frames
  std::string recipe;   ///< the style's training recipe (io::StyleInfo::recipe), "" for mexa's defaults
};

/// Reads every spec's annotations (paths checked: absent clips are bad rows,
/// logged) and prints one line per dataset; one spec gives its manifest,
/// several the composite. Every spec is read with the same class set.
BuiltManifest build_manifest(const std::vector<std::string>& specs, const ManifestFlags& flags, const std::string& out_dir);

}  // namespace mexa::cli
