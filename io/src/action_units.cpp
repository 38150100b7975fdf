#include "mexa/io/action_units.h"

#include <algorithm>
#include <cctype>
#include <set>
#include <stdexcept>

#include "mexa/io/text.h"

namespace mexa::io {
namespace {

char upper(char c) { return static_cast<char>(std::toupper(static_cast<unsigned char>(c))); }
bool is_side(char c) { return c == 'L' || c == 'R' || c == 'B'; }

/// One token ("RAU14", "14A", "L4"): its AU number, or -1.
int parse_token(const std::string& raw) {
  std::string t;
  for (char c : raw) t += upper(c);
  size_t i = 0;
  if (i < t.size() && is_side(t[i])) ++i;  // side prefix
  if (t.compare(i, 2, "AU") == 0) i += 2;
  if (i < t.size() && is_side(t[i])) ++i;  // "AUL4"
  const size_t digits = i;
  int number = 0;
  while (i < t.size() && std::isdigit(static_cast<unsigned char>(t[i])) && i - digits < 2) number = number * 10 + (t[i++] - '0');
  if (i == digits || number < 1) return -1;
  if (i < t.size() && t[i] >= 'A' && t[i] <= 'E') ++i;  // intensity
  if (i < t.size() && (t[i] == 'L' || t[i] == 'R')) ++i;  // side suffix
  return i == t.size() ? number : -1;
}

}  // namespace

bool action_units_annotated(const std::string& text) {
  const std::string t = lower_trim(text);
  return !(t.empty() || t == "/" || t == "?" || t == "n/a");
}

std::vector<int> parse_action_units(const std::string& text) {
  const std::string trimmed = lower_trim(text);
  if (!action_units_annotated(text) || trimmed == "-" || trimmed == "none") return {};
  std::set<int> out;
  std::string token;
  auto flush = [&] {
    if (token.empty()) return;
    const int n = parse_token(token);
    if (n < 0) throw std::invalid_argument("unknown AU spelling '" + token + "'");
    out.insert(n);
    token.clear();
  };
  for (char c : text) {
    if (c == '+' || c == ',' || c == ';' || std::isspace(static_cast<unsigned char>(c)))
      flush();
    else
      token += c;
  }
  flush();
  return {out.begin(), out.end()};
}

std::string action_unit_name(int number) { return "AU" + std::to_string(number); }

}  // namespace mexa::io
