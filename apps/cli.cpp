#include "cli.h"

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>

namespace mexa::cli {

namespace {

/// Boost.Program_options words an error by replacing the %tokens% of a
/// template with the option's name and value, each until none is left: a
/// name or value that holds such a token ("%value%", "%pr%prefix%e...") makes
/// that loop endless (found by the fuzz_ini target). When the input holds a
/// '%', the message is built here instead, each token replaced once.
std::string error_text(const po::error& e, bool percent_in_input) {
  const auto* named = dynamic_cast<const po::error_with_option_name*>(&e);
  if (!named || !percent_in_input) return e.what();
  std::string name = named->get_option_name().substr(0, 60);
  for (char& c : name)
    if (static_cast<unsigned char>(c) < 0x20) c = '?';
  std::string text = named->m_error_template;
  const auto put = [&](const std::string& token, const std::string& with) {
    for (size_t at = 0; (at = text.find(token, at)) != std::string::npos; at += with.size()) text.replace(at, token.size(), with);
  };
  put("%canonical_option%", name);
  put("%option%", name);
  put("%original_token%", name);
  put("%prefix%", "");
  put("%value%", "...");
  return text;
}

bool has_percent(const std::string& text) { return text.find('%') != std::string::npos; }

}  // namespace

bool parse(const std::vector<std::string>& args, const Command& command, po::options_description& options,
           const po::positional_options_description& positional, po::variables_map& vm) {
  bool percent = std::any_of(args.begin(), args.end(), has_percent);
  po::options_description common("Common options");
  common.add_options()("help,h", "show this help and exit")(
      "config", po::value<std::string>(), "read options from an INI file (same keys as the flags; flags win)")(
      "log-level", po::value<std::string>()->default_value("info"), "trace, debug, info, warn, error or off");
  po::options_description all;
  all.add(options).add(common);
  try {
    po::store(po::command_line_parser(args).options(all).positional(positional).run(), vm);
    if (vm.count("help")) {
      std::cout << "Usage: " << command.usage << "\n\n" << command.summary << "\n\n" << all << "\n";
      return false;
    }
    if (vm.count("config")) {
      const std::string path = vm["config"].as<std::string>();
      std::ifstream in(path, std::ios::binary);
      if (!in) throw UsageError("cannot read config file " + path);
      std::ostringstream text;
      text << in.rdbuf();
      percent = percent || has_percent(text.str());
      std::istringstream file(text.str());
      try {
        po::store(po::parse_config_file(file, options, /*allow_unregistered=*/false), vm);
      } catch (const po::error& e) {
        throw UsageError("config file " + path + ": " + error_text(e, percent));
      }
    }
    po::notify(vm);
  } catch (const po::error& e) {
    throw UsageError(error_text(e, percent));
  }
  setup_logging(vm["log-level"].as<std::string>());
  return true;
}

void parse_size(const std::string& text, int& width, int& height) {
  char x = 0;
  std::istringstream in(text);
  if (!(in >> width >> x >> height) || (x != 'x' && x != 'X') || !in.eof())
    throw UsageError("--size must look like WxH, e.g. 64x64 (got '" + text + "')");
}

void setup_logging(const std::string& level) {
  const auto parsed = spdlog::level::from_str(level);
  if (parsed == spdlog::level::off && level != "off") throw UsageError("unknown log level '" + level + "'");
  static bool sink_set = false;
  if (!sink_set) {
    auto logger = spdlog::stderr_color_mt("mexa");
    logger->set_pattern("[%H:%M:%S.%e] [%^%l%$] %v");
    spdlog::set_default_logger(logger);
    sink_set = true;
  }
  spdlog::set_level(parsed);
}

Progress::Progress(std::string what, int64_t total, std::string unit)
    : what_(std::move(what)),
      total_(total),
      unit_(std::move(unit)),
      tty_(isatty(STDERR_FILENO) != 0),
      start_(std::chrono::steady_clock::now()),
      last_(start_) {}

void Progress::update(int64_t done) { update(done, ""); }

void Progress::update(int64_t done, const std::string& note) {
  using namespace std::chrono;
  if (spdlog::get_level() > spdlog::level::info) return;  // --log-level warn and above: quiet
  const auto now = steady_clock::now();
  if (now - start_ < seconds(2) || now - last_ < seconds(1)) return;
  last_ = now;
  const double elapsed = duration<double>(now - start_).count();
  const double rate = done / elapsed;
  std::string line = what_ + ": " + std::to_string(done);
  if (total_ > 0) {
    const double eta = rate > 0 ? (total_ - done) / rate : 0;
    char tail[96];
    std::snprintf(tail, sizeof tail, "/%lld (%.0f%%), %.0f %s/s, ETA %.0f s", static_cast<long long>(total_),
                  100.0 * done / total_, rate, unit_.c_str(), eta);
    line += tail;
  } else {
    char tail[64];
    std::snprintf(tail, sizeof tail, " %s, %.0f %s/s", unit_.c_str(), rate, unit_.c_str());
    line += tail;
  }
  if (!note.empty()) line += ", " + note;
  if (tty_)
    std::fprintf(stderr, "\r%s\033[K", line.c_str());
  else
    std::fprintf(stderr, "%s\n", line.c_str());
  printed_ = true;
}

void Progress::finish() {
  if (printed_ && tty_) std::fprintf(stderr, "\n");
  printed_ = false;
}

}  // namespace mexa::cli
