// Text files: reading whole, writing atomically; RFC 4180 CSV parsing: quoted fields with commas, quotes ("") and newlines
// inside, CRLF or LF line ends, an optional UTF-8 byte-order mark.
// Stateless, thread-safe.
//
//   for (const auto& record : mexa::io::parse_csv(text, "annotations.csv"))
//     use(record.line, record.fields);
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace mexa::io {

struct CsvRecord {
  std::vector<std::string> fields;
  int line = 0;  ///< 1-based line where the record starts
};

/// Parses `text`; blank lines are skipped. Throws DataError("file", "line N:
/// unterminated quoted field") when a quote never closes.
std::vector<CsvRecord> parse_csv(std::string_view text, const std::string& file);

/// Reads and parses a file; throws DataError when it cannot be read.
std::vector<CsvRecord> read_csv_file(const std::string& path);

/// A text file whole (bytes as they are); throws DataError when it cannot be read.
std::string read_text_file(const std::string& path);

/// Writes `text` to PATH.<pid>.tmp, then renames it over `path`: a failed
/// write (a full disk) leaves `path` as it was and no .tmp; processes writing
/// the same file at once each rename a whole file. Throws StorageError.
void write_text_file(const std::string& path, const std::string& text);
/// Creates `path` with `text` unless it exists (atomically: a temp file
/// hard-linked into place): false when another writer got there first.
/// Throws StorageError naming the file.
bool create_text_file(const std::string& path, const std::string& text);

/// Quotes a field when it holds a comma, quote, CR or LF (for writers).
std::string csv_escape(const std::string& field);

}  // namespace mexa::io
