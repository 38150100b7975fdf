// The field-level helpers of the manifest reader (io/src/manifest_fields.h).
#include "manifest_fields.h"

#include <algorithm>
#include <cctype>
#include <charconv>

#include "mexa/io/errors.h"
#include "mexa/io/text.h"
#include "mexa/io/results.h"

namespace mexa::io::manifest_detail {
namespace fs = std::filesystem;

std::string printable(const std::string& text) {
  std::string out = valid_utf8(text);
  for (char& c : out)
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = '?';
  return out;
}

const std::map<std::string, std::string>& known_headers() {
  static const std::map<std::string, std::string> names{
      {"subject", "subject"},        {"clip", "clip"},           {"filename", "clip"},
      {"path", "path"},              {"onset", "onset"},         {"onsetframe", "onset"},
      {"onset frame", "onset"},      {"onsetf", "onset"},        {"apex", "apex"},
      {"apexframe", "apex"},         {"apex frame", "apex"},     {"offset", "offset"},
      {"offsetframe", "offset"},     {"offset frame", "offset"}, {"offsetf", "offset"},
      {"emotion", "emotion"},        {"estimated emotion", "emotion"},
      {"aus", "aus"},                {"au", "aus"},              {"action units", "aus"},
      {"fps", "fps"},                {"firstf", "first_frame"},  {"type", "type"},
      {"part", "part"},
  };
  return names;
}

std::string subject_code_of(const std::string& text) {
  std::string code = ascii_lower(text);
  if (!code.empty() && code[0] == 's') code.erase(0, 1);
  return code;
}

std::string expand_template(const std::string& pattern, const std::map<std::string, std::string>& values) {
  std::string out;
  for (size_t i = 0; i < pattern.size(); ++i) {
    if (pattern[i] != '{') {
      out += pattern[i];
      continue;
    }
    const size_t close = pattern.find('}', i);
    if (close == std::string::npos) throw DataError("", "path template '" + pattern + "' has an unclosed '{'");
    std::string key = pattern.substr(i + 1, close - i - 1);
    size_t width = 0;
    if (const auto colon = key.find(':'); colon != std::string::npos) {
      const std::string digits = key.substr(colon + 1);
      const auto parsed = std::from_chars(digits.data(), digits.data() + digits.size(), width);
      if (parsed.ec != std::errc() || parsed.ptr != digits.data() + digits.size() || width > 16)
        throw DataError("", "path template '" + pattern + "': the width in {" + key + "} must be a number up to 16");
      key = key.substr(0, colon);
    }
    const auto it = values.find(key);
    if (it == values.end()) throw DataError("", "path template '" + pattern + "' names unknown field {" + key + "}");
    std::string value = it->second;
    // Zero-pad numbers ("1" -> "01"); "sub01" stays as it is.
    const bool numeric =
        !value.empty() && std::all_of(value.begin(), value.end(), [](unsigned char c) { return std::isdigit(c) != 0; });
    if (numeric && value.size() < width) value.insert(0, width - value.size(), '0');
    out += value;
    i = close;
  }
  return out;
}

bool parse_int(const std::string& text, int64_t& value) {
  const std::string t = trim(text);
  if (t.empty()) return false;
  // Spreadsheet exports write integers as "46.0".
  std::string digits = t;
  if (const auto dot = digits.find('.'); dot != std::string::npos &&
                                         digits.find_first_not_of('0', dot + 1) == std::string::npos)
    digits = digits.substr(0, dot);
  const auto result = std::from_chars(digits.data(), digits.data() + digits.size(), value);
  return result.ec == std::errc() && result.ptr == digits.data() + digits.size();
}

double dfme_part_fps(const std::string& part, const std::string& path) {
  const auto rate = [](char letter) { return letter == 'a' ? 500.0 : letter == 'b' ? 300.0 : letter == 'c' ? 200.0 : 0.0; };
  std::string p = ascii_lower(part);
  if (p.rfind("part", 0) == 0) p.erase(0, 4);
  p.erase(0, p.find_first_not_of(" _-"));
  if (p.size() == 1) return rate(p[0]);
  for (const auto& component : fs::path(path)) {
    std::string c = ascii_lower(component.string());
    if (c.rfind("part", 0) != 0) continue;
    c.erase(0, 4);
    c.erase(0, c.find_first_not_of(" _-"));
    if (c.size() == 1 && rate(c[0]) > 0) return rate(c[0]);
  }
  return 0;
}

std::string resolve_wildcard(const std::string& relative, const std::filesystem::path& base_dir) {
  if (relative.empty() || relative.back() != '*') return relative;
  const fs::path pattern(relative.substr(0, relative.size() - 1));
  const std::string prefix = pattern.filename().string();
  const fs::path parent = pattern.parent_path();
  const fs::path folder = parent.is_absolute() ? parent : base_dir / parent;
  std::vector<std::string> found;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(folder, ec))
    if (const std::string name = entry.path().filename().string(); name.rfind(prefix, 0) == 0) found.push_back(name);
  if (found.size() > 1) {
    std::sort(found.begin(), found.end());
    throw RowError("several folders match", "several folders match " + relative + " (" + found[0] + ", " + found[1] + ")");
  }
  return found.empty() ? relative : (parent / found.front()).string();
}

NamingSheets naming_sheets(const std::vector<Sheet>& sheets, const std::string& main_sheet) {
  // The public loaders read sheet 2 (subject code in column B, number in C)
  // and sheet 3 (4-digit video code in A, name in B); rows of another shape
  // (titles, blanks) are passed over.
  NamingSheets out;
  const auto digits = [](const std::string& t) {
    return !t.empty() && std::all_of(t.begin(), t.end(), [](unsigned char c) { return std::isdigit(c); });
  };
  for (size_t k = 1; k < sheets.size() && k <= 2; ++k) {
    if (sheets[k].name == main_sheet) continue;
    for (const auto& row : sheets[k].rows) {
      const auto cell = [&](size_t c) { return c < row.cells.size() ? trim(row.cells[c]) : std::string(); };
      if (k == 1) {
        const std::string code = subject_code_of(cell(1));
        if (digits(code) && digits(cell(2))) out.subjects[cell(2)] = code;
      } else if (digits(cell(0)) && cell(0).size() == 4 && !cell(1).empty()) {
        out.videos[ascii_lower(cell(1))] = cell(0);
      }
    }
  }
  return out;
}

}  // namespace mexa::io::manifest_detail
