// Field-level helpers of the manifest reader (io/src/manifest.cpp): text
// trimming, frame numbers, path templates, CAS(ME)^2's naming sheets, DFME's
// part frame rates, and the row error that carries its cause. Internal to io.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

#include "mexa/io/text.h"  // trim, lower_trim
#include "mexa/io/workbook.h"

namespace mexa::io::manifest_detail {

/// Text quoted in a message: valid UTF-8, control bytes as '?' (a binary file
/// must not write terminal escapes into the log).
std::string printable(const std::string& text);

/// Header names of the datasets (lower case) -> mexa's column names.
const std::map<std::string, std::string>& known_headers();

/// A bad row: `cause` names the kind of fault (the summary groups by it),
/// what() says what is wrong with this row.
class RowError : public std::runtime_error {
 public:
  RowError(std::string cause, const std::string& message) : std::runtime_error(message), cause_(std::move(cause)) {}
  const std::string& cause() const { return cause_; }

 private:
  std::string cause_;
};

/// The folder a template ending in '*' names: the one entry of its parent
/// whose name starts with the last component ("rawpic/s15/15_0101*" ->
/// "rawpic/s15/15_0101disgustingteeth"); the pattern itself when there is
/// none (reported as missing), RowError when several match.
std::string resolve_wildcard(const std::string& relative, const std::filesystem::path& base_dir);

/// A subject's folder code: "s15" and "15" -> "15" (CAS(ME)^2's rawpic/s15).
std::string subject_code_of(const std::string& text);

/// CAS(ME)^2's naming sheets: subject number -> folder code ("1" -> "15"),
/// video name -> 4-digit code ("anger1" -> "0401"). Empty for other files.
struct NamingSheets {
  std::map<std::string, std::string> subjects, videos;
};
NamingSheets naming_sheets(const std::vector<Sheet>& sheets, const std::string& main_sheet);

/// "{subject:02}/{clip}" -> "sub01/EP02_01f" style expansion.
std::string expand_template(const std::string& pattern, const std::map<std::string, std::string>& values);

/// Parses an integer frame number ("46", or "46.0" from spreadsheets); false otherwise.
bool parse_int(const std::string& text, int64_t& value);

/// DFME's frame rate from its part: a part column ("A", "part_B") or a path
/// component ("Part_C", "partA"): A 500, B 300, C 200; 0 when neither says.
double dfme_part_fps(const std::string& part, const std::string& path);

}  // namespace mexa::io::manifest_detail
