// Shared command-line plumbing for the `mexa` subcommands: exit codes,
// option parsing with --help / --config FILE.ini / --log-level, logging to
// stderr and a progress line for long work.
#pragma once

#include <boost/program_options.hpp>

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

namespace mexa::cli {

namespace po = boost::program_options;

/// DESIGN.md section 4.
enum ExitCode : int {
  kOk = 0,
  kInputsFailed = 1,  ///< the run completed; some inputs failed and were recorded
  kUsage = 2,         ///< bad flags or config
  kFatal = 3,         ///< fatal I/O or model error
};

/// Thrown for usage errors; main() prints it with the subcommand's usage hint.
struct UsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct Command {
  std::string name;     ///< "probe"
  std::string summary;  ///< one line for `mexa --help`
  std::string usage;    ///< "mexa probe [options] FILE..."
  int (*run)(const std::vector<std::string>& args);
};

/// Parses `args` (after the subcommand name) into `vm`. Adds --help, --config
/// and --log-level to `options`; positional arguments go to `positional_name`.
/// Returns false when --help was printed (the caller exits 0).
bool parse(const std::vector<std::string>& args, const Command& command, po::options_description& options,
           const po::positional_options_description& positional, po::variables_map& vm);

/// "WxH" (the --size flag) -> width, height; throws UsageError naming the flag.
void parse_size(const std::string& text, int& width, int& height);

/// Sets spdlog's level and stderr sink ("trace".."off").
void setup_logging(const std::string& level);

/// Prints "what: done/total (pct), rate unit/s, ETA" to stderr at most once a
/// second, only after the work has run for two seconds. Plain lines when stderr
/// is not a terminal, one rewritten line when it is.
class Progress {
 public:
  Progress(std::string what, int64_t total, std::string unit);
  void update(int64_t done);
  /// Same, with a note at the end of the line ("loss 0.83").
  void update(int64_t done, const std::string& note);
  /// The total, when it is known only once the work has started.
  void set_total(int64_t total) { total_ = total; }
  void finish();

 private:
  std::string what_;
  int64_t total_;
  std::string unit_;
  bool tty_;
  bool printed_ = false;
  std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point last_;
};

}  // namespace mexa::cli
