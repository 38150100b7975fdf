// io::Manifest: the annotation CSV of a dataset (DESIGN.md section 5), and the
// foreign annotation files of CASME II, SAMM, CAS(ME)^3 and SMIC mapped onto it,
// as CSV or as the Excel workbooks they ship (.xlsx, .xls: io/workbook.h; bad
// rows then read `file:sheet:row: why`).
//
// mexa's own columns (case-insensitive): subject, clip, path, onset, apex,
// offset, emotion, aus, fps. Frame numbers become 0-based indices by
// subtracting index_base (a number, or "folder": the first file number of the
// clip's frame folder, for datasets that annotate file numbers). An empty apex
// (SMIC) stays -1: spotted later. Bad rows are reported as `file:line: why`
// and skipped (counted), or fatal with strict.
//
// Stateless functions, thread-safe.
//
//   mexa::io::ManifestOptions options;                 // DFME 7 classes
//   auto manifest = mexa::io::read_manifest("data/annotations.csv", options);
//   for (const auto& row : manifest.rows) use(row.path, row.onset, row.apex, row.label);
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "mexa/io/class_sets.h"
#include "mexa/io/styles.h"

namespace mexa::io {

struct ManifestOptions;
/// `options` reading the classes `classes` (a model's), with MEGC's aliases when they are MEGC's 3.
ManifestOptions with_classes(ManifestOptions options, const std::vector<std::string>& classes);

struct ManifestOptions {
  AnnotationStyle style = AnnotationStyle::Mexa;
  std::vector<std::string> class_names = dfme_classes();
  /// Lower-case emotion text -> class name, applied before matching class_names
  /// (e.g. megc3_aliases(), or {"happy", "happiness"}).
  std::map<std::string, std::string> class_aliases;
  /// The user's own spellings (--class-map): lower-case text -> class name,
  /// tried before class_aliases.
  std::map<std::string, std::string> class_map;
  /// Lower-case emotion texts whose rows are left out without an error
  /// (counted in Manifest::excluded), e.g. megc3_excluded(). A row whose
  /// emotion is known (io::known_emotion) but not in class_names is excluded too.
  std::set<std::string> excluded_emotions;
  /// "" = the style's default ("0" for mexa files, "folder" for foreign ones).
  std::string index_base;
  /// Long-video styles (CAS(ME)^2, SAMM-LV): which intervals are clips,
  /// "micro", "macro" or "all"; "" = the style's default. Others are left
  /// out without an error (Manifest::excluded_type).
  std::string expression;
  /// "" = the style's default; {subject}, {subject:02} (zero-padded), {clip},
  /// {emotion}, {video}, {subject_code}, {video_code} are replaced, a
  /// trailing '*' takes the one folder so named (io/styles.h). Relative paths
  /// are taken from `root`.
  std::string path_template;
  /// Extra header renames: lower-case foreign header -> mexa column name.
  std::map<std::string, std::string> columns;
  /// Folder relative clip paths start from; "" = the annotation file's folder.
  std::string root;
  /// Workbooks (.xlsx, .xls; io/workbook.h): the sheet's name or 0-based
  /// index; "" = the first sheet with a header row.
  std::string sheet;
  /// Rows whose emotion is outside class_names are kept with label -1
  /// instead of excluded (scoring: the label is only ground truth).
  bool keep_excluded = false;
  bool strict = false;       ///< any bad row is fatal
  bool check_paths = true;   ///< a row whose path does not exist is bad
};

struct ManifestRow {
  /// subject/clip, unique in the manifest; subject/clip_ONSET for styles
  /// whose clip folders hold several expressions (CAS(ME)^3: "spNO.1/b_166")
  std::string id;
  std::string subject;
  std::string clip;
  std::string path;     ///< video file or frame folder
  int64_t onset = -1;   ///< 0-based frame indices
  int64_t apex = -1;    ///< -1 when not annotated
  int64_t offset = -1;
  std::string emotion;  ///< class name after aliasing (the first candidate's)
  int label = -1;       ///< index into class_names
  /// Candidate labels of an emotion written "disgust|contempt" (the label
  /// first); empty for one emotion.
  std::vector<int> candidates;
  /// Columns mexa does not read (lower-case header -> value), e.g. synth's true_emotion.
  std::map<std::string, std::string> extra;
  std::string aus;
  double fps = 0;       ///< 0 when not given
  int line = 0;         ///< line of the row in the manifest
};

struct ManifestProblem {
  int line = 0;
  std::string message;  ///< "file:line: why"
  std::string cause;    ///< the kind of fault ("missing path", "apex outside onset-offset", ...)
};

struct Manifest {
  std::string file;
  std::string source;  ///< what messages name: the file, or file:sheet for a workbook
  std::vector<ManifestRow> rows;
  std::vector<ManifestProblem> skipped;  ///< bad rows left out (never filled with strict)
  int64_t excluded = 0;                  ///< rows left out by the class set (their emotion is not in it)
  std::map<std::string, int64_t> excluded_classes;  ///< those rows by emotion (mexa's name for it)
  int64_t excluded_type = 0;             ///< intervals left out by options.expression
};

/// The class an emotion text names under `options` (its aliases, then a
/// case-insensitive match of class_names), or -1.
int class_index(const std::string& emotion, const ManifestOptions& options);

/// Reads and validates a manifest. Throws DataError naming the file (and line)
/// for file-level problems (unreadable, empty, no header, required column
/// missing) and, with strict, for the first bad row.
Manifest read_manifest(const std::string& path, const ManifestOptions& options = {});

}  // namespace mexa::io
