// Small text helpers io's readers share: ASCII lower case (header names, file
// extensions, dataset names), trimming of spaces and tabs (cells, labels) and
// the shortest text of a number (spreadsheet cells, manifest fps).
// Stateless, thread-safe.
#pragma once

#include <string>
#include <vector>

namespace mexa::io {

/// `text` with A-Z lowered (bytes >= 0x80 untouched).
std::string ascii_lower(std::string text);

/// `text` without leading and trailing spaces and tabs.
std::string trim(const std::string& text);
/// ascii_lower(trim(text)): how labels, headers and names are compared.
std::string lower_trim(const std::string& text);

/// "a, b, c, ... (N more)": the first `most` items, then how many were left out.
std::string first_items(const std::vector<std::string>& items, size_t most);

/// The shortest text that reads back as `value`: integers without a point
/// below 1e15 ("46", not "46.0"), else %g with as few digits as exact ("0.1", "1e-07").
std::string shortest_number(double value);

}  // namespace mexa::io
