#include "train_settings.h"

#include <boost/any.hpp>
#include <spdlog/fmt/fmt.h>
#include <spdlog/fmt/ranges.h>

#include <sstream>

#include "cli.h"
#include "mexa/version.h"

namespace mexa::cli {

namespace {

std::string any_text(const boost::any& value) {
  if (const auto* s = boost::any_cast<std::string>(&value)) return *s;
  if (const auto* i = boost::any_cast<int>(&value)) return std::to_string(*i);
  if (const auto* u = boost::any_cast<uint64_t>(&value)) return std::to_string(*u);
  if (const auto* b = boost::any_cast<bool>(&value)) return *b ? "true" : "false";
  if (const auto* d = boost::any_cast<double>(&value)) return fmt::format("{}", *d);  // shortest exact form
  if (const auto* f = boost::any_cast<float>(&value)) return fmt::format("{}", *f);
  if (const auto* v = boost::any_cast<std::vector<std::string>>(&value)) return fmt::format("{}", fmt::join(*v, "\n"));
  throw std::logic_error("option of an unexpected type");
}

}  // namespace

const std::set<std::string> kNotSaved{"help",          "config", "log-level",    "resume", "stop-after-epoch",
                                      "out",           "gather", "dist-timeout", "fold-shard"};

std::map<std::string, std::string> effective_options(const po::variables_map& vm) {
  std::map<std::string, std::string> out;
  for (const auto& [name, value] : vm)
    if (!kNotSaved.count(name) && !value.empty()) out[name] = any_text(value.value());
  return out;
}

/// The effective options as an INI file `mexa train --config` reads back.
std::string effective_config(const po::variables_map& vm) {
  std::string text = "# mexa " + std::string(MEXA_VERSION) + " train: effective options of this run\n";
  for (const auto& [name, value] : effective_options(vm)) {
    // A repeated option (--data A --data B): one line each, as the INI reader takes it back.
    size_t start = 0;
    for (size_t end; (end = value.find('\n', start)) != std::string::npos; start = end + 1)
      text += name + " = " + value.substr(start, end - start) + "\n";
    text += name + " = " + value.substr(start) + "\n";
  }
  return text;
}

std::vector<int> parse_int_list(const std::string& text, const std::string& flag) {
  std::vector<int> out;
  std::istringstream in(text);
  std::string item;
  while (std::getline(in, item, ','))
    if (!item.empty()) try {
        out.push_back(std::stoi(item));
      } catch (const std::exception&) {
        throw UsageError(flag + ": '" + item + "' is not a number");
      }
  return out;
}

}  // namespace mexa::cli
