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

#include "manifest_fields.h"

namespace mexa::io {
using namespace manifest_detail;
namespace fs = std::filesystem;

ManifestOptions with_classes(ManifestOptions options, const std::vector<std::string>& classes) {
  options.class_names = classes;
  options.class_aliases = classes == megc3_classes() ? megc3_aliases() : std::map<std::string, std::string>{};
  options.excluded_emotions = classes == megc3_classes() ? megc3_excluded() : std::set<std::string>{};
  return options;
}

int class_index(const std::string& text, const ManifestOptions& options) {
  // The caller's aliases (a class map, MEGC's) on the text as written, then on
  // mexa's name for it; a class matches when mexa's names for both agree.
  const std::string written = lower_trim(text), name = emotion_name(text);
  std::vector<std::string> tries;
  for (const auto* aliases : {&options.class_map, &options.class_aliases})
    for (const auto& key : {written, name})
      if (const auto a = aliases->find(key); a != aliases->end()) tries.push_back(a->second);
  tries.push_back(written);
  tries.push_back(name);
  for (const auto& t : tries)
    for (size_t k = 0; k < options.class_names.size(); ++k)
      if (emotion_name(options.class_names[k]) == emotion_name(t)) return static_cast<int>(k);
  return -1;
}

namespace {

/// The annotation table once its header is found: the records, where the
/// rows start, and which field holds which mexa column.
struct Table {
  std::vector<CsvRecord> records;
  std::string source;         ///< what messages name: the file, or file:sheet
  std::string unit = "line ";  ///< "line " (CSV) or "row " (workbook)
  NamingSheets naming;
  std::map<std::string, size_t> column;  ///< mexa column -> field index
  std::vector<std::string> header_names;
  size_t first_row = 0;
  size_t header_width = 0;  ///< 0: no header (every record is a row)
  int header_line = 0;
};

/// The header is the first record (of the first 40) that names onset and
/// offset (SAMM puts free text above it), or subject and clip for a style of
/// images; records.size() when none does.
size_t find_header(const std::vector<CsvRecord>& records, const std::map<std::string, std::string>& names,
                   std::map<std::string, size_t>& column, bool images) {
  const char* first = images ? "subject" : "onset";
  const char* second = images ? "clip" : "offset";
  for (size_t r = 0; r < records.size() && r < 40; ++r) {
    std::map<std::string, size_t> found;
    for (size_t c = 0; c < records[r].fields.size(); ++c) {
      const auto it = names.find(lower_trim(records[r].fields[c]));
      if (it != names.end() && !found.count(it->second)) found[it->second] = c;
    }
    if (found.count(first) && found.count(second)) {
      column = found;
      return r;
    }
  }
  return records.size();
}

/// A workbook's records: its sheet (--sheet, else the first with a header;
/// CAS(ME)^2's codes come first, without one) and CAS(ME)^2's naming sheets.
void read_workbook(const std::string& path, const ManifestOptions& options, const StyleInfo& style,
                   const std::map<std::string, std::string>& names, Table& table) {
  table.unit = "row ";
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
    sheet = sheets.front();  // none has a header: the first, for the message
    for (size_t k = 0; k < sheets.size() && style.positional.empty(); ++k) {
      const auto candidate = as_records(sheets[k]);
      std::map<std::string, size_t> unused;
      if (find_header(candidate, names, unused, style.images) < candidate.size()) {
        sheet = std::move(sheets[k]);  // (the naming sheets are read only for CAS(ME)^2)
        break;
      }
    }
  }
  if (!style.positional.empty()) table.naming = naming_sheets(sheets, sheet.name);
  table.records = as_records(sheet);
  table.source = path + ":" + sheet.name;
}

/// The file's records and header (throws DataError for a file-level problem).
Table read_table(const std::string& path, const ManifestOptions& options, const StyleInfo& style) {
  std::error_code ec;
  if (!fs::exists(path, ec)) throw DataError(path, "no such file");
  if (fs::is_directory(path, ec)) throw DataError(path, "is a folder, not an annotation file");
  std::map<std::string, std::string> names = known_headers();  // plus the style's and the caller's renames
  for (const auto& [from, to] : style.columns)
    if (to.empty()) names.erase(from);  // not mexa's column of that name: an extra column
    else names[from] = to;
  for (const auto& [from, to] : options.columns) names[lower_trim(from)] = to;
  Table t;
  t.source = path;
  if (is_workbook(path)) read_workbook(path, options, style, names, t);
  else t.records = read_csv_file(path);
  if (t.records.empty())
    throw DataError(t.source, t.unit == "row " ? "empty sheet: no header and no rows" : "empty file: no header and no rows");
  const size_t header = find_header(t.records, names, t.column, style.images);
  if (header == t.records.size() && !style.positional.empty()) {  // CAS(ME)^2: the style's columns in order
    for (size_t c = 0; c < style.positional.size(); ++c) {
      t.column[style.positional[c]] = c;
      t.header_names.push_back(style.positional[c]);
    }
    return t;
  }
  if (header == t.records.size())
    throw DataError(t.source, std::string("no header row naming ") + (style.images ? "subject and clip" : "onset and offset") +
                                  " columns (" + t.unit +
                                  std::to_string(t.records.front().line) + " starts: '" +
                                  printable(t.records.front().fields.front().substr(0, 40)) + "')");
  for (const auto& name : t.records[header].fields) t.header_names.push_back(lower_trim(name));
  t.first_row = header + 1;
  t.header_width = t.records[header].fields.size();
  t.header_line = t.records[header].line;
  return t;
}

/// Turns the records of one table into manifest rows under `options`.
class RowReader {
 public:
  /// RowOutsideTheSet: kept with label -1 (ManifestOptions::keep_excluded).
  enum class Outcome { Row, RowOutsideTheSet, ExcludedType, ExcludedClass };

  /// `base_dir`: the folder relative clip paths start from.
  RowReader(const Table& table, const ManifestOptions& options, const StyleInfo& style, fs::path base_dir)
      : t_(table), o_(options), style_(style), base_dir_(std::move(base_dir)) {
    index_base_ = options.index_base.empty() ? style.index_base : options.index_base;
    path_template_ = options.path_template.empty() ? style.path_template : options.path_template;
    expression_ = options.expression.empty() ? style.expression : options.expression;
    for (const auto& [name, c] : t_.column) mapped_.insert(c);
    check_columns();
  }
  const std::string& expression() const { return expression_; }

  /// Fills `row` (Outcome::Row), or says why the record is left out without
  /// an error; throws RowError for a bad row. `excluded` names the emotion.
  Outcome read(const CsvRecord& record, ManifestRow& row, std::string& excluded) {
    check_fields(record);
    const auto field = [&](const char* name) { return this->field(record, name); };
    row.line = record.line;
    row.subject = field("subject");
    row.clip = field("clip");
    if (row.subject.empty()) throw RowError("empty subject", "empty subject");
    if (row.clip.empty()) throw RowError("empty clip name", "empty clip name");
    row.id = row.subject + "/" + row.clip;
    row.aus = field("aus");
    const std::string type = expression_type(field("type"));
    if (!expression_.empty() && type != "micro" && type != "macro")
      throw RowError("bad type", "type '" + field("type") + "' is neither a micro- nor a macro-expression");
    if (!expression_.empty() && expression_ != "all" && type != expression_) return Outcome::ExcludedType;
    const std::string text = label_text(style_.emotion_from_type && !t_.column.count("emotion") ? type : field("emotion"));
    bool outside_the_set = false;
    if (!read_class(text, row)) {
      excluded = emotion_name(text);
      if (!o_.keep_excluded) return Outcome::ExcludedClass;
      outside_the_set = true;  // scored, not trained on: no label
      row.label = -1;
      row.candidates.clear();
      row.emotion = excluded;
    }
    for (size_t c = 0; c < std::min(t_.header_names.size(), record.fields.size()); ++c)
      if (!mapped_.count(c)) row.extra[t_.header_names[c]] = trim(record.fields[c]);
    if (!type.empty()) row.extra["type"] = type;
    const fs::path resolved = read_path(record, row);
    if (style_.images) {
      row.onset = row.apex = row.offset = 0;  // one image: no frames to point at
    } else {
      const int64_t onset_number = read_frames(record, resolved, row);
      // One folder, several expressions: the id adds the onset's file number.
      if (style_.several_per_clip) row.id += "_" + std::to_string(onset_number);
    }
    read_fps(record, row);
    if (!style_.subject_prefix.empty()) {  // "casme2/sub01": subjects of several datasets kept apart
      const std::string prefix =
          prefix_index_ < record.fields.size() ? lower_trim(record.fields[prefix_index_]) : std::string();
      if (prefix.empty()) throw RowError("empty " + style_.subject_prefix, "empty " + style_.subject_prefix);
      row.extra[style_.subject_prefix] = prefix;
      row.subject = prefix + "/" + row.subject;
      row.id = prefix + "/" + row.id;
    }
    return outside_the_set ? Outcome::RowOutsideTheSet : Outcome::Row;
  }

 private:
  std::string field(const CsvRecord& record, const char* name) const {
    const auto it = t_.column.find(name);
    return it == t_.column.end() || it->second >= record.fields.size() ? std::string() : trim(record.fields[it->second]);
  }

  /// The emotion text, with a style's numeric codes turned into names.
  std::string label_text(const std::string& text) const {
    int64_t code = 0;
    if (style_.label_codes.empty() || !parse_int(text, code)) return text;
    if (code < 0 || code >= static_cast<int64_t>(style_.label_codes.size())) {
      std::string names;
      for (size_t k = 0; k < style_.label_codes.size(); ++k)
        names += (k ? ", " : "") + std::to_string(k) + " " + style_.label_codes[k];
      throw RowError("unknown class", "label " + trim(text) + " is not one of " + names);
    }
    return style_.label_codes[static_cast<size_t>(code)];
  }

  void check_columns() {
    const std::string at = t_.unit + std::to_string(t_.header_line);
    if (!style_.subject_prefix.empty()) {
      const auto it = std::find(t_.header_names.begin(), t_.header_names.end(), style_.subject_prefix);
      if (it == t_.header_names.end()) throw DataError(t_.source, at + ": missing column '" + style_.subject_prefix + "'");
      prefix_index_ = static_cast<size_t>(it - t_.header_names.begin());
    }
    if (!expression_.empty() && expression_ != "micro" && expression_ != "macro" && expression_ != "all")
      throw DataError(t_.source, "expression '" + expression_ + "' is not micro, macro or all");
    if (!expression_.empty() && expression_ != "all" && !t_.column.count("type"))
      throw DataError(t_.source, "--expression " + expression_ + " needs a type column (micro/macro), which is missing");
    for (const char* required : {"subject", "clip", "emotion"})
      if (!t_.column.count(required) &&
          !(std::string(required) == "emotion" && style_.emotion_from_type && t_.column.count("type")))
        throw DataError(t_.source, at + ": missing column '" + required + "'");
    if (path_template_.empty() && !t_.column.count("path"))
      throw DataError(t_.source, at + ": missing column 'path' (or give a path template for this dataset)");
    if (index_base_ == "first_frame" && !t_.column.count("first_frame"))
      throw DataError(t_.source, at + ": index base is the FirstF column, which is missing");
  }

  void check_fields(const CsvRecord& record) const {
    if (t_.header_width && record.fields.size() != t_.header_width)
      throw RowError("wrong number of fields", std::to_string(record.fields.size()) + " fields, the header has " +
                                                    std::to_string(t_.header_width));
    for (size_t c = 0; c < record.fields.size(); ++c)  // a path or name cut at the NUL would name another file
      if (record.fields[c].find('\0') != std::string::npos)
        throw RowError("NUL byte", "a NUL byte in column '" +
                                       (c < t_.header_names.size() ? t_.header_names[c] : std::to_string(c + 1)) +
                                       "' (a binary or damaged file?)");
  }

  /// Class: the caller's aliases, the datasets' spellings, then the class set
  /// (case-insensitive); "a|b" lists candidate classes, the first is the label.
  /// false: the row is excluded by the class set.
  /// A candidate that is some dataset's emotion but not in the set is
  /// dropped; a row left with none is excluded; a part no dataset uses is bad.
  bool read_class(const std::string& text, ManifestRow& row) const {
    if (o_.excluded_emotions.count(lower_trim(text))) return false;
    size_t start = 0;
    while (true) {
      const size_t bar = text.find('|', start);
      const std::string part = text.substr(start, bar == std::string::npos ? std::string::npos : bar - start);
      const int label = class_index(part, o_);
      if (label < 0 && !known_emotion(part))
        throw RowError("unknown class", "unknown class '" + trim(part) + "'" + (part == text ? "" : " in '" + text + "'") +
                                            " (--class-map FILE maps other spellings)");
      if (label >= 0 && std::find(row.candidates.begin(), row.candidates.end(), label) == row.candidates.end())
        row.candidates.push_back(label);
      if (bar == std::string::npos) break;
      start = bar + 1;
    }
    if (row.candidates.empty()) return false;  // every candidate is another set's emotion
    row.label = row.candidates.front();
    if (row.candidates.size() == 1) row.candidates.clear();
    row.emotion = o_.class_names[static_cast<size_t>(row.label)];
    return true;
  }

  /// Path: the column, or the dataset's template.
  fs::path read_path(const CsvRecord& record, ManifestRow& row) const {
    std::string relative = field(record, "path");
    if (relative.empty() && !path_template_.empty()) {
      // Long videos: the interval "006_1_2" lies in video "006_1"; CAS(ME)^2 names
      // subjects and videos by codes its naming sheets give.
      const std::string video = row.clip.substr(0, std::min(row.clip.rfind('_'), row.clip.size()));
      std::string subject_code = subject_code_of(row.subject);
      if (const auto it = t_.naming.subjects.find(row.subject); it != t_.naming.subjects.end()) subject_code = it->second;
      std::string video_code = video;
      if (const auto it = t_.naming.videos.find(ascii_lower(video)); it != t_.naming.videos.end()) video_code = it->second;
      relative = expand_template(path_template_, {{"subject", row.subject},
                                                  {"clip", row.clip},
                                                  {"emotion", lower_trim(row.emotion)},
                                                  {"video", video},
                                                  {"subject_code", subject_code},
                                                  {"video_code", video_code}});
      relative = resolve_wildcard(relative, base_dir_);
    }
    if (relative.empty()) throw RowError("empty path", "empty path");
    fs::path resolved = fs::path(relative).is_absolute() ? fs::path(relative) : base_dir_ / relative;
    if (style_.images && field(record, "path").empty()) resolved = find_image(resolved);
    row.path = resolved.lexically_normal().string();
    std::error_code ec;
    if (o_.check_paths && !fs::exists(resolved, ec)) throw RowError("missing path", "missing path " + row.path);
    return resolved;
  }

  /// An image style's file: `stem` plus an image extension in any case
  /// (".png", ".PNG", ".jpg"...), names compared without stray spaces.
  fs::path find_image(const fs::path& stem) const {
    const fs::path dir = stem.parent_path();
    auto listed = listed_.find(dir);
    if (listed == listed_.end()) {
      std::vector<std::string> names;
      std::error_code ec;
      for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec))
        if (it->is_regular_file(ec)) names.push_back(it->path().filename().string());
      std::sort(names.begin(), names.end());
      listed = listed_.emplace(dir, std::move(names)).first;
    }
    const std::string wanted = trim(stem.filename().string());
    std::vector<std::string> found;
    for (const auto& name : listed->second) {
      const fs::path p(name);
      if (is_image_extension(p.extension().string()) && trim(p.stem().string()) == wanted) found.push_back(name);
    }
    if (found.size() > 1)
      throw RowError("several images", "several images named " + wanted + " in " + dir.string() + ": " + found[0] +
                                           ", " + found[1]);
    if (found.empty()) {
      if (!o_.check_paths) return stem.string() + ".png";
      throw RowError("missing image", "no image " + wanted + ".png (or .jpg, .bmp, any case) in " + dir.string());
    }
    return dir / found.front();
  }

  /// Frames: numbers in the file, then 0-based. Returns the onset's number in the file.
  int64_t read_frames(const CsvRecord& record, const fs::path& resolved, ManifestRow& row) const {
    const auto number = [&](const char* name, const std::string& label) {
      int64_t value = 0;
      if (!parse_int(field(record, name), value))
        throw RowError("not a frame number", label + " '" + field(record, name) + "' is not a frame number");
      return value;
    };
    const int64_t onset = number("onset", "onset");
    int64_t offset = number("offset", "offset"), apex = -1;
    const std::string apex_text = field(record, "apex");
    bool has_apex = !apex_text.empty() && lower_trim(apex_text) != "/" && lower_trim(apex_text) != "n/a";
    if (has_apex) apex = number("apex", "apex");
    if (has_apex && apex < 0) has_apex = false;                        // SAMM-LV writes -1 for none
    if (!expression_.empty() && offset == 0 && has_apex) offset = apex;  // CAS(ME)^2: offset 0 = ends at the apex
    if (onset > offset)
      throw RowError("onset after offset", "onset " + std::to_string(onset) + " is after offset " + std::to_string(offset));
    if (has_apex && (apex < onset || apex > offset))
      throw RowError("apex outside onset-offset", "apex " + std::to_string(apex) + " is outside [onset " +
                                                      std::to_string(onset) + ", offset " + std::to_string(offset) + "]");
    int64_t base = 0;
    std::error_code ec;
    if (index_base_ == "folder") {
      if (fs::is_directory(resolved, ec)) {
        try {
          base = find_frame_sequence(resolved).start_number;
        } catch (const DecodeError& e) {
          throw RowError("unreadable frame folder", e.what());
        }
      }
    } else if (index_base_ == "first_frame") {
      base = number("first_frame", "FirstF");
    } else if (!parse_int(index_base_, base)) {
      throw DataError(t_.source, "index base '" + index_base_ + "' is not a number, 'folder' or 'first_frame'");
    }
    row.onset = onset - base;
    row.offset = offset - base;
    row.apex = has_apex ? apex - base : -1;
    if (row.onset < 0)
      throw RowError("onset before the first frame", "onset " + std::to_string(onset) +
                                                         " is before the first frame (index base " +
                                                         std::to_string(base) + ")");
    return onset;
  }

  void read_fps(const CsvRecord& record, ManifestRow& row) const {
    const std::string fps = field(record, "fps");
    if (!fps.empty()) {
      try {
        size_t used = 0;
        row.fps = std::stod(fps, &used);
        if (used != fps.size() || !(row.fps > 0)) throw std::invalid_argument(fps);
      } catch (const std::exception&) {
        throw RowError("bad fps", "fps '" + fps + "' is not a positive number");
      }
    }
    if (row.fps == 0 && o_.style == AnnotationStyle::Dfme) row.fps = dfme_part_fps(field(record, "part"), row.path);
  }

  const Table& t_;
  const ManifestOptions& o_;
  const StyleInfo& style_;
  fs::path base_dir_;
  std::string index_base_, path_template_, expression_;
  std::set<size_t> mapped_;
  size_t prefix_index_ = 0;  ///< the subject_prefix column's field
  /// Image styles: file names per folder, listed once.
  mutable std::map<fs::path, std::vector<std::string>> listed_;
};

/// One line per cause of skipped rows (count and the first rows), one per
/// excluded class; every skipped row at debug level.
void log_summary(const Manifest& m, const std::string& expression) {
  std::map<std::string, std::vector<const ManifestProblem*>> by_cause;
  for (const auto& p : m.skipped) by_cause[p.cause].push_back(&p);
  for (const auto& [cause, problems] : by_cause) {
    std::string lines;
    for (size_t k = 0; k < problems.size() && k < 3; ++k) lines += (k ? ", " : "") + std::to_string(problems[k]->line);
    spdlog::warn("{}: {} row{} skipped: {} (line {}{}; e.g. {})", m.source, problems.size(),
                 problems.size() == 1 ? "" : "s", cause, lines, problems.size() > 3 ? ", ..." : "",
                 problems.front()->message);
  }
  for (const auto& p : m.skipped) spdlog::debug("{} (row skipped)", p.message);
  for (const auto& [emotion, count] : m.excluded_classes)
    spdlog::info("{}: {} row{} excluded by the class set: {}", m.source, count, count == 1 ? "" : "s", emotion);
  if (m.excluded_type > 0)
    spdlog::info("{}: {} intervals left out: not {}-expressions (--expression)", m.source, m.excluded_type, expression);
}

}  // namespace

Manifest read_manifest(const std::string& path, const ManifestOptions& options) {
  const StyleInfo& style = style_info(options.style);
  const Table table = read_table(path, options, style);
  RowReader reader(table, options, style, options.root.empty() ? fs::path(path).parent_path() : fs::path(options.root));
  Manifest manifest;
  manifest.file = path;
  manifest.source = table.source;
  std::set<std::string> seen_ids;
  for (size_t r = table.first_row; r < table.records.size(); ++r) {
    const CsvRecord& record = table.records[r];
    try {
      ManifestRow row;
      std::string excluded;
      switch (reader.read(record, row, excluded)) {
        case RowReader::Outcome::ExcludedType:
          ++manifest.excluded_type;
          continue;
        case RowReader::Outcome::ExcludedClass:
          ++manifest.excluded;
          ++manifest.excluded_classes[excluded];
          continue;
        case RowReader::Outcome::RowOutsideTheSet:
          ++manifest.excluded_classes[excluded];  // counted, but kept (scoring)
          break;
        case RowReader::Outcome::Row:
          break;
      }
      if (!seen_ids.insert(row.id).second) throw RowError("duplicate clip", "duplicate clip " + row.id);
      manifest.rows.push_back(std::move(row));
    } catch (const RowError& e) {
      if (options.strict) throw DataError(table.source, table.unit + std::to_string(record.line) + ": " + e.what());
      manifest.skipped.push_back({record.line, table.source + ":" + std::to_string(record.line) + ": " + e.what(), e.cause()});
    }
  }
  log_summary(manifest, reader.expression());
  if (manifest.rows.empty() && manifest.skipped.empty() && manifest.excluded == 0 && manifest.excluded_type == 0)
    throw DataError(table.source, "no rows after the header");
  return manifest;
}

}  // namespace mexa::io
