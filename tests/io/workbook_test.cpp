// io::read_sheet and read_manifest on the Excel workbooks datasets ship:
// .xlsx (written here with Debian's python3-openpyxl) and .xls (python3-xlwt),
// with SAMM's free-text rows above the header, numbers stored as text and text
// as numbers, a sheet to choose, and damaged files.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "mexa/io/errors.h"
#include "mexa/io/manifest.h"
#include "mexa/io/workbook.h"
#include "../common/temp_dir_test.h"

namespace mexa::io {
namespace {

namespace fs = std::filesystem;

class WorkbookTest : public test::TempDirTest {
 protected:
  /// Runs a Python snippet with `out` bound to the file to write; false when the module is missing.
  /// false only when the module is missing (the test then skips); a failing script fails the test.
  bool python(const std::string& module, const std::string& code, const fs::path& out) {
    if (std::system(("/usr/bin/python3 -c 'import " + module + "' 2>/dev/null").c_str()) != 0) return false;
    const fs::path script = dir_ / "make.py";
    std::ofstream(script) << "import sys\nout = sys.argv[1]\n" << code << "\n";
    EXPECT_EQ(std::system(("/usr/bin/python3 " + script.string() + " " + out.string()).c_str()), 0)
        << "the script writing " << out << " failed";
    return true;
  }
  void frames(const std::string& folder, const std::string& prefix, int first, int count) {
    fs::create_directories(dir_ / folder);
    for (int i = 0; i < count; ++i) std::ofstream(dir_ / folder / (prefix + std::to_string(first + i) + ".jpg")) << "x";
  }
};

TEST_F(WorkbookTest, SammXlsxFreeTextRowsSheetChoiceAndNumbersAsText) {
  frames("006/006_1_2", "006_", 5562, 100);
  const fs::path book = dir_ / "SAMM_Micro_FACS_Codes_v2.xlsx";
  const bool made = python("openpyxl", R"(
import openpyxl
wb = openpyxl.Workbook()
notes = wb.active
notes.title = "Read me"
notes.append(["Facial Micro-movement coding"])
data = wb.create_sheet("FACS codes")
data.append(["SAMM dataset, micro-movements"])
for i in range(9):
    data.append(["notes line %d" % i])
data.append(["Subject", "Filename", "Inducement Code", "Onset Frame", "Apex Frame", "Offset Frame", "Duration",
             "Type", "Action Units", "Estimated Emotion"])
data.append([6, "006_1_2", 1, 5566, 5601, 5661, 96, "Micro - 1/2", "4+7", "Anger"])
data.append(["006", "006_1_2", 1, "5566", "5601.0", 5661, 96, "Micro - 1/2", "4+7", "Contempt"])
data.append([6, "006_1_2", 1, 5566, 5601, 5661, 96, "Micro - 1/2", "4", "awe"])
wb.save(out)
)", book);
  if (!made) GTEST_SKIP() << "python3-openpyxl is not installed";

  EXPECT_EQ(sheet_names(book.string()), (std::vector<std::string>{"Read me", "FACS codes"}));
  const Sheet sheet = read_sheet(book.string(), "FACS codes");
  ASSERT_EQ(sheet.rows.size(), 14u);
  EXPECT_EQ(sheet.rows[11].row, 12);
  EXPECT_EQ(sheet.rows[11].cells[0], "6");  // a number cell, as text
  EXPECT_EQ(sheet.rows[12].cells[0], "006");  // a text cell keeps its zeros

  // No --sheet: the first sheet with a header row, not "Read me".
  const auto m = read_manifest(book.string(), {.style = AnnotationStyle::Samm});
  ASSERT_EQ(m.rows.size(), 2u);
  EXPECT_EQ(m.rows[0].path, (dir_ / "006/006_1_2").string());
  EXPECT_EQ(m.rows[0].onset, 4);
  EXPECT_EQ(m.rows[0].apex, 39);
  EXPECT_EQ(m.rows[1].apex, 39);  // "5601.0" stored as text reads as a frame number
  EXPECT_EQ(m.rows[1].emotion, "contempt");
  ASSERT_EQ(m.skipped.size(), 1u);
  EXPECT_NE(m.skipped[0].message.find(book.string() + ":FACS codes:14: "), std::string::npos) << m.skipped[0].message;

  const auto by_index = read_manifest(book.string(), {.style = AnnotationStyle::Samm, .sheet = "1"});
  EXPECT_EQ(by_index.rows.size(), 2u);
  try {
    read_manifest(book.string(), {.style = AnnotationStyle::Samm, .sheet = "0"});
    FAIL() << "a sheet without a header was read";
  } catch (const DataError& e) {
    EXPECT_NE(std::string(e.what()).find(":Read me"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("no header row"), std::string::npos) << e.what();
  }
  try {
    read_sheet(book.string(), "Micro");
    FAIL() << "a missing sheet was read";
  } catch (const DataError& e) {
    EXPECT_NE(std::string(e.what()).find("no sheet 'Micro' (sheets: 0 'Read me', 1 'FACS codes')"), std::string::npos)
        << e.what();
  }
}

TEST_F(WorkbookTest, Casme2XlsNumbersAndFolderTemplate) {
  frames("sub01/EP02_01f", "img", 46, 41);
  const fs::path book = dir_ / "CASME2-coding-20140508.xls";
  const bool made = python("xlwt", R"(
import xlwt
wb = xlwt.Workbook()
s = wb.add_sheet("Sheet1")
for c, h in enumerate(["Subject", "Filename", "OnsetFrame", "ApexFrame", "OffsetFrame", "Action Units", "Estimated Emotion"]):
    s.write(0, c, h)
for c, v in enumerate([1, "EP02_01f", 46, 59.0, 86, "12", "happiness"]):
    s.write(1, c, v)
for c, v in enumerate(["1", "EP02_01f", "46", 59, 86, 12, "joy"]):
    s.write(3, c, v)   # row 4, after an empty row 3
wb.save(out)
)", book);
  if (!made) GTEST_SKIP() << "python3-xlwt is not installed";
  const Sheet sheet = read_sheet(book.string(), "");
  ASSERT_EQ(sheet.rows.size(), 3u);  // the empty row is left out
  EXPECT_EQ(sheet.rows[2].row, 4);
  EXPECT_EQ(sheet.rows[1].cells[3], "59");  // 59.0 -> "59"
  const auto m = read_manifest(book.string(), {.style = AnnotationStyle::Casme2});
  ASSERT_EQ(m.rows.size(), 1u);
  EXPECT_EQ(m.rows[0].path, (dir_ / "sub01/EP02_01f").string());
  EXPECT_EQ(m.rows[0].onset, 0);
  EXPECT_EQ(m.rows[0].apex, 13);
  EXPECT_EQ(m.rows[0].aus, "12");
  ASSERT_EQ(m.skipped.size(), 1u);  // "joy" is no emotion of any dataset: a bad row, not an excluded one
  EXPECT_NE(m.skipped[0].message.find(book.string() + ":Sheet1:4: "), std::string::npos) << m.skipped[0].message;
}

// As Excel writes them: shared strings (with a rich-text run and a phonetic
// run), a cell without a reference, a gap, trailing empty cells left out,
// rows without a number, and a styled empty cell far to the right.
TEST_F(WorkbookTest, ExcelStyleXlsxSharedStringsGapsAndShortRows) {
  const fs::path book = dir_ / "excel.xlsx";
  const bool made = python("zipfile", R"(
import zipfile
ns = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
rel = 'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"'
parts = {
  "[Content_Types].xml": '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>',
  "xl/workbook.xml": '<workbook %s %s><sheets><sheet name="Data" sheetId="1" r:id="rId1"/></sheets></workbook>' % (ns, rel),
  "xl/_rels/workbook.xml.rels": '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
      '<Relationship Id="rId1" Target="worksheets/sheet1.xml" Type="x"/></Relationships>',
  "xl/sharedStrings.xml": '<sst %s><si><t>Subject</t></si><si><r><t>File</t></r><r><t>name</t></r></si>'
      '<si><t>Onset</t><rPh><t>ONSETTO</t></rPh></si><si><t>Notes</t></si><si><t>EP02_01f</t></si></sst>' % ns,
  "xl/worksheets/sheet1.xml": '<worksheet %s><sheetData>'
      '<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c><c r="C1" t="s"><v>2</v></c>'
      '<c r="E1" t="s"><v>3</v></c><c r="Z1" s="3"/></row>'
      '<row><c t="s"><v>4</v></c><c><v>46.0</v></c></row>'
      '<row><c r="A3"><v>-7</v></c><c r="C3" t="inlineStr"><is><t>x</t></is></c></row>'
      '</sheetData></worksheet>' % ns,
}
with zipfile.ZipFile(out, "w") as z:
    for name, text in parts.items(): z.writestr(name, text)
)", book);
  ASSERT_TRUE(made);
  const Sheet sheet = read_sheet(book.string(), "Data");
  ASSERT_EQ(sheet.rows.size(), 3u);
  EXPECT_EQ(sheet.rows[0].cells, (std::vector<std::string>{"Subject", "Filename", "Onset", "", "Notes"}));
  EXPECT_EQ(sheet.rows[1].row, 2);  // no r: the previous row + 1
  EXPECT_EQ(sheet.rows[1].cells, (std::vector<std::string>{"EP02_01f", "46", "", "", ""}));  // padded to the header
  EXPECT_EQ(sheet.rows[2].cells, (std::vector<std::string>{"-7", "", "x", "", ""}));
}

TEST_F(WorkbookTest, HostileXlsxIsRefusedNotRead) {
  const fs::path book = dir_ / "wide.xlsx";
  // 300 rows, each with a value in column XFD: 300 x 16,384 cells once padded.
  const bool made = python("zipfile", R"(
import zipfile
ns = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
rows = "".join('<row r="%d"><c r="XFD%d"><v>1</v></c></row>' % (i, i) for i in range(1, 301))
with zipfile.ZipFile(out, "w") as z:
    z.writestr("xl/workbook.xml", '<workbook %s xmlns:r="x"><sheets><sheet name="S" r:id="a"/></sheets></workbook>' % ns)
    z.writestr("xl/_rels/workbook.xml.rels", '<Relationships><Relationship Id="a" Target="s.xml"/></Relationships>')
    z.writestr("xl/s.xml", '<worksheet %s><sheetData>%s<row r="301"><c r="XFE1"><v>1</v></c></row></sheetData></worksheet>' % (ns, rows))
)", book);
  ASSERT_TRUE(made);
  try {
    read_sheet(book.string(), "");
    FAIL() << "a 4.9 M-cell sheet was read";
  } catch (const DataError& e) {
    EXPECT_NE(std::string(e.what()).find("cells: not an annotation sheet"), std::string::npos) << e.what();
  }
}

TEST_F(WorkbookTest, DamagedWorkbooksNameTheFile) {
  const fs::path xlsx = dir_ / "broken.xlsx", xls = dir_ / "broken.xls";
  std::ofstream(xlsx) << "PK\x03\x04 not really a zip";
  std::ofstream(xls) << "not a BIFF file";
  for (const auto& path : {xlsx, xls}) {
    try {
      read_manifest(path.string(), {});
      FAIL() << path << " was read";
    } catch (const DataError& e) {
      EXPECT_NE(std::string(e.what()).find(path.string()), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find("not a readable"), std::string::npos) << e.what();
    }
  }
  EXPECT_TRUE(is_workbook("A.XLSX"));
  EXPECT_TRUE(is_workbook("a.xls"));
  EXPECT_FALSE(is_workbook("a.csv"));
}

}  // namespace
}  // namespace mexa::io
