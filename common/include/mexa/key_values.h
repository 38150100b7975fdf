// The one reader of `key = value` text: config.ini (training runs) and the
// metadata and settings stored in checkpoints. Header-only (mexa::common).
//
//   mexa::parse_key_values("# comment\nepochs = 500\ninput.frames=16\n")
//     -> {{"epochs", "500"}, {"input.frames", "16"}}
#pragma once

#include <map>
#include <sstream>
#include <string>

namespace mexa {

/// One pair per line, split at the first '='; spaces around the key and the
/// value are dropped. Blank lines, lines starting with '#' or ';' and lines
/// without '=' are skipped; a repeated key keeps its last value.
inline std::map<std::string, std::string> parse_key_values(const std::string& text) {
  const auto trim = [](const std::string& s) {
    const auto first = s.find_first_not_of(" \t\r");
    if (first == std::string::npos) return std::string();
    return s.substr(first, s.find_last_not_of(" \t\r") - first + 1);
  };
  std::map<std::string, std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    const std::string t = trim(line);
    const auto eq = t.find('=');
    if (t.empty() || t[0] == '#' || t[0] == ';' || eq == std::string::npos) continue;
    out[trim(t.substr(0, eq))] = trim(t.substr(eq + 1));
  }
  return out;
}

}  // namespace mexa
