#include "history.h"

#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace mexa::engine {

namespace fs = std::filesystem;

std::string format_double(double v) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.17g", v);
  return buffer;
}

std::vector<std::string> split_lines(const std::string& text) {
  std::vector<std::string> items;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) items.push_back(line);
  return items;
}

void write_atomically(const fs::path& path, const std::string& text, const std::string& what) {
  const fs::path tmp = path.string() + "." + std::to_string(::getpid()) + ".tmp";  // one writer's own name
  std::string failure;
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) {
      failure = "cannot create " + tmp.string() + ": " + std::strerror(errno);
    } else {
      out.write(text.data(), static_cast<std::streamsize>(text.size()));
      out.close();  // flushes: a full disk shows here at the latest
      if (out.fail()) failure = std::string("writing failed: ") + std::strerror(errno);
    }
  }
  std::error_code ec;
  if (failure.empty()) {
    fs::rename(tmp, path, ec);
    if (ec) failure = "cannot rename " + tmp.string() + " over it: " + ec.message();
  }
  if (!failure.empty()) {
    fs::remove(tmp, ec);
    throw std::runtime_error(path.string() + ": " + what + ": " + failure);
  }
}

/// The columns of metrics.csv / keys of metrics.json, in EpochRecord's order.
constexpr std::array<const char*, 10> kHistoryColumns{"epoch",   "lr",      "train_loss", "train_acc",        "val_acc",
                                                      "val_uf1", "val_uar", "seconds",    "clips_per_second", "busy_fraction"};

std::string history_csv(const std::vector<EpochRecord>& history) {
  std::string text;
  for (const char* name : kHistoryColumns) {
    if (!text.empty()) text += ',';
    text += name;
  }
  text += "\n";
  for (const auto& r : history) {
    text += std::to_string(r.epoch);
    for (double v : {r.lr, r.train_loss, r.train_acc, r.val_acc, r.val_uf1, r.val_uar, r.seconds, r.clips_per_second,
                     r.busy_fraction}) {
      text += ',';
      text += format_double(v);
    }
    text += "\n";
  }
  return text;
}

std::vector<EpochRecord> parse_history(const std::string& text) {
  std::vector<EpochRecord> history;
  const std::vector<std::string> lines = split_lines(text);
  for (size_t i = 1; i < lines.size(); ++i) {
    std::istringstream in(lines[i]);
    std::string field;
    std::vector<double> v;
    while (std::getline(in, field, ',')) v.push_back(std::stod(field));
    if (v.size() != kHistoryColumns.size()) throw std::runtime_error("checkpoint history row has " + std::to_string(v.size()) + " fields");
    EpochRecord r;
    r.epoch = static_cast<int>(v[0]);
    r.lr = v[1];
    r.train_loss = v[2];
    r.train_acc = v[3];
    r.val_acc = v[4];
    r.val_uf1 = v[5];
    r.val_uar = v[6];
    r.seconds = v[7];
    r.clips_per_second = v[8];
    r.busy_fraction = v[9];
    history.push_back(std::move(r));
  }
  return history;
}

std::string history_json(const std::vector<EpochRecord>& history) {
  std::string text = "[\n";
  for (size_t i = 0; i < history.size(); ++i) {
    const auto& r = history[i];
    const double values[] = {static_cast<double>(r.epoch), r.lr, r.train_loss, r.train_acc, r.val_acc, r.val_uf1,
                             r.val_uar, r.seconds, r.clips_per_second, r.busy_fraction};
    text += "  {";
    for (size_t k = 0; k < kHistoryColumns.size(); ++k) {
      // -1 marks "no validation set": JSON null says so without a magic number.
      const bool missing = k >= 4 && k <= 6 && values[k] < 0;
      text += k ? ", \"" : "\"";
      text += kHistoryColumns[k];
      text += "\": ";
      text += missing ? "null" : k == 0 ? std::to_string(r.epoch) : format_double(values[k]);
    }
    text += i + 1 < history.size() ? "},\n" : "}\n";
  }
  return text + "]\n";
}

}  // namespace mexa::engine
