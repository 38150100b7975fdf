// Text of results-file values for `mexa inspect` and `mexa export`: class
// names, numbers (NaN as empty), phases, and clip ids made safe as file names.
#pragma once

#include <nlohmann/json.hpp>

#include <filesystem>
#include <string>

#include "mexa/io/results.h"

namespace mexa::cli {

const char* phase_text(io::FramePhase p);
/// The class name of `index`, or "" outside the file's classes.
std::string class_of(const io::ResultsMeta& meta, int index);
/// %.6g, NaN as "".
std::string number(double v);
/// NaN as null.
nlohmann::json json_number(double v);
/// A clip id as a file name inside the export folder: path separators, dots
/// at the start, control and shell-unfriendly characters become '_', so
/// "../../x" can never leave the folder. Distinct ids that map to the same
/// name get the clip's row number appended (by the caller).
std::string safe_file_name(const std::string& id);
/// Writes `text` to `path`; StorageError naming it when that fails.
void write_text(const std::filesystem::path& path, const std::string& text);

}  // namespace mexa::cli
