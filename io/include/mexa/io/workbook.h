// Annotation workbooks as the datasets ship them: .xlsx (Office Open XML, a
// zip of XML parts: libzip + pugixml) and legacy .xls (BIFF: Debian's
// libfreexl). Every cell comes back as text: numbers in their shortest exact
// form ("46", not "46.0"), text as it is, booleans as 1/0, empty cells as "".
// Rows keep their sheet row number (1-based), so messages can say
// `file:sheet:row: why`.
//
// Stateless functions, thread-safe.
//
//   for (const auto& name : mexa::io::sheet_names("SAMM_Micro_FACS_Codes_v2.xlsx")) ...
//   auto sheet = mexa::io::read_sheet("CASME2_label_Ver_2.xls", "");   // the first sheet
#pragma once

#include <string>
#include <vector>

namespace mexa::io {

struct SheetRow {
  std::vector<std::string> cells;
  int row = 0;  ///< 1-based row number in the sheet
};

struct Sheet {
  std::string name;
  /// Rows holding at least one non-empty cell, in order, all as wide as the
  /// widest (Excel leaves trailing empty cells out). At most 4 M cells and
  /// 64 MiB of XML per part: a bigger sheet is refused, not read.
  std::vector<SheetRow> rows;
};

/// Whether `path` names a workbook mexa reads (.xlsx, .xlsm, .xls; case-insensitive).
bool is_workbook(const std::string& path);

/// The workbook's sheet names, in order. Throws DataError naming the file when
/// it is not a readable workbook.
std::vector<std::string> sheet_names(const std::string& path);

/// Every sheet, in order (the workbook opened once).
std::vector<Sheet> read_sheets(const std::string& path);

/// Sheet `sheet` (its name, or its 0-based index as digits; "" = the first).
/// Throws DataError naming the file (and listing the sheets when `sheet` is not one).
Sheet read_sheet(const std::string& path, const std::string& sheet);

}  // namespace mexa::io
