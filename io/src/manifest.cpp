#include "mexa/io/manifest.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <filesystem>
#include <set>

#include "mexa/io/csv.h"
#include "mexa/io/text.h"
#include "mexa/io/workbook.h"
#include "mexa/io/errors.h"
#include "mexa/io/frame_folder.h"
#include "mexa/io/results.h"

namespace mexa::io {
namespace {

/// Text quoted in a message: valid UTF-8, control bytes as '?' (a binary file
/// must not write terminal escapes into the log).
std::string printable(const std::string& text) {
  std::string out = valid_utf8(text);
  for (char& c : out)
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = '?';
  return out;
}

namespace fs = std::filesystem;

std::string lower_trim(std::string text) {
  const auto first = text.find_first_not_of(" \t");
  const auto last = text.find_last_not_of(" \t");
  return ascii_lower(first == std::string::npos ? "" : text.substr(first, last - first + 1));
}

std::string trim(const std::string& text) {
  const auto first = text.find_first_not_of(" \t");
  const auto last = text.find_last_not_of(" \t");
  return first == std::string::npos ? "" : text.substr(first, last - first + 1);
}

/// Header names of the datasets (lower case) -> mexa's column names.
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

/// The folder a template ending in '*' names: the one entry of its parent
/// whose name starts with the last component ("rawpic/s15/15_0101*" ->
/// "rawpic/s15/15_0101disgustingteeth"); the pattern itself when there is
/// none (reported as missing), RowError when several match.
std::string resolve_wildcard(const std::string& relative, const fs::path& base_dir);

/// A subject's folder code: "s15" and "15" -> "15" (CAS(ME)^2's rawpic/s15).
std::string subject_code_of(const std::string& text) {
  std::string code = ascii_lower(text);
  if (!code.empty() && code[0] == 's') code.erase(0, 1);
  return code;
}

/// CAS(ME)^2's naming sheets: subject number -> folder code ("1" -> "15"),
/// video name -> 4-digit code ("anger1" -> "0401"). Empty for other files.
struct NamingSheets {
  std::map<std::string, std::string> subjects, videos;
};
NamingSheets naming_sheets(const std::vector<Sheet>& sheets, const std::string& main_sheet);

/// "{subject:02}/{clip}" -> "sub01/EP02_01f" style expansion.
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
      width = std::stoul(key.substr(colon + 1));
      key = key.substr(0, colon);
    }
    const auto it = values.find(key);
    if (it == values.end()) throw DataError("", "path template '" + pattern + "' names unknown field {" + key + "}");
    std::string value = it->second;
    // Zero-pad numbers ("1" -> "01"); "sub01" stays as it is.
    const bool numeric = !value.empty() && std::all_of(value.begin(), value.end(), ::isdigit);
    if (numeric && value.size() < width) value.insert(0, width - value.size(), '0');
    out += value;
    i = close;
  }
  return out;
}

/// Parses an integer frame number ("46", or "46.0" from spreadsheets); false otherwise.
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

class RowError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// DFME's frame rate from its part: a part column ("A", "part_B") or a path
/// component ("Part_C", "partA"): A 500, B 300, C 200; 0 when neither says.
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

std::string resolve_wildcard(const std::string& relative, const fs::path& base_dir) {
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
    throw RowError("several folders match " + relative + " (" + found[0] + ", " + found[1] + ")");
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

}  // namespace

std::vector<std::string> dfme_classes() {
  return {"happiness", "sadness", "anger", "contempt", "fear", "disgust", "surprise"};
}

std::vector<std::string> megc3_classes() { return {"negative", "positive", "surprise"}; }

std::set<std::string> megc3_excluded() { return {"others", "other"}; }

std::map<std::string, std::string> megc3_aliases() {
  return {{"happiness", "positive"}, {"happy", "positive"},      {"positive", "positive"},
          {"surprise", "surprise"},  {"anger", "negative"},      {"angry", "negative"},
          {"contempt", "negative"},  {"disgust", "negative"},    {"sadness", "negative"},
          {"sad", "negative"},       {"fear", "negative"},       {"repression", "negative"},
          {"negative", "negative"}};
}

std::string class_set_name(const std::vector<std::string>& classes) {
  if (classes == dfme_classes()) return "dfme";
  if (classes == megc3_classes()) return "megc3";
  std::string out;
  for (const auto& c : classes) out += (out.empty() ? "" : ",") + c;
  return out;
}

ManifestOptions with_classes(ManifestOptions options, const std::vector<std::string>& classes) {
  options.class_names = classes;
  options.class_aliases = classes == megc3_classes() ? megc3_aliases() : std::map<std::string, std::string>{};
  options.excluded_emotions = classes == megc3_classes() ? megc3_excluded() : std::set<std::string>{};
  return options;
}

int class_index(const std::string& text, const ManifestOptions& options) {
  std::string emotion = lower_trim(text);
  if (const auto alias = options.class_aliases.find(emotion); alias != options.class_aliases.end()) emotion = alias->second;
  for (size_t k = 0; k < options.class_names.size(); ++k)
    if (lower_trim(options.class_names[k]) == lower_trim(emotion)) return static_cast<int>(k);
  return -1;
}

Manifest read_manifest(const std::string& path, const ManifestOptions& options) {
  std::error_code ec;
  if (!fs::exists(path, ec)) throw DataError(path, "no such file");
  if (fs::is_directory(path, ec)) throw DataError(path, "is a folder, not an annotation file");
  // Column names: known dataset headers plus the caller's renames.
  std::map<std::string, std::string> names = known_headers();
  for (const auto& [from, to] : options.columns) names[lower_trim(from)] = to;

  // The header is the first record that names onset and offset (SAMM puts free
  // text above it).
  std::map<std::string, size_t> column;
  const auto find_header = [&](const std::vector<CsvRecord>& records) {
    for (size_t r = 0; r < records.size() && r < 40; ++r) {
      std::map<std::string, size_t> found;
      for (size_t c = 0; c < records[r].fields.size(); ++c) {
        const auto it = names.find(lower_trim(records[r].fields[c]));
        if (it != names.end() && !found.count(it->second)) found[it->second] = c;
      }
      if (found.count("onset") && found.count("offset")) {
        column = found;
        return r;
      }
    }
    return records.size();
  };

  // A workbook's sheet (--sheet, else the first with such a header) or the CSV;
  // messages name "file:sheet" and its rows.
  const StyleInfo& style = style_info(options.style);
  std::vector<CsvRecord> records;
  std::string source = path, unit = "line ";
  NamingSheets naming;
  if (is_workbook(path)) {
    unit = "row ";
    const auto as_records = [](const Sheet& sheet) {
      std::vector<CsvRecord> out;
      for (const auto& row : sheet.rows) out.push_back({row.cells, row.row});
      return out;
    };
    // Every sheet when the header is searched for, or CAS(ME)^2's naming sheets are needed.
    std::vector<Sheet> sheets;
    if (options.sheet.empty() || !style.positional.empty()) {
      sheets = read_sheets(path);
      if (sheets.empty()) throw DataError(path, "the workbook has no sheet");
    }
    Sheet sheet;
    if (!options.sheet.empty()) {
      sheet = read_sheet(path, options.sheet);
    } else {
      // CAS(ME)^2's codes come first, without a header; else the first sheet with
      // a header (none has one: the first, for the message).
      sheet = sheets.front();
      for (size_t k = 0; k < sheets.size() && style.positional.empty(); ++k) {
        const auto candidate = as_records(sheets[k]);
        if (find_header(candidate) < candidate.size()) {
          sheet = std::move(sheets[k]);  // (the naming sheets are read only for CAS(ME)^2)
          break;
        }
      }
    }
    if (!style.positional.empty()) naming = naming_sheets(sheets, sheet.name);
    records = as_records(sheet);
    source = path + ":" + sheet.name;
  } else {
    records = read_csv_file(path);
  }
  if (records.empty()) throw DataError(source, unit == "row " ? "empty sheet: no header and no rows" : "empty file: no header and no rows");
  size_t header_index = find_header(records);
  // Files without a header (CAS(ME)^2): the style's columns in order, every record a row.
  const bool headerless = header_index == records.size() && !style.positional.empty();
  std::vector<std::string> header_names;
  if (headerless) {
    for (size_t c = 0; c < style.positional.size(); ++c) {
      column[style.positional[c]] = c;
      header_names.push_back(style.positional[c]);
    }
  } else if (header_index == records.size()) {
    throw DataError(source, "no header row naming onset and offset columns (" + unit +
                              std::to_string(records.front().line) + " starts: '" +
                              printable(records.front().fields.front().substr(0, 40)) + "')");
  } else {
    for (const auto& name : records[header_index].fields) header_names.push_back(lower_trim(name));
  }

  const std::string index_base = options.index_base.empty() ? style.index_base : options.index_base;
  const std::string path_template = options.path_template.empty() ? style.path_template : options.path_template;
  const std::string expression = options.expression.empty() ? style.expression : options.expression;
  if (!expression.empty() && expression != "micro" && expression != "macro" && expression != "all")
    throw DataError(source, "expression '" + expression + "' is not micro, macro or all");
  if (!expression.empty() && expression != "all" && !column.count("type"))
    throw DataError(source, "--expression " + expression + " needs a type column (micro/macro), which is missing");
  const int header_at = headerless ? 0 : records[header_index].line;
  for (const char* required : {"subject", "clip", "emotion"})
    if (!column.count(required) && !(std::string(required) == "emotion" && style.emotion_from_type && column.count("type")))
      throw DataError(source, unit + std::to_string(header_at) + ": missing column '" + required + "'");
  if (path_template.empty() && !column.count("path"))
    throw DataError(source, unit + std::to_string(header_at) +
                              ": missing column 'path' (or give a path template for this dataset)");
  if (index_base == "first_frame" && !column.count("first_frame"))
    throw DataError(source, unit + std::to_string(header_at) + ": index base is the FirstF column, which is missing");

  const fs::path base_dir = options.root.empty() ? fs::path(path).parent_path() : fs::path(options.root);
  Manifest manifest;
  manifest.file = path;
  manifest.source = source;
  std::set<std::string> seen_ids;
  const size_t header_width = headerless ? 0 : records[header_index].fields.size();
  std::set<size_t> mapped_columns;
  for (const auto& [name, c] : column) mapped_columns.insert(c);

  for (size_t r = headerless ? 0 : header_index + 1; r < records.size(); ++r) {
    const CsvRecord& record = records[r];
    try {
      if (!headerless && record.fields.size() != header_width)
        throw RowError(std::to_string(record.fields.size()) + " fields, the header has " +
                       std::to_string(header_width));
      for (size_t c = 0; c < record.fields.size(); ++c)  // a path or name cut at the NUL would name another file
        if (record.fields[c].find('\0') != std::string::npos)
          throw RowError("a NUL byte in column '" + (c < header_names.size() ? header_names[c] : std::to_string(c + 1)) +
                         "' (a binary or damaged file?)");
      auto field = [&](const char* name) -> std::string {
        const auto it = column.find(name);
        return it == column.end() || it->second >= record.fields.size() ? std::string() : trim(record.fields[it->second]);
      };
      ManifestRow row;
      row.line = record.line;
      row.subject = field("subject");
      row.clip = field("clip");
      if (row.subject.empty()) throw RowError("empty subject");
      if (row.clip.empty()) throw RowError("empty clip name");
      row.id = row.subject + "/" + row.clip;
      row.aus = field("aus");
      const std::string type = expression_type(field("type"));
      if (!expression.empty() && type != "micro" && type != "macro")
        throw RowError("type '" + field("type") + "' is neither a micro- nor a macro-expression");
      if (!expression.empty() && expression != "all" && type != expression) {  // the other kind of interval
        ++manifest.excluded_type;
        continue;
      }

      // Class: alias, then match (case-insensitive); "a|b" lists candidate classes, the first is the label.
      {
        const std::string text = style.emotion_from_type && !column.count("emotion") ? type : field("emotion");
        if (options.excluded_emotions.count(lower_trim(text))) {  // left out by the class set, not an error
          ++manifest.excluded;
          continue;
        }
        size_t start = 0;
        while (true) {
          const size_t bar = text.find('|', start);
          const std::string part = text.substr(start, bar == std::string::npos ? std::string::npos : bar - start);
          const int label = class_index(part, options);
          if (label < 0) throw RowError("unknown class '" + trim(part) + "'" + (part == text ? "" : " in '" + text + "'"));
          if (std::find(row.candidates.begin(), row.candidates.end(), label) == row.candidates.end())
            row.candidates.push_back(label);
          if (bar == std::string::npos) break;
          start = bar + 1;
        }
        row.label = row.candidates.front();
        if (row.candidates.size() == 1) row.candidates.clear();
      }
      row.emotion = options.class_names[static_cast<size_t>(row.label)];
      std::string emotion = lower_trim(row.emotion);
      for (size_t c = 0; c < std::min(header_names.size(), record.fields.size()); ++c)
        if (!mapped_columns.count(c)) row.extra[header_names[c]] = trim(record.fields[c]);
      if (!type.empty()) row.extra["type"] = type;

      // Path: the column, or the dataset's template.
      std::string relative = field("path");
      if (relative.empty() && !path_template.empty()) {
        // Long videos: the interval "006_1_2" lies in video "006_1"; CAS(ME)^2 names
        // subjects and videos by codes its naming sheets give.
        const std::string video = row.clip.substr(0, std::min(row.clip.rfind('_'), row.clip.size()));
        std::string subject_code = subject_code_of(row.subject);
        if (const auto it = naming.subjects.find(row.subject); it != naming.subjects.end()) subject_code = it->second;
        std::string video_code = video;
        if (const auto it = naming.videos.find(ascii_lower(video)); it != naming.videos.end()) video_code = it->second;
        relative = expand_template(path_template, {{"subject", row.subject},
                                                   {"clip", row.clip},
                                                   {"emotion", emotion},
                                                   {"video", video},
                                                   {"subject_code", subject_code},
                                                   {"video_code", video_code}});
        relative = resolve_wildcard(relative, base_dir);
      }
      if (relative.empty()) throw RowError("empty path");
      const fs::path resolved = fs::path(relative).is_absolute() ? fs::path(relative) : base_dir / relative;
      row.path = resolved.lexically_normal().string();
      if (options.check_paths && !fs::exists(resolved, ec)) throw RowError("missing path " + row.path);

      // Frames: numbers in the file, then 0-based.
      int64_t onset = 0, offset = 0, apex = -1;
      if (!parse_int(field("onset"), onset)) throw RowError("onset '" + field("onset") + "' is not a frame number");
      if (!parse_int(field("offset"), offset))
        throw RowError("offset '" + field("offset") + "' is not a frame number");
      const std::string apex_text = field("apex");
      bool has_apex = !apex_text.empty() && lower_trim(apex_text) != "/" && lower_trim(apex_text) != "n/a";
      if (has_apex && !parse_int(apex_text, apex)) throw RowError("apex '" + apex_text + "' is not a frame number");
      if (has_apex && apex < 0) has_apex = false;  // SAMM-LV writes -1 for none
      if (!expression.empty() && offset == 0 && has_apex) offset = apex;  // CAS(ME)^2: offset 0 = ends at the apex
      if (onset > offset)
        throw RowError("onset " + std::to_string(onset) + " is after offset " + std::to_string(offset));
      if (has_apex && (apex < onset || apex > offset))
        throw RowError("apex " + std::to_string(apex) + " is outside [onset " + std::to_string(onset) + ", offset " +
                       std::to_string(offset) + "]");

      int64_t base = 0;
      if (index_base == "folder") {
        if (fs::is_directory(resolved, ec)) {
          try {
            base = find_frame_sequence(resolved).start_number;
          } catch (const DecodeError& e) {
            throw RowError(e.what());
          }
        }
      } else if (index_base == "first_frame") {
        if (!parse_int(field("first_frame"), base))
          throw RowError("FirstF '" + field("first_frame") + "' is not a frame number");
      } else if (!parse_int(index_base, base)) {
        throw DataError(source, "index base '" + index_base + "' is not a number, 'folder' or 'first_frame'");
      }
      row.onset = onset - base;
      row.offset = offset - base;
      row.apex = has_apex ? apex - base : -1;
      if (row.onset < 0)
        throw RowError("onset " + std::to_string(onset) + " is before the first frame (index base " +
                       std::to_string(base) + ")");

      const std::string fps = field("fps");
      if (!fps.empty()) {
        try {
          size_t used = 0;
          row.fps = std::stod(fps, &used);
          if (used != fps.size() || !(row.fps > 0)) throw std::invalid_argument(fps);
        } catch (const std::exception&) {
          throw RowError("fps '" + fps + "' is not a positive number");
        }
      }
      if (row.fps == 0 && options.style == AnnotationStyle::Dfme) row.fps = dfme_part_fps(field("part"), row.path);
      if (!seen_ids.insert(row.id).second) throw RowError("duplicate clip " + row.id);
      manifest.rows.push_back(std::move(row));
    } catch (const RowError& e) {
      const std::string message = source + ":" + std::to_string(record.line) + ": " + e.what();
      if (options.strict) throw DataError(source, unit + std::to_string(record.line) + ": " + e.what());
      spdlog::warn("{} (row skipped)", message);
      manifest.skipped.push_back({record.line, message});
    }
  }
  if (manifest.excluded > 0)
    spdlog::info("{}: {} rows left out: their emotion is not in the class set", source, manifest.excluded);
  if (manifest.excluded_type > 0)
    spdlog::info("{}: {} intervals left out: not {}-expressions (--expression)", source, manifest.excluded_type,
                 expression);
  if (manifest.rows.empty() && manifest.skipped.empty() && manifest.excluded == 0 && manifest.excluded_type == 0)
    throw DataError(source, "no rows after the header");
  return manifest;
}

}  // namespace mexa::io
