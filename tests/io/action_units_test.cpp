// io::parse_action_units on the spellings of CASME II, SAMM and DFME.
#include <gtest/gtest.h>

#include "mexa/io/action_units.h"

namespace mexa::io {
namespace {

TEST(ActionUnits, DatasetSpellingsParseToNumbers) {
  using V = std::vector<int>;
  EXPECT_EQ(parse_action_units("4+7"), (V{4, 7}));               // CASME II
  EXPECT_EQ(parse_action_units("R12"), (V{12}));
  EXPECT_EQ(parse_action_units("4+L10"), (V{4, 10}));
  EXPECT_EQ(parse_action_units("R14A+L14A+4"), (V{4, 14}));      // SAMM: sides and intensities
  EXPECT_EQ(parse_action_units("AU4+AU7"), (V{4, 7}));           // DFME / mexa synth
  EXPECT_EQ(parse_action_units("RAU14"), (V{14}));
  EXPECT_EQ(parse_action_units("AU12L, au6"), (V{6, 12}));
  EXPECT_EQ(parse_action_units(" 1 + 2 "), (V{1, 2}));
  for (const char* none : {"", "  ", "-", "/", "?", "none", "N/A"}) EXPECT_TRUE(parse_action_units(none).empty()) << none;
  // "none" and "-" say no AU is active; empty, "/", "?", "n/a" that the AUs are unknown.
  for (const char* known : {"none", "-", "4+7"}) EXPECT_TRUE(action_units_annotated(known)) << known;
  for (const char* unknown : {"", " ", "/", "?", "N/A"}) EXPECT_FALSE(action_units_annotated(unknown)) << unknown;
}

TEST(ActionUnits, UnknownSpellingsAreErrorsNamingTheToken) {
  for (const char* bad : {"AU", "X4", "4x", "AU4+happy", "123", "AU0", "L"}) {
    try {
      parse_action_units(bad);
      ADD_FAILURE() << bad << " parsed";
    } catch (const std::invalid_argument& e) {
      EXPECT_NE(std::string(e.what()).find("unknown AU spelling"), std::string::npos) << e.what();
    }
  }
  EXPECT_EQ(action_unit_name(12), "AU12");
}

}  // namespace
}  // namespace mexa::io
