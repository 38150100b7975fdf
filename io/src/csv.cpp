#include "mexa/io/csv.h"

#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "mexa/io/errors.h"

namespace mexa::io {

std::vector<CsvRecord> parse_csv(std::string_view text, const std::string& file) {
  if (text.substr(0, 3) == "\xEF\xBB\xBF") text.remove_prefix(3);
  std::vector<CsvRecord> records;
  CsvRecord record;
  std::string field;
  bool in_quotes = false;
  bool field_was_quoted = false;
  int line = 1;
  int quote_line = 0;
  record.line = 1;

  auto end_field = [&] {
    record.fields.push_back(std::move(field));
    field.clear();
    field_was_quoted = false;
  };
  auto end_record = [&] {
    end_field();
    const bool blank = record.fields.size() == 1 && record.fields[0].empty();
    if (!blank) records.push_back(std::move(record));
    record = CsvRecord{};
    record.line = line;
  };

  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_quotes) {
      if (c == '"') {
        if (i + 1 < text.size() && text[i + 1] == '"') {
          field += '"';
          ++i;
        } else {
          in_quotes = false;
        }
      } else {
        if (c == '\n') ++line;
        field += c;
      }
      continue;
    }
    switch (c) {
      case '"':
        if (field.empty() && !field_was_quoted) {
          in_quotes = field_was_quoted = true;
          quote_line = line;
        } else {
          field += c;  // a stray quote inside an unquoted field is kept as text
        }
        break;
      case ',': end_field(); break;
      case '\r':
        if (i + 1 < text.size() && text[i + 1] == '\n') break;  // CRLF: the LF ends the record
        ++line;
        end_record();
        break;
      case '\n':
        ++line;
        end_record();
        break;
      default: field += c;
    }
  }
  if (in_quotes) throw DataError(file, "line " + std::to_string(quote_line) + ": unterminated quoted field");
  if (!field.empty() || !record.fields.empty() || field_was_quoted) end_record();
  return records;
}

std::string read_text_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw DataError(path, "cannot open for reading");
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

std::vector<CsvRecord> read_csv_file(const std::string& path) { return parse_csv(read_text_file(path), path); }

namespace {

/// PATH.<pid>.tmp: a name no other process writes (fold shards and ranks
/// may write the same file at once).
std::string temp_name(const std::string& path) { return path + "." + std::to_string(::getpid()) + ".tmp"; }

/// Writes `text` to `tmp`; "" or why it failed.
std::string write_temp(const std::string& tmp, const std::string& text) {
  std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
  if (!out) return "cannot create " + tmp + ": " + std::strerror(errno);
  out.write(text.data(), static_cast<std::streamsize>(text.size()));
  out.close();  // flushes: a full disk shows here at the latest
  if (out.fail()) return std::string("writing failed: ") + std::strerror(errno);
  return "";
}

}  // namespace

void write_text_file(const std::string& path, const std::string& text) {
  const std::string tmp = temp_name(path);
  std::string failure = write_temp(tmp, text);
  std::error_code ec;
  if (failure.empty()) {
    std::filesystem::rename(tmp, path, ec);
    if (ec) failure = "cannot replace it: " + ec.message();
  }
  if (!failure.empty()) {
    std::filesystem::remove(tmp, ec);
    throw StorageError(path, failure);
  }
}

bool create_text_file(const std::string& path, const std::string& text) {
  const std::string tmp = temp_name(path);
  std::string failure = write_temp(tmp, text);
  bool created = false;
  if (failure.empty()) {
    if (::link(tmp.c_str(), path.c_str()) == 0) created = true;
    else if (errno != EEXIST) failure = std::string("cannot create it: ") + std::strerror(errno);
  }
  std::error_code ec;
  std::filesystem::remove(tmp, ec);
  if (!failure.empty()) throw StorageError(path, failure);
  return created;
}

std::string csv_escape(const std::string& field) {
  if (field.find_first_of(",\"\r\n") == std::string::npos) return field;
  std::string quoted = "\"";
  for (char c : field) {
    if (c == '"') quoted += '"';
    quoted += c;
  }
  return quoted + '"';
}

}  // namespace mexa::io
