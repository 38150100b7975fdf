// `mexa`: one binary, one subcommand per file in apps/. Exceptions from the
// libraries become exit codes here and nowhere else (DESIGN.md section 4).
#include <spdlog/spdlog.h>

#include <cstdio>
#include <cstring>
#include <exception>

#include "cli.h"
#include "commands.h"
#include "mexa/engine/device.h"
#include "mexa/io/errors.h"

namespace {

using mexa::cli::Command;

const std::vector<Command>& commands() {
  static const std::vector<Command> all{
      {"probe", "print stream info and the exact decoded frame count", "mexa probe FILE...", mexa::cli::run_probe},
      {"version", "print library versions and the compute device", "mexa version", mexa::cli::run_version},
  };
  return all;
}

void print_help() {
  std::printf("mexa %s - video micro-expression analysis\n\nUsage: mexa COMMAND [options]\n\nCommands:\n",
              mexa::engine::engine_version().c_str());
  for (const auto& c : commands()) std::printf("  %-10s %s\n", c.name.c_str(), c.summary.c_str());
  std::printf("\n`mexa COMMAND --help` describes each command's options.\n"
              "Exit codes: 0 ok, 1 some inputs failed, 2 usage error, 3 fatal error.\n");
}

}  // namespace

int main(int argc, char** argv) {
  mexa::cli::setup_logging("info");
  if (argc < 2 || !std::strcmp(argv[1], "--help") || !std::strcmp(argv[1], "-h") || !std::strcmp(argv[1], "help")) {
    print_help();
    return argc < 2 ? mexa::cli::kUsage : mexa::cli::kOk;
  }
  if (!std::strcmp(argv[1], "--version")) {
    std::printf("mexa %s\n", mexa::engine::engine_version().c_str());
    return mexa::cli::kOk;
  }
  const std::string name = argv[1];
  const Command* command = nullptr;
  for (const auto& c : commands())
    if (c.name == name) command = &c;
  if (!command) {
    std::fprintf(stderr, "mexa: unknown command '%s' (see mexa --help)\n", name.c_str());
    return mexa::cli::kUsage;
  }
  const std::vector<std::string> args(argv + 2, argv + argc);
  try {
    return command->run(args);
  } catch (const mexa::cli::UsageError& e) {
    std::fprintf(stderr, "mexa %s: %s\n", name.c_str(), e.what());
    return mexa::cli::kUsage;
  } catch (const mexa::Error& e) {
    spdlog::critical("{}", e.what());
    return mexa::cli::kFatal;
  } catch (const std::exception& e) {
    spdlog::critical("mexa {}: {}", name, e.what());
    return mexa::cli::kFatal;
  }
}
