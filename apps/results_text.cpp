#include "results_text.h"

#include <cctype>
#include <cmath>
#include <cstdio>
#include <fstream>

#include "mexa/io/errors.h"

namespace mexa::cli {

namespace fs = std::filesystem;

const char* phase_text(io::FramePhase p) {
  switch (p) {
    case io::FramePhase::None: return "none";
    case io::FramePhase::OnsetToApex: return "onset_to_apex";
    case io::FramePhase::Apex: return "apex";
    case io::FramePhase::ApexToOffset: return "apex_to_offset";
  }
  return "none";
}

std::string class_of(const io::ResultsMeta& meta, int index) {
  return index >= 0 && index < static_cast<int>(meta.class_names.size()) ? meta.class_names[static_cast<size_t>(index)] : "";
}

std::string number(double v) {
  if (std::isnan(v)) return "";
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.6g", v);
  return buffer;
}
nlohmann::json json_number(double v) { return std::isnan(v) ? nlohmann::json() : nlohmann::json(v); }

std::string safe_file_name(const std::string& id) {
  std::string out;
  for (unsigned char c : id) out += std::isalnum(c) || c == '-' || c == '_' || c == '.' ? static_cast<char>(c) : '_';
  while (!out.empty() && out[0] == '.') out[0] = '_';
  if (out.empty()) out = "_";
  if (out.size() > 200) out.resize(200);
  return out;
}

void write_text(const fs::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  out.flush();
  if (!out) throw StorageError(path.string(), "cannot write");
}

}  // namespace mexa::cli
