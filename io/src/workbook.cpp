#include "mexa/io/workbook.h"

#include <freexl.h>
#include <zip.h>

#include <pugixml.hpp>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <map>
#include <memory>

#include "mexa/io/errors.h"
#include "mexa/io/text.h"

namespace mexa::io {
namespace {

/// "" -> 0; digits -> that index; else the index of the name. Throws naming the sheets.
size_t pick_sheet(const std::string& path, const std::vector<std::string>& names, const std::string& sheet) {
  if (names.empty()) throw DataError(path, "the workbook has no sheet");
  if (sheet.empty()) return 0;
  for (size_t i = 0; i < names.size(); ++i)
    if (names[i] == sheet) return i;
  if (std::all_of(sheet.begin(), sheet.end(), [](unsigned char c) { return std::isdigit(c); }) && sheet.size() < 6) {
    const size_t i = std::stoul(sheet);
    if (i < names.size()) return i;
  }
  std::string known;
  for (size_t i = 0; i < names.size(); ++i) known += (i ? ", " : "") + std::to_string(i) + " '" + names[i] + "'";
  throw DataError(path, "no sheet '" + sheet + "' (sheets: " + known + ")");
}

void drop_empty_rows(Sheet& sheet) {
  sheet.rows.erase(std::remove_if(sheet.rows.begin(), sheet.rows.end(),
                                  [](const SheetRow& r) {
                                    return std::all_of(r.cells.begin(), r.cells.end(),
                                                       [](const std::string& c) { return c.empty(); });
                                  }),
                   sheet.rows.end());
}

// ---------------------------------------------------------------- .xlsx

constexpr size_t kMaxCells = 4'000'000;        ///< rows x columns of one sheet
constexpr zip_uint64_t kMaxPart = 64u << 20;      ///< bytes of one XML part
constexpr size_t kMaxString = 32767;              ///< Excel's longest cell text

struct ZipCloser {
  void operator()(zip_t* z) const { zip_discard(z); }
};

class Xlsx {
 public:
  explicit Xlsx(const std::string& path) : path_(path) {
    int error = 0;
    archive_.reset(zip_open(path.c_str(), ZIP_RDONLY, &error));
    if (!archive_) {
      zip_error_t e;
      zip_error_init_with_code(&e, error);
      const std::string why = zip_error_strerror(&e);
      zip_error_fini(&e);
      throw DataError(path, "not a readable .xlsx workbook (zip: " + why + ")");
    }
    const auto workbook = xml("xl/workbook.xml");
    const auto rels = xml("xl/_rels/workbook.xml.rels");
    std::map<std::string, std::string> target_of;
    for (auto rel : rels.child("Relationships").children("Relationship"))
      target_of[rel.attribute("Id").value()] = rel.attribute("Target").value();
    for (auto s : workbook.child("workbook").child("sheets").children("sheet")) {
      names_.push_back(s.attribute("name").value());
      std::string target = target_of[s.attribute("r:id").value()];
      if (!target.empty() && target[0] == '/') target = target.substr(1);                       // absolute in the package
      else if (target.rfind("xl/", 0) != 0) target = "xl/" + target;                            // relative to xl/
      parts_.push_back(target);
    }
    if (has("xl/sharedStrings.xml")) {
      const auto strings = xml("xl/sharedStrings.xml");
      for (auto si : strings.child("sst").children("si")) {
        shared_.push_back(text_of(si));
        if (shared_.back().size() > kMaxString)
          throw DataError(path_, "a shared string of " + std::to_string(shared_.back().size()) +
                                     " characters (Excel's limit is 32,767): damaged workbook");
      }
    }
  }
  const std::vector<std::string>& names() const { return names_; }

  Sheet sheet(size_t index) {
    Sheet out;
    out.name = names_[index];
    const std::string where = path_ + ":" + out.name;
    const auto doc = xml(parts_[index]);
    int previous_row = 0;
    size_t width = 0;
    for (auto row : doc.child("worksheet").child("sheetData").children("row")) {
      SheetRow r;
      r.row = row.attribute("r").as_int(previous_row + 1);
      previous_row = r.row;
      size_t next = 0;
      for (auto c : row.children("c")) {
        const std::string ref = c.attribute("r").value();
        size_t column = next;
        if (!ref.empty()) {
          column = 0;
          size_t letters = 0;
          for (char ch : ref) {
            if (!std::isalpha(static_cast<unsigned char>(ch)) || ++letters > 3) break;
            column = column * 26 + static_cast<size_t>(std::toupper(static_cast<unsigned char>(ch)) - 'A' + 1);
          }
          if (letters == 0 || letters > 3 || column > 16384)
            throw DataError(where, "row " + std::to_string(r.row) + ": cell reference '" + ref + "' is not A1..XFD");
          column -= 1;
        }
        if (column > 16383) throw DataError(where, "row " + std::to_string(r.row) + ": a cell beyond column XFD");
        next = column + 1;
        std::string text = cell_text(c, out.name, r.row);
        if (text.empty()) continue;  // an empty (styled) cell widens nothing
        if (r.cells.size() <= column) r.cells.resize(column + 1);
        r.cells[column] = std::move(text);
      }
      width = std::max(width, r.cells.size());
      if (!r.cells.empty()) out.rows.push_back(std::move(r));
      // A hostile sheet must not make a small file take gigabytes.
      if (out.rows.size() * std::max<size_t>(width, 1) > kMaxCells)
        throw DataError(where, "more than " + std::to_string(kMaxCells) + " cells: not an annotation sheet");
    }
    // Excel leaves trailing empty cells out: every row as wide as the widest.
    for (auto& r : out.rows) r.cells.resize(width);
    return out;
  }

 private:
  bool has(const std::string& name) { return zip_name_locate(archive_.get(), name.c_str(), 0) >= 0; }

  pugi::xml_document xml(const std::string& name) {
    zip_stat_t st;
    if (zip_stat(archive_.get(), name.c_str(), 0, &st) != 0 || !(st.valid & ZIP_STAT_SIZE))
      throw DataError(path_, "not an .xlsx workbook: no part " + name);
    if (st.size > kMaxPart) throw DataError(path_, name + " is larger than 64 MiB: not an annotation workbook");
    std::string bytes(st.size, '\0');
    zip_file_t* f = zip_fopen(archive_.get(), name.c_str(), 0);
    if (!f) throw DataError(path_, "cannot open part " + name);
    const zip_int64_t got = zip_fread(f, bytes.data(), st.size);
    zip_fclose(f);
    if (got < 0 || static_cast<zip_uint64_t>(got) != st.size) throw DataError(path_, "cannot read part " + name + " (damaged zip)");
    pugi::xml_document doc;
    const auto parsed = doc.load_buffer(bytes.data(), bytes.size());
    if (!parsed) throw DataError(path_, "part " + name + ": XML error: " + parsed.description());
    return doc;
  }

  /// A shared or inline string: its <t> text, or its rich-text runs' joined
  /// (phonetic runs, <rPh>, left out).
  static std::string text_of(const pugi::xml_node& node) {
    std::string text = node.child("t").text().get();
    for (auto run : node.children("r")) text += run.child("t").text().get();
    return text;
  }

  std::string cell_text(const pugi::xml_node& c, const std::string& sheet, int row) {
    const std::string type = c.attribute("t").value();
    const std::string value = c.child("v").text().get();
    if (type == "s") {
      char* end = nullptr;
      const unsigned long i = std::strtoul(value.c_str(), &end, 10);
      if (value.empty() || *end || i >= shared_.size())
        throw DataError(path_ + ":" + sheet, "row " + std::to_string(row) + ": shared string " + value + " does not exist");
      return shared_[i];
    }
    if (type == "inlineStr") return text_of(c.child("is"));
    if (type == "str" || type == "e" || type == "b") return value;
    if (value.empty()) return "";
    char* end = nullptr;
    const double number = std::strtod(value.c_str(), &end);
    return *end ? value : shortest_number(number);
  }

  std::string path_;
  std::unique_ptr<zip_t, ZipCloser> archive_;
  std::vector<std::string> names_, parts_, shared_;
};

// ---------------------------------------------------------------- .xls

class Xls {
 public:
  explicit Xls(const std::string& path) : path_(path) {
    if (freexl_open(path.c_str(), &handle_) != FREEXL_OK) {
      handle_ = nullptr;
      throw DataError(path, "not a readable .xls workbook (freexl could not open it)");
    }
    unsigned int count = 0;
    if (freexl_get_info(handle_, FREEXL_BIFF_SHEET_COUNT, &count) != FREEXL_OK) count = 0;
    if (count > 65535) throw DataError(path, "claims " + std::to_string(count) + " sheets: damaged workbook");
    for (unsigned int i = 0; i < count; ++i) {
      const char* name = nullptr;
      names_.push_back(freexl_get_worksheet_name(handle_, static_cast<unsigned short>(i), &name) == FREEXL_OK && name
                           ? name
                           : "Sheet" + std::to_string(i + 1));
    }
  }
  ~Xls() {
    if (handle_) freexl_close(handle_);
  }
  Xls(const Xls&) = delete;
  Xls& operator=(const Xls&) = delete;
  const std::vector<std::string>& names() const { return names_; }

  Sheet sheet(size_t index) {
    Sheet out;
    out.name = names_[index];
    unsigned int rows = 0;
    unsigned short columns = 0;
    if (freexl_select_active_worksheet(handle_, static_cast<unsigned short>(index)) != FREEXL_OK ||
        freexl_worksheet_dimensions(handle_, &rows, &columns) != FREEXL_OK)
      throw DataError(path_ + ":" + out.name, "cannot read the sheet");
    if (static_cast<size_t>(rows) * columns > kMaxCells)
      throw DataError(path_ + ":" + out.name, "more than " + std::to_string(kMaxCells) + " cells: not an annotation sheet");
    for (unsigned int r = 0; r < rows; ++r) {
      SheetRow row;
      row.row = static_cast<int>(r) + 1;
      for (unsigned short c = 0; c < columns; ++c) {
        FreeXL_CellValue cell;
        std::string text;
        if (freexl_get_cell_value(handle_, r, c, &cell) == FREEXL_OK) {
          switch (cell.type) {
            case FREEXL_CELL_INT: text = std::to_string(cell.value.int_value); break;
            case FREEXL_CELL_DOUBLE: text = shortest_number(cell.value.double_value); break;
            case FREEXL_CELL_TEXT:
            case FREEXL_CELL_SST_TEXT:
            case FREEXL_CELL_DATE:
            case FREEXL_CELL_DATETIME:
            case FREEXL_CELL_TIME: text = cell.value.text_value ? cell.value.text_value : ""; break;
            default: break;
          }
        }
        row.cells.push_back(std::move(text));
      }
      out.rows.push_back(std::move(row));
    }
    drop_empty_rows(out);
    return out;
  }

 private:
  std::string path_;
  const void* handle_ = nullptr;
  std::vector<std::string> names_;
};

bool is_xls(const std::string& path) {
  const auto dot = path.rfind('.');
  return dot != std::string::npos && ascii_lower(path.substr(dot)) == ".xls";
}

}  // namespace

bool is_workbook(const std::string& path) {
  const auto dot = path.rfind('.');
  if (dot == std::string::npos) return false;
  const std::string ext = ascii_lower(path.substr(dot));
  return ext == ".xlsx" || ext == ".xlsm" || ext == ".xls";
}

std::vector<std::string> sheet_names(const std::string& path) {
  if (is_xls(path)) return Xls(path).names();
  return Xlsx(path).names();
}

std::vector<Sheet> read_sheets(const std::string& path) {
  std::vector<Sheet> out;
  if (is_xls(path)) {
    Xls book(path);
    for (size_t i = 0; i < book.names().size(); ++i) out.push_back(book.sheet(i));
  } else {
    Xlsx book(path);
    for (size_t i = 0; i < book.names().size(); ++i) out.push_back(book.sheet(i));
  }
  return out;
}

Sheet read_sheet(const std::string& path, const std::string& sheet) {
  if (is_xls(path)) {
    Xls book(path);
    return book.sheet(pick_sheet(path, book.names(), sheet));
  }
  Xlsx book(path);
  return book.sheet(pick_sheet(path, book.names(), sheet));
}

}  // namespace mexa::io
