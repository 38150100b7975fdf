// The dataset styles mexa reads: one row of facts per licensed dataset (its
// annotation file's name and columns, folder layout, frame numbering, frame
// rate, usual classes), in one table that `--style`, `mexa dataset` and the
// docs/datasets.md's layout table share. Facts marked uncertain are overridable
// (--path-template, --index-base, --classes).
//
//   const auto& s = mexa::io::style_info(mexa::io::parse_annotation_style("samm"));
//   s.path_template  // "{subject:03}/{clip}"
#pragma once

#include <map>
#include <string>
#include <vector>

namespace mexa::io {

/// Which annotation file layout to expect (sets header names, path template
/// and index base defaults).
enum class AnnotationStyle { Mexa, Dfme, Casme2, Samm, Smic, SmicVis, SmicNir, Casme3, CasmeSq, SammLv, Megc2019 };

struct StyleInfo {
  AnnotationStyle style = AnnotationStyle::Mexa;
  std::string name{};                   ///< what --style takes ("casme2")
  std::vector<std::string> aliases{};   ///< other spellings --style accepts
  std::string dataset{};                ///< as papers write it ("CASME II")
  /// Clip folder from ROOT: {subject}, {subject:03} (zero-padded), {clip},
  /// {emotion}; {video} is the clip name without its last "_N" (long videos:
  /// "006_1_2" -> "006_1"); {subject_code}, {video_code} come from CAS(ME)^2's
  /// naming sheets. A trailing '*' takes the one folder whose name starts so.
  std::string path_template{};
  std::string index_base{};             ///< "0", "1", "folder" (first file number) or "first_frame" (FirstF)
  double fps = 0;                     ///< 0: per row (DFME: its part) or unknown
  std::vector<std::string> file_keys{};     ///< the annotation file's name holds one of these (lower case)
  std::vector<std::string> file_excludes{}; ///< ... and none of these
  /// Column names in order for files without a header row (CAS(ME)^2); empty: a header is required.
  std::vector<std::string> positional{};
  std::string classes{};                ///< default --classes: "dfme", "megc3" or a list: the dataset's own labels
  /// Clips are intervals of long videos with a type (micro/macro); the
  /// default --expression filter: "micro" or "all".
  std::string expression{};
  bool emotion_from_type = false;     ///< no emotion column: the interval's type is the class (SAMM-LV)
  /// A clip folder holds several expressions (CAS(ME)^3 part A): each row is
  /// one, its id the folder's plus "_ONSET" ("spNO.1/b_166").
  bool several_per_clip = false;
  /// The style's own header names (lower case) -> mexa's column; "" means
  /// "not mexa's column of that name: kept as an extra column" (the
  /// composite's apex is a frame of a video it does not ship).
  std::map<std::string, std::string> columns{};
  /// Each row names one flow image, not a clip of frames (the MEGC 2019
  /// composite): the header is found by its subject and clip columns, no
  /// frame columns are read (the row's span is 0-0), and the path is the
  /// template plus the image file's extension, whatever its case.
  bool images = false;
  /// A column whose value (lower case) prefixes the subject: "dataset" gives
  /// "casme2/sub01" (the composite's 68 subjects from three datasets).
  std::string subject_prefix{};
  /// Labels written as numbers: label i is label_codes[i] (the composite's
  /// 0 negative, 1 positive, 2 surprise).
  std::vector<std::string> label_codes{};
  /// The recipe `mexa train` uses for the style's data unless told
  /// otherwise ("" = mexa's defaults; "ststnet": engine::ststnet_recipe()).
  std::string recipe{};
  std::string layout{};                 ///< a frame path as the download has it, for docs/datasets.md and --help
  std::string uncertain{};              ///< what is not confirmed about the layout ("" when nothing)
};

/// Every style, in docs/datasets.md's order.
const std::vector<StyleInfo>& styles();
const StyleInfo& style_info(AnnotationStyle style);
/// Parses a style name or alias (case-insensitive); throws DataError listing the styles otherwise.
AnnotationStyle parse_annotation_style(const std::string& name);
/// Whether a file or folder name (any case) holds one of `style`'s file keys
/// and none of its excludes; `generic`: whether "annotations.csv" counts.
bool name_matches(const StyleInfo& style, const std::string& name, bool generic = true);

/// The style whose file keys the last component of `name` holds (a file or
/// folder name: "CASME2-coding-20140508.xlsx", "SAMM"), for `--data` without
/// STYLE=; false when none. The generic "annotations.csv" names no dataset.
bool guess_style(const std::string& name, AnnotationStyle& style);

/// "micro-expression", "Micro - 1/2", "micro" -> "micro"; macro likewise; else lower-cased text.
std::string expression_type(const std::string& text);

}  // namespace mexa::io
