// Action-unit annotations as the datasets spell them, parsed to AU numbers.
//
//   CASME II   "4+7", "R12", "L10", "4+L10", "1+2+AU4"
//   SAMM       "R14A+L14A", "12+15", "AU4"
//   DFME/mexa  "AU4+AU7", "RAU14", "AU12L"
//
// A token is an optional side (L, R or B), an optional "AU", the number
// (1-99), an optional intensity letter (A-E) and an optional side suffix;
// tokens are separated by '+', ',', ';' or spaces. Sides and intensities are
// dropped: mexa's AU head predicts whether an AU is active. "none" and "-"
// mean no AU; empty text, "/", "?" and "n/a" mean the AUs are not annotated
// (action_units_annotated() is false; the AU head leaves such clips out).
//
//   parse_action_units("R14A+L14A+4") == {4, 14}
#pragma once

#include <string>
#include <vector>

namespace mexa::io {

/// AU numbers, sorted and unique. Throws std::invalid_argument
/// ("unknown AU spelling 'X'") for a token that does not parse.
std::vector<int> parse_action_units(const std::string& text);

/// False for text that says the AUs are unknown: empty, "/", "?", "n/a".
bool action_units_annotated(const std::string& text);

/// "AU" + number: the name mexa uses in checkpoints and results.
std::string action_unit_name(int number);

}  // namespace mexa::io
