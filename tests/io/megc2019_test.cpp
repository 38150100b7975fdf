// The MEGC 2019 composite as public code ships it (io style megc2019): one
// flow image per clip in IMAGE_DIR named {sub}_{filename_o} plus an image
// extension, and a CSV dataset,sub,filename_o,label,apex,imagename with
// numeric labels, stray spaces and extensions in any case.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "mexa/io/class_sets.h"
#include "mexa/io/dataset.h"
#include "mexa/io/errors.h"
#include "mexa/io/manifest.h"
#include "../common/temp_dir_test.h"

namespace mexa::io {
namespace {

namespace fs = std::filesystem;

class Megc2019Test : public test::TempDirTest {
 protected:
  void touch(const std::string& name) { std::ofstream(dir_ / "images" / name) << "x"; }
  ManifestOptions options() const {
    ManifestOptions o = with_classes(ManifestOptions{}, megc3_classes());
    o.style = AnnotationStyle::Megc2019;
    o.root = (dir_ / "images").string();
    return o;
  }
};

TEST_F(Megc2019Test, RowsNameTheirImagesWhateverTheExtensionsCaseAndSubjectsKeepTheirDataset) {
  fs::create_directories(dir_ / "images");
  touch("sub01_EP02_01f.png");
  touch("006_006_1_2.PNG");
  touch("s1_s1_ne_01.jpg");
  touch("sub02_EP09_04.png");
  touch("sub01_EP02_01f.txt");  // not an image: ignored
  const std::string csv = (dir_ / "labels.csv").string();
  std::ofstream(csv) << "dataset,sub,filename_o,label,apex,imagename\n"
                        "casme2,sub01,EP02_01f,1,46,reg_img46.jpg\n"
                        "samm, 006 ,006_1_2 ,0,5562,006_05562.jpg\n"   // stray spaces, upper-case extension
                        "smic,s1,s1_ne_01,2,,image0106433.bmp\n"        // SMIC: no apex
                        "casme2,sub02,EP09_04,0,40,x.jpg\n"
                        "casme2,sub03,EP01_01,2,30,y.jpg\n"             // no image: a bad row, named
                        "samm,007,007_3_1,7,12,z.jpg\n";                // no such label
  const Manifest m = read_manifest(csv, options());
  ASSERT_EQ(m.rows.size(), 4u);
  EXPECT_EQ(m.rows[0].subject, "casme2/sub01");
  EXPECT_EQ(m.rows[0].id, "casme2/sub01/EP02_01f");
  EXPECT_EQ(m.rows[0].emotion, "positive");
  EXPECT_EQ(m.rows[0].path, (dir_ / "images/sub01_EP02_01f.png").string());
  EXPECT_EQ(m.rows[0].apex, 0) << "the CSV's apex is a frame of a video the composite does not ship";
  EXPECT_EQ(m.rows[0].extra.at("apex"), "46");
  EXPECT_EQ(m.rows[0].extra.at("dataset"), "casme2");
  EXPECT_EQ(m.rows[1].subject, "samm/006");
  EXPECT_EQ(m.rows[1].path, (dir_ / "images/006_006_1_2.PNG").string());
  EXPECT_EQ(m.rows[1].emotion, "negative");
  EXPECT_EQ(m.rows[2].emotion, "surprise");
  EXPECT_EQ(m.rows[2].path, (dir_ / "images/s1_s1_ne_01.jpg").string());
  ASSERT_EQ(m.skipped.size(), 2u);
  EXPECT_EQ(m.skipped[0].cause, "missing image");
  EXPECT_NE(m.skipped[0].message.find("sub03_EP01_01"), std::string::npos) << m.skipped[0].message;
  EXPECT_EQ(m.skipped[1].cause, "unknown class");
  EXPECT_NE(m.skipped[1].message.find("0 negative, 1 positive, 2 surprise"), std::string::npos) << m.skipped[1].message;

  // mexa's manifest of it keeps the dataset column (per-dataset UF1/UAR use it).
  const std::string text = manifest_csv(m, dir_.string(), 0);
  EXPECT_EQ(text.substr(0, text.find('\n')), "subject,clip,path,onset,apex,offset,emotion,aus,fps,dataset");
  EXPECT_NE(text.find("casme2/sub01,EP02_01f,images/sub01_EP02_01f.png,0,0,0,positive,,,casme2"), std::string::npos)
      << text;
}

TEST_F(Megc2019Test, TwoImagesForOneClipAreABadRowAndAMissingDatasetColumnIsFatal) {
  fs::create_directories(dir_ / "images");
  touch("sub01_EP02_01f.png");
  touch("sub01_EP02_01f.jpg");
  const std::string csv = (dir_ / "labels.csv").string();
  std::ofstream(csv) << "dataset,sub,filename_o,label,apex,imagename\ncasme2,sub01,EP02_01f,1,46,a.jpg\n";
  const Manifest m = read_manifest(csv, options());
  ASSERT_EQ(m.skipped.size(), 1u);
  EXPECT_EQ(m.skipped[0].cause, "several images");

  std::ofstream(csv) << "sub,filename_o,label\nsub01,EP02_01f,1\n";
  EXPECT_THROW(read_manifest(csv, options()), mexa::DataError);
}

}  // namespace
}  // namespace mexa::io
