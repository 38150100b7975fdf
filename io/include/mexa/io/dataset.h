// A dataset install as its licensed download unpacks it (CASME II, SAMM,
// SMIC, CAS(ME)^2, CAS(ME)^3, SAMM long videos, DFME or mexa's own layout:
// io/styles.h): finding its annotation file, checking every annotated clip
// against the files on disk, and writing the mexa manifest (`mexa dataset check`, `mexa dataset manifest`).
//
//   auto options = mexa::io::ManifestOptions{.style = AnnotationStyle::Casme2, .root = "/data/CASME2/CASME2_RAW"};
//   auto report = mexa::io::check_dataset(find_annotations("/data/CASME2", options.style), options);
//   if (!report.problems.empty()) ...
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "mexa/io/manifest.h"

namespace mexa::io {

/// The annotation file of a `style` install under `root` (workbooks and CSVs
/// up to 3 folders deep whose name holds one of the style's file keys,
/// io/styles.h; for mexa, "annotations.csv"), or ""
/// when there is none. Several candidates: the shortest path, then by name.
std::string find_annotations(const std::string& root, AnnotationStyle style);

struct DatasetReport {
  std::string annotations;  ///< the file read (file:sheet for workbooks)
  int64_t rows = 0;         ///< annotated clips read
  int64_t clips_found = 0;  ///< whose clip folder or video exists and passed every check
  /// Everything wrong, one line each, naming the clip and the file or folder:
  /// bad annotation rows, missing clips, numbering gaps, empty or unreadable
  /// images, offsets past the last frame.
  std::vector<std::string> problems;
  int64_t excluded = 0;  ///< rows left out by the class set or --expression (not problems)
  std::map<std::string, int64_t> per_class, per_au, per_subject;
  std::vector<int64_t> frames;  ///< frames of every clip found (each long video once)
  double fps = 0;               ///< the annotation's, else the style's usual rate (0: unknown)
};

/// Reads the annotations with `options` (clip paths not required to exist:
/// a missing clip is a problem, reported) and checks every clip on disk,
/// each path once: image headers, frame numbering, and with `decode` every
/// frame through the decoder (a damaged image or video). Throws DataError
/// when the annotation file itself cannot be read.
/// `progress(done, total)` is called per annotated clip.
DatasetReport check_dataset(const std::string& annotations, ManifestOptions options, bool decode = true,
                            const std::function<void(int64_t, int64_t)>& progress = {});

/// A mexa manifest of `manifest`'s rows: subject, clip, path (relative to
/// `out_dir` when under it), 0-based onset/apex/offset, emotion, aus, fps.
std::string manifest_csv(const Manifest& manifest, const std::string& out_dir, double fps);

/// One dataset of a composite (the MEGC 2019 composite: SMIC + CASME II + SAMM).
struct CompositePart {
  std::string name;  ///< "casme2": prefixes its subjects ("casme2/1") and fills the dataset column
  Manifest manifest;
  double fps = 0;    ///< for rows without their own
};
/// The parts' rows in one mexa manifest with a `dataset` column; subjects are
/// prefixed with the part's name, so LOSO never mixes subjects of two datasets.
std::string composite_csv(const std::vector<CompositePart>& parts, const std::string& out_dir);

}  // namespace mexa::io
