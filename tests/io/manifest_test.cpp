// io::parse_csv and io::read_manifest: RFC 4180 corner cases, the foreign
// annotation files of CASME II, SAMM, CAS(ME)^3 and SMIC, and every kind of bad row.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "mexa/io/csv.h"
#include "mexa/io/errors.h"
#include "mexa/io/manifest.h"
#include "../common/temp_dir_test.h"

namespace mexa::io {
namespace {

namespace fs = std::filesystem;

TEST(Csv, QuotedFieldsCommasNewlinesAndEscapedQuotes) {
  const auto records = parse_csv("a,b,c\n\"x, y\",\"say \"\"hi\"\"\",\"two\nlines\"\nlast,,\n", "t.csv");
  ASSERT_EQ(records.size(), 3u);
  EXPECT_EQ(records[1].fields, (std::vector<std::string>{"x, y", "say \"hi\"", "two\nlines"}));
  EXPECT_EQ(records[1].line, 2);
  EXPECT_EQ(records[2].line, 4);  // the record above spans lines 2-3
  EXPECT_EQ(records[2].fields, (std::vector<std::string>{"last", "", ""}));
}

TEST(Csv, CrlfBomAndBlankLines) {
  const auto records = parse_csv("\xEF\xBB\xBFsubject,clip\r\n\r\n01,EP02\r\n02,EP03", "t.csv");
  ASSERT_EQ(records.size(), 3u);
  EXPECT_EQ(records[0].fields[0], "subject");  // BOM gone
  EXPECT_EQ(records[1].fields, (std::vector<std::string>{"01", "EP02"}));
  EXPECT_EQ(records[2].fields[1], "EP03");  // no newline at the end
  EXPECT_EQ(records[2].line, 4);
}

TEST(Csv, UnterminatedQuoteNamesFileAndLine) {
  try {
    parse_csv("a,b\n1,\"open\n2,3\n", "bad.csv");
    FAIL();
  } catch (const DataError& e) {
    EXPECT_EQ(e.file(), "bad.csv");
    EXPECT_NE(e.reason().find("line 2: unterminated quoted field"), std::string::npos) << e.reason();
  }
}

TEST(Csv, EscapeRoundTrips) {
  const std::string tricky = "a \"quoted\", value\nwith newline";
  const auto records = parse_csv(csv_escape(tricky) + "," + csv_escape("plain") + "\n", "t.csv");
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].fields, (std::vector<std::string>{tricky, "plain"}));
}

class ManifestTest : public test::TempDirTest {
 protected:
  std::string write(const std::string& name, const std::string& text) {
    const fs::path p = dir_ / name;
    fs::create_directories(p.parent_path());
    std::ofstream(p, std::ios::binary) << text;
    return p.string();
  }
  /// A frame folder with files prefix{first}..prefix{first+count-1}.jpg.
  void frames(const std::string& folder, const std::string& prefix, int first, int count) {
    fs::create_directories(dir_ / folder);
    for (int i = first; i < first + count; ++i) std::ofstream(dir_ / folder / (prefix + std::to_string(i) + ".jpg")) << "x";
  }
};

TEST_F(ManifestTest, MexaFormatWithRelativePathsAndFps) {
  write("clips/a.mp4", "x");
  write("clips/b.mp4", "x");
  const auto m = read_manifest(write("annotations.csv",
                                     "subject,clip,path,onset,apex,offset,emotion,aus,fps\n"
                                     "s01,a,clips/a.mp4,10,20,40,disgust,\"AU9,AU10\",200\n"
                                     "s02,b,clips/b.mp4,0,,12,Surprise,AU1+AU2,300\n"));
  ASSERT_EQ(m.rows.size(), 2u);
  EXPECT_TRUE(m.skipped.empty());
  EXPECT_EQ(m.rows[0].id, "s01/a");
  EXPECT_EQ(m.rows[0].path, (dir_ / "clips/a.mp4").string());
  EXPECT_EQ(m.rows[0].onset, 10);
  EXPECT_EQ(m.rows[0].apex, 20);
  EXPECT_EQ(m.rows[0].offset, 40);
  EXPECT_EQ(m.rows[0].label, 5);  // disgust in DFME order
  EXPECT_EQ(m.rows[0].aus, "AU9,AU10");
  EXPECT_EQ(m.rows[0].fps, 200);
  EXPECT_EQ(m.rows[1].apex, -1);  // empty apex: spotted later
  EXPECT_EQ(m.rows[1].emotion, "surprise");
  EXPECT_EQ(m.rows[1].line, 3);
}

TEST_F(ManifestTest, CandidateEmotionsAndExtraColumns) {
  // "a|b" lists candidate classes (the first is the label); columns mexa does
  // not read are kept by lower-case name (e.g. synth's true_emotion).
  write("clips/a.mp4", "x");
  write("clips/b.mp4", "x");
  const std::string path = write("annotations.csv",
                                 "subject,clip,path,onset,offset,emotion,True_Emotion\n"
                                 "s01,a,clips/a.mp4,0,9,Disgust|contempt|disgust,fear\n"
                                 "s02,b,clips/b.mp4,0,9,surprise,surprise\n"
                                 "s03,c,clips/b.mp4,0,9,surprise|awe,surprise\n");
  const auto m = read_manifest(path);
  ASSERT_EQ(m.rows.size(), 2u);
  EXPECT_EQ(m.rows[0].label, 5);
  EXPECT_EQ(m.rows[0].emotion, "disgust");
  EXPECT_EQ(m.rows[0].candidates, (std::vector<int>{5, 3}));  // disgust, contempt (the repeat dropped)
  EXPECT_TRUE(m.rows[1].candidates.empty());
  EXPECT_EQ(m.rows[0].extra.at("true_emotion"), "fear");
  ASSERT_EQ(m.skipped.size(), 1u);
  EXPECT_NE(m.skipped[0].message.find("unknown class 'awe' in 'surprise|awe'"), std::string::npos) << m.skipped[0].message;
  EXPECT_NE(m.skipped[0].message.find(":4:"), std::string::npos) << m.skipped[0].message;
}

TEST_F(ManifestTest, Casme2HeadersFolderTemplateAndFileNumbers) {
  frames("sub01/EP02_01f", "reg_img", 46, 40);  // files reg_img46 .. reg_img85
  const auto m = read_manifest(
      write("CASME2-coding.csv",
            "Subject,Filename,,OnsetFrame,ApexFrame,OffsetFrame,,Action Units,Estimated Emotion\n"
            "1,EP02_01f,,46,59,86,,AU12,happiness\n"  // offset past the folder is not checked here
            "1,EP02_01f_x,,46,59,60,,AU4,repression\n"),
      {.style = AnnotationStyle::Casme2, .class_names = megc3_classes(), .class_aliases = megc3_aliases(),
       .check_paths = false});
  ASSERT_EQ(m.rows.size(), 2u);
  EXPECT_EQ(m.rows[0].path, (dir_ / "sub01/EP02_01f").string());
  EXPECT_EQ(m.rows[0].onset, 0);  // file number 46 is frame 0 of the folder
  EXPECT_EQ(m.rows[0].apex, 13);
  EXPECT_EQ(m.rows[0].emotion, "positive");
  EXPECT_EQ(m.rows[1].emotion, "negative");  // repression -> negative (MEGC)
  EXPECT_EQ(m.rows[1].onset, 46);            // no folder: index base 0
}

TEST_F(ManifestTest, Megc3LeavesOthersOutWithoutAnError) {
  write("clips/a.mp4", "x");
  const std::string path = write("m.csv",
                                 "subject,clip,path,onset,offset,emotion\n"
                                 "s01,a,clips/a.mp4,0,9,happiness\n"
                                 "s01,b,clips/a.mp4,0,9,Others\n"
                                 "s01,c,clips/a.mp4,0,9,awe\n");
  const auto m = read_manifest(path, with_classes({}, megc3_classes()));
  ASSERT_EQ(m.rows.size(), 1u);
  EXPECT_EQ(m.rows[0].emotion, "positive");
  EXPECT_EQ(m.excluded, 1);          // "others": not MEGC's, left out quietly
  ASSERT_EQ(m.skipped.size(), 1u);   // "awe": an error
}

TEST_F(ManifestTest, SammHeaderBelowFreeTextRows) {
  frames("006/006_1_2", "006_", 5562, 100);
  std::string text = "Facial Micro-movement,,,\nSAMM dataset,,,\n";
  for (int i = 0; i < 9; ++i) text += "notes line " + std::to_string(i) + ",,,\n";
  text += "Subject,Filename,Inducement Code,Onset Frame,Apex Frame,Offset Frame,Duration,Type,Action Units,"
          "Estimated Emotion,Objective Classes,Notes\n"
          "6,006_1_2,1,5566,5601,5661,96,Micro - 1/2,4+7,Anger,2,\n";
  const auto m = read_manifest(write("samm.csv", text), {.style = AnnotationStyle::Samm});
  ASSERT_EQ(m.rows.size(), 1u);
  EXPECT_EQ(m.rows[0].line, 13);
  EXPECT_EQ(m.rows[0].path, (dir_ / "006/006_1_2").string());
  EXPECT_EQ(m.rows[0].onset, 4);
  EXPECT_EQ(m.rows[0].apex, 39);
  EXPECT_EQ(m.rows[0].offset, 99);
  EXPECT_EQ(m.rows[0].emotion, "anger");
}

TEST_F(ManifestTest, Casme3AndSmic) {
  frames("spNO.1/a/color", "", 0, 30);
  const auto c3 = read_manifest(write("cas3.csv",
                                      "Subject,Filename,Onset,Apex,Offset,AU,Objective class,emotion\n"
                                      "spNO.1,a,3,7,20,L4,1,disgust\n"),
                                {.style = AnnotationStyle::Casme3});
  ASSERT_EQ(c3.rows.size(), 1u);
  EXPECT_EQ(c3.rows[0].apex, 7);
  EXPECT_EQ(c3.rows[0].path, (dir_ / "spNO.1/a/color").string());

  const auto smic = read_manifest(write("smic.csv",
                                        "Subject,Filename,OnsetF,OffsetF,Emotion,FirstF\n"
                                        "s1,s1_ne_01,120,140,negative,100\n"),
                                  {.style = AnnotationStyle::Smic, .class_names = megc3_classes(),
                                   .check_paths = false});
  ASSERT_EQ(smic.rows.size(), 1u);
  EXPECT_EQ(smic.rows[0].onset, 20);  // relative to FirstF
  EXPECT_EQ(smic.rows[0].offset, 40);
  EXPECT_EQ(smic.rows[0].apex, -1);
}

TEST_F(ManifestTest, CasmeSqLongVideoIntervalsWithoutAHeader) {
  // CAS(ME)^2 as a CSV (no naming sheets): the subject's folder code is its
  // number, the video code its name; a trailing '*' finds the folder.
  frames("rawpic/s15/15_0101disgustingteeth", "img", 1, 400);
  const std::string codes = write("casme_sq.csv",
                                  "15,0101_1,100,110,0,4,negative,micro-expression,disgust\n"
                                  "15,0101_2,150,170,190,4+9,negative,macro-expression,disgust\n"
                                  "15,0101_3,200,210,230,12,positive,micro-expression,happy\n"
                                  "15,0101_4,250,260,270,,others,micro-expression,other\n");
  ManifestOptions options = with_classes({.style = AnnotationStyle::CasmeSq}, megc3_classes());
  const auto m = read_manifest(codes, options);
  ASSERT_EQ(m.rows.size(), 2u);
  EXPECT_EQ(m.excluded_type, 1);  // the macro-expression
  EXPECT_EQ(m.excluded, 1);       // "others"
  EXPECT_EQ(m.rows[0].path, (dir_ / "rawpic/s15/15_0101disgustingteeth").string());
  EXPECT_EQ(m.rows[0].onset, 99);   // img1 is frame 0
  EXPECT_EQ(m.rows[0].offset, 109);  // offset 0: ends at the apex
  EXPECT_EQ(m.rows[0].extra.at("type"), "micro");
  EXPECT_EQ(m.rows[1].emotion, "positive");
  options.expression = "all";
  EXPECT_EQ(read_manifest(codes, options).rows.size(), 3u);
  options.expression = "macro";
  EXPECT_EQ(read_manifest(codes, options).rows.size(), 1u);
  // Two folders matching the wildcard: the row names both.
  frames("rawpic/s15/15_0101copy", "img", 1, 400);
  options.expression = "micro";
  const auto twice = read_manifest(codes, options);
  EXPECT_TRUE(twice.rows.empty());
  ASSERT_EQ(twice.skipped.size(), 2u);
  EXPECT_NE(twice.skipped[0].message.find("several folders match"), std::string::npos);
}

TEST_F(ManifestTest, SammLongVideosTakeTheTypeAsTheClass) {
  frames("006_1", "006_1_", 1, 500);
  const auto m = read_manifest(write("SAMM_LongVideos.csv",
                                     "SAMM long videos,,,,,,,,,\n"
                                     "Subject,Filename,Inducement Code,Onset,Apex,Offset,Duration,Type,Action Units,Notes\n"
                                     "006,006_1_1,1,10,20,30,21,Micro - 1/2,4,\n"
                                     "006,006_1_2,1,100,-1,300,201,Macro,12,\n"
                                     "006,006_1_3,1,400,410,420,21,blink,,\n"),
                               with_classes({.style = AnnotationStyle::SammLv}, {"micro", "macro"}));
  ASSERT_EQ(m.rows.size(), 2u);
  EXPECT_EQ(m.rows[0].path, (dir_ / "006_1").string());
  EXPECT_EQ(m.rows[0].emotion, "micro");
  EXPECT_EQ(m.rows[1].emotion, "macro");
  EXPECT_EQ(m.rows[1].apex, -1);  // -1: not annotated
  ASSERT_EQ(m.skipped.size(), 1u);
  EXPECT_NE(m.skipped[0].message.find("type 'blink' is neither"), std::string::npos);
}

TEST_F(ManifestTest, DfmeFrameRateComesFromItsPart) {
  write("part_B/x.mp4", "x");
  write("clips/y.mp4", "x");
  write("clips/z.mp4", "x");
  const auto m = read_manifest(write("dfme.csv",
                                     "subject,clip,path,onset,apex,offset,emotion,part,fps\n"
                                     "1,x,part_B/x.mp4,1,2,3,fear,,\n"
                                     "2,y,clips/y.mp4,1,2,3,fear,A,\n"
                                     "3,z,clips/z.mp4,1,2,3,fear,C,250\n"),
                               {.style = AnnotationStyle::Dfme});
  ASSERT_EQ(m.rows.size(), 3u);
  EXPECT_EQ(m.rows[0].fps, 300);  // the part_B folder
  EXPECT_EQ(m.rows[1].fps, 500);  // part A
  EXPECT_EQ(m.rows[2].fps, 250);  // its own fps wins
}

TEST(Styles, NamesAliasesAndGuessesFromFileNames) {
  EXPECT_EQ(parse_annotation_style("CAS(ME)^2"), AnnotationStyle::CasmeSq);
  EXPECT_EQ(parse_annotation_style(" samm-lv "), AnnotationStyle::SammLv);
  EXPECT_EQ(parse_annotation_style("smic_vis"), AnnotationStyle::SmicVis);
  try {
    parse_annotation_style("casme4");
    FAIL();
  } catch (const DataError& e) {
    EXPECT_NE(std::string(e.what()).find("casme-sq"), std::string::npos) << "the message lists the styles";
  }
  const std::pair<const char*, AnnotationStyle> names[] = {
      {"/d/CASME2/CASME2-coding-20140508.xlsx", AnnotationStyle::Casme2},
      {"/d/SAMM/SAMM_20181215_Micro_FACS_Codes_v2.xlsx", AnnotationStyle::Samm},
      {"/d/SAMM_LongVideos_V2_Release.xlsx", AnnotationStyle::SammLv},
      {"/d/SMIC/SMIC-HS-E_annotation.xlsx", AnnotationStyle::Smic},
      {"/d/SMIC/SMIC-VIS-E_annotation.xlsx", AnnotationStyle::SmicVis},
      {"/d/CAS(ME)^2code_final.xlsx", AnnotationStyle::CasmeSq},
      {"/d/CAS(ME)3_part_A_ME_label_JpgIndex_v2.xlsx", AnnotationStyle::Casme3},
      {"/data/SAMM", AnnotationStyle::Samm},
  };
  for (const auto& [path, expected] : names) {
    AnnotationStyle guessed = AnnotationStyle::Mexa;
    EXPECT_TRUE(guess_style(path, guessed)) << path;
    EXPECT_EQ(guessed, expected) << path;
  }
  AnnotationStyle none;
  EXPECT_FALSE(guess_style("/d/my_labels.xlsx", none));
  EXPECT_EQ(expression_type("micro-expression"), "micro");
  EXPECT_EQ(expression_type("Micro - 1/2"), "micro");
  EXPECT_EQ(expression_type("Macro"), "macro");
  for (const auto& s : styles()) EXPECT_EQ(&style_info(s.style), &s) << s.name;
}

// ---------------------------------------------------------------- bad manifests

struct BadCase {
  std::string name;
  std::string csv;      // rows after the header
  int line;             // line the message must name
  std::string message;  // part of the message
};

// Readable parameter in test output and ctest names (not a byte dump).
void PrintTo(const BadCase& c, std::ostream* os) { *os << c.name; }

class BadManifest : public ManifestTest, public ::testing::WithParamInterface<BadCase> {};

TEST_P(BadManifest, RowIsSkippedAndCountedOrFatalWithStrict) {
  write("ok.mp4", "x");
  const std::string path = write("m.csv", "subject,clip,path,onset,apex,offset,emotion,fps\n"
                                          "s1,good,ok.mp4,1,2,3,fear,200\n" +
                                              GetParam().csv);
  const Manifest m = read_manifest(path);
  ASSERT_EQ(m.rows.size(), 1u) << "the good row stays";
  EXPECT_EQ(m.rows[0].clip, "good");
  ASSERT_EQ(m.skipped.size(), 1u);
  EXPECT_EQ(m.skipped[0].line, GetParam().line);
  EXPECT_NE(m.skipped[0].message.find(path + ":" + std::to_string(GetParam().line) + ": "), std::string::npos)
      << m.skipped[0].message;
  EXPECT_NE(m.skipped[0].message.find(GetParam().message), std::string::npos) << m.skipped[0].message;

  try {
    read_manifest(path, {.strict = true});
    FAIL() << "strict must throw";
  } catch (const DataError& e) {
    EXPECT_EQ(e.file(), path);
    EXPECT_NE(e.reason().find("line " + std::to_string(GetParam().line)), std::string::npos) << e.reason();
  }
}

INSTANTIATE_TEST_SUITE_P(
    Kinds, BadManifest,
    ::testing::Values(BadCase{"UnknownClass", "s1,b,ok.mp4,1,2,3,joy,200\n", 3, "unknown class 'joy'"},
                      BadCase{"OnsetAfterOffset", "s1,b,ok.mp4,9,,3,fear,200\n", 3, "onset 9 is after offset 3"},
                      BadCase{"ApexOutside", "s1,b,ok.mp4,1,7,3,fear,200\n", 3, "apex 7 is outside"},
                      BadCase{"MissingPath", "s1,b,nope.mp4,1,2,3,fear,200\n", 3, "missing path"},
                      BadCase{"DuplicateClip", "s1,good,ok.mp4,1,2,3,fear,200\n", 3, "duplicate clip s1/good"},
                      BadCase{"NonNumericFrame", "s1,b,ok.mp4,one,2,3,fear,200\n", 3, "onset 'one' is not a frame"},
                      BadCase{"NegativeFrame", "s1,b,ok.mp4,-4,,3,fear,200\n", 3, "before the first frame"},
                      BadCase{"WrongFieldCount", "s1,b,ok.mp4,1,2\n", 3, "5 fields, the header has 8"},
                      BadCase{"BadFps", "s1,b,ok.mp4,1,2,3,fear,fast\n", 3, "fps 'fast'"},
                      BadCase{"EmptySubject", ",b,ok.mp4,1,2,3,fear,200\n", 3, "empty subject"},
                      BadCase{"EmptyPath", "s1,b,,1,2,3,fear,200\n", 3, "empty path"},
                      BadCase{"RowAfterAQuotedNewline", "\"s1\nx\",b,ok.mp4,1,9,3,fear,200\n", 3, "apex 9"}),
    [](const auto& info) { return info.param.name; });

TEST_F(ManifestTest, FileLevelProblemsAreAlwaysFatalAndNameTheFile) {
  auto expect_error = [&](const std::string& path, const std::string& part) {
    try {
      read_manifest(path);
      FAIL() << "no error for " << path;
    } catch (const DataError& e) {
      EXPECT_EQ(e.file(), path);
      EXPECT_NE(e.reason().find(part), std::string::npos) << e.reason();
    }
  };
  expect_error(write("empty.csv", ""), "empty file");
  expect_error(write("blank.csv", "\n\r\n\n"), "empty file");
  expect_error(write("noheader.csv", "1,2,3\n4,5,6\n"), "no header row");
  expect_error(write("nocolumn.csv", "subject,clip,path,onset,offset\ns,c,p,1,2\n"), "line 1: missing column 'emotion'");
  expect_error(write("nopath.csv", "subject,clip,onset,offset,emotion\ns,c,1,2,fear\n"), "missing column 'path'");
  expect_error(write("headeronly.csv", "subject,clip,path,onset,offset,emotion\n"), "no rows after the header");
  expect_error(write("quote.csv", "subject,clip,path,onset,offset,emotion\n\"s,c,p,1,2,fear\n"),
               "line 2: unterminated quoted field");
  expect_error((dir_ / "missing.csv").string(), "no such file");
}

// The files as the datasets ship them: CAS(ME)^3 part A holds several
// micro-expressions per video and spells happy and sad; every row is one.
TEST_F(ManifestTest, Casme3SeveralExpressionsPerVideoAreRowsOfTheirOwn) {
  frames("spNO.1/b/color", "", 0, 400);
  frames("spNO.2/a/color", "", 0, 300);
  const auto m = read_manifest(write("cas(me)3_part_A_ME_label_JpgIndex_v2.csv",
                                     "Subject,Filename,Onset,Apex,Offset,AU,Objective class,emotion\n"
                                     "spNO.1,b,166,172,181,4,1,happy\n"
                                     "spNO.1,b,254,260,270,4+7,1,sad\n"
                                     "spNO.1,b,300,306,311,12,1,Disgust\n"
                                     "spNO.2,a,20,25,40,1+2,2,surprise\n"
                                     "spNO.2,a,20,26,41,1+2,2,surprise\n"   // the same onset twice: a duplicate
                                     "spNO.2,a,90,95,99,,3,others\n"),
                               {.style = AnnotationStyle::Casme3,
                                .class_names = parse_class_set(style_info(AnnotationStyle::Casme3).classes)});
  ASSERT_EQ(m.rows.size(), 4u);
  EXPECT_EQ(m.rows[0].id, "spNO.1/b_166");
  EXPECT_EQ(m.rows[1].id, "spNO.1/b_254");
  EXPECT_EQ(m.rows[0].path, (dir_ / "spNO.1/b/color").string()) << "the template still names the video folder";
  EXPECT_EQ(m.rows[0].emotion, "happiness");
  EXPECT_EQ(m.rows[1].emotion, "sadness");
  EXPECT_EQ(m.rows[2].emotion, "disgust");
  ASSERT_EQ(m.skipped.size(), 1u);
  EXPECT_EQ(m.skipped[0].cause, "duplicate clip");
  EXPECT_EQ(m.excluded, 1) << "'others' is not among CAS(ME)^3's 6 classes: excluded, not bad";
  EXPECT_EQ(m.excluded_classes.at("others"), 1);
}

// CASME II's default class set is its 5-class protocol: fear and sadness rows
// are excluded by the class set, counted per class; a label no dataset uses is a bad row.
TEST_F(ManifestTest, Casme2FiveClassesExcludeFearAndSadnessAndKeepRepressionAndOthers) {
  const std::string path = write("CASME2-coding-20190701.csv",
                                 "Subject,Filename,,OnsetFrame,ApexFrame,OffsetFrame,,Action Units,Estimated Emotion\n"
                                 "1,EP02_01f,,46,59,86,,12,happiness\n"
                                 "1,EP03_02,,10,20,30,,4,repression\n"
                                 "2,EP01_11f,,10,20,30,,1,others\n"
                                 "2,EP02_02f,,10,20,30,,4,fear\n"
                                 "3,EP01_03,,10,20,30,,15,sadness\n"
                                 "3,EP01_04,,10,20,30,,15,Sadness\n"
                                 "4,EP01_05,,10,20,30,,15,joy\n"
                                 "4,EP01_06,,10,20,30,,15,fear|disgust\n");
  const auto classes = parse_class_set(style_info(AnnotationStyle::Casme2).classes);
  EXPECT_EQ(classes, (std::vector<std::string>{"happiness", "disgust", "repression", "surprise", "others"}));
  const auto m = read_manifest(path, {.style = AnnotationStyle::Casme2, .class_names = classes, .check_paths = false});
  ASSERT_EQ(m.rows.size(), 4u);
  EXPECT_EQ(m.rows[3].emotion, "disgust") << "a candidate outside the set is dropped, the others kept";
  EXPECT_TRUE(m.rows[3].candidates.empty());
  EXPECT_EQ(m.excluded, 3);
  EXPECT_EQ(m.excluded_classes, (std::map<std::string, int64_t>{{"fear", 1}, {"sadness", 2}}));
  ASSERT_EQ(m.skipped.size(), 1u);
  EXPECT_EQ(m.skipped[0].cause, "unknown class");
  EXPECT_NE(m.skipped[0].message.find(":8: unknown class 'joy'"), std::string::npos) << m.skipped[0].message;
}

// SAMM: free text above the header, its eight labels (Other included), and
// a real erratum (an apex outside onset-offset) reported with its cause.
TEST_F(ManifestTest, SammEightLabelsWithOtherAndAnApexErratum) {
  std::string text = "Facial Micro-movement coding,,,,,,,,,,,\n";
  for (int i = 0; i < 10; ++i) text += "note " + std::to_string(i) + ",,,,,,,,,,,\n";
  text += "Subject,Filename,Inducement Code,Onset Frame,Apex Frame,Offset Frame,Duration,Type,Action Units,"
          "Estimated Emotion,Objective Classes,Notes\n"
          "006,006_1_2,1,5562,5588,5649,88,Micro - 1/2,4+7,Anger,1,\n"
          "006,006_1_3,1,2000,2010,2020,21,Micro - 1/2,R14,Other,7,\n"
          "007,007_3_1,1,300,290,320,21,Micro - 1/2,12,Happiness,2,apex before onset\n"
          "007,007_3_2,1,300,310,320,21,Micro - 1/2,12,Contempt,2,\n";
  const auto classes = parse_class_set(style_info(AnnotationStyle::Samm).classes);
  EXPECT_EQ(classes.size(), 8u);
  const auto m = read_manifest(write("SAMM_Micro_FACS_Codes_v2.csv", text),
                               {.style = AnnotationStyle::Samm, .class_names = classes, .check_paths = false});
  ASSERT_EQ(m.rows.size(), 3u);
  EXPECT_EQ(m.rows[1].emotion, "other");
  EXPECT_EQ(m.excluded, 0);
  ASSERT_EQ(m.skipped.size(), 1u);
  EXPECT_EQ(m.skipped[0].cause, "apex outside onset-offset");
}

// Every class set knows the datasets' spellings; a class map adds the rest.
TEST_F(ManifestTest, SpellingsOfEveryDatasetAndAClassMapFile) {
  write("clips/a.mp4", "x");
  const std::string path = write("m.csv",
                                 "subject,clip,path,onset,offset,emotion\n"
                                 "s01,a,clips/a.mp4,0,9,HAPPY\n"
                                 "s01,b,clips/a.mp4,0,9,Angry\n"
                                 "s01,c,clips/a.mp4,0,9,disgusted\n"
                                 "s01,d,clips/a.mp4,0,9,Fearful\n"
                                 "s01,e,clips/a.mp4,0,9,surprised\n"
                                 "s01,f,clips/a.mp4,0,9,contemptuous\n"
                                 "s01,g,clips/a.mp4,0,9,sad\n"
                                 "s01,h,clips/a.mp4,0,9,glad\n");
  const auto dfme = read_manifest(path);
  ASSERT_EQ(dfme.rows.size(), 7u);
  std::vector<std::string> names;
  for (const auto& r : dfme.rows) names.push_back(r.emotion);
  EXPECT_EQ(names, (std::vector<std::string>{"happiness", "anger", "disgust", "fear", "surprise", "contempt", "sadness"}));
  ASSERT_EQ(dfme.skipped.size(), 1u) << "'glad' is nobody's label";
  ManifestOptions mapped = with_classes({}, megc3_classes());
  mapped.class_map = read_class_map(write("map.csv", "# my lab's spellings\nglad,positive\n\n"));
  const auto megc = read_manifest(path, mapped);
  EXPECT_EQ(megc.rows.size(), 8u);
  EXPECT_EQ(megc.rows.back().emotion, "positive");
  EXPECT_EQ(megc.rows[0].emotion, "positive");  // HAPPY
  EXPECT_EQ(megc.rows[1].emotion, "negative");  // Angry
  EXPECT_THROW(read_class_map(write("bad.csv", "glad\n")), DataError);
}

}  // namespace
}  // namespace mexa::io
