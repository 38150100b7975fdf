// `mexa-core` and `mexa-torch`: one command line, one subcommand per file in
// apps/. Exceptions from the libraries become exit codes here and nowhere else
// (DESIGN.md section 4).
//
// Two executables share this file. `mexa-core` holds the commands that need
// no LibTorch (probe, ...); `mexa-torch` (built with MEXA_WITH_ENGINE) holds
// every command. `mexa` (launcher.cpp) execs the one a command needs; a
// `mexa-core` run directly with an engine command execs `mexa-torch`.
// Loading LibTorch costs ~0.5 s and ~500 MB, which a `probe` of a thousand
// files should not pay a thousand times.
#include <spdlog/spdlog.h>
#include <cstdio>
#include <cstring>
#include <exception>

#include "cli.h"
#include "commands.h"
#include "mexa/io/errors.h"
#include "mexa/io/failpoint.h"
#include "mexa/version.h"
#ifndef MEXA_WITH_ENGINE
#include "sibling.h"
#endif
#ifdef MEXA_WITH_ENGINE
#include "mexa/engine/malloc_tuning.h"
#endif

namespace {

using mexa::cli::Command;

const std::vector<Command>& commands() {
  static const std::vector<Command> all{
      {"probe", "print stream info and the exact decoded frame count", "mexa probe FILE...", mexa::cli::run_probe},
      {"synth", "generate a DFME-style synthetic dataset (clips + annotations.csv)", "mexa synth --out DIR",
        mexa::cli::run_synth},
      {"manifest", "validate and summarise an annotation file (mexa, CASME II, SAMM, CAS(ME)^3, SMIC)",
        "mexa manifest FILE", mexa::cli::run_manifest},
      {"dataset", "check a dataset install (CASME II, SAMM, SMIC, CAS(ME)^2/^3, SAMM-LV, DFME), write its manifest",
        "mexa dataset check|manifest|composite|styles --style S ROOT", mexa::cli::run_dataset},
      {"flow", "write each clip's onset->apex flow image in the MEGC 2019 composite's form, and their manifest",
        "mexa flow --data SPEC --out DIR", mexa::cli::run_flow},
      {"inspect", "describe a results file: schema, model, counts, predictions, failures", "mexa inspect FILE",
        mexa::cli::run_inspect},
      {"export", "export a results file as per-clip, per-frame and interval CSV or JSON", "mexa export FILE --out DIR",
        mexa::cli::run_export},
      {"merge", "join shard results files into one", "mexa merge SHARD.h5... --out all.h5", mexa::cli::run_merge},
      {"report", "write a self-contained HTML report of training runs and results files", "mexa report INPUT... --out FILE",
        mexa::cli::run_report},
#ifdef MEXA_WITH_ENGINE
#define MEXA_ENGINE_COMMAND(f) f
#else
#define MEXA_ENGINE_COMMAND(f) nullptr
#endif
      {"train", "train a model under a subject-independent protocol (split, kfold, loso)", "mexa train",
        MEXA_ENGINE_COMMAND(mexa::cli::run_train)},
      {"eval", "score a checkpoint on a manifest (ACC, UF1, UAR, per class, confusion)", "mexa eval",
        MEXA_ENGINE_COMMAND(mexa::cli::run_eval)},
      {"score", "score videos with a checkpoint into an HDF5 results file (the main job)", "mexa score",
        MEXA_ENGINE_COMMAND(mexa::cli::run_score)},
      {"version", "print library versions and the compute device", "mexa version",
        MEXA_ENGINE_COMMAND(mexa::cli::run_version)},
#undef MEXA_ENGINE_COMMAND
  };
  return all;
}

void print_help() {
  std::printf("mexa %s - video micro-expression analysis\n\nUsage: mexa COMMAND [options]\n\nCommands:\n", MEXA_VERSION);
  for (const auto& c : commands()) std::printf("  %-10s %s\n", c.name.c_str(), c.summary.c_str());
  std::printf("\n`mexa COMMAND --help` describes each command's options.\n"
              "Exit codes: 0 ok, 1 some inputs failed, 2 usage error, 3 fatal error.\n");
}

}  // namespace

int main(int argc, char** argv) {
#ifdef MEXA_WITH_ENGINE
  // Before any thread allocates: LibTorch's large tensors reuse heap memory
  // instead of a fresh mmap per batch (engine/malloc_tuning.h).
  mexa::engine::tune_malloc();
#endif
  mexa::cli::setup_logging("info");
  if (argc < 2 || !std::strcmp(argv[1], "--help") || !std::strcmp(argv[1], "-h") || !std::strcmp(argv[1], "help")) {
    print_help();
    return argc < 2 ? mexa::cli::kUsage : mexa::cli::kOk;
  }
  if (!std::strcmp(argv[1], "--version")) {
    std::printf("mexa %s\n", MEXA_VERSION);
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
#ifndef MEXA_WITH_ENGINE
  // An engine command has no function here (mexa-core run directly, or a
  // command missing from the launcher's list): mexa-torch has it.
  if (!command->run) return mexa::cli::exec_engine(argv);
#endif
  const std::vector<std::string> args(argv + 2, argv + argc);
  try {
    mexa::io::check_failpoints();
  } catch (const std::invalid_argument& e) {
    std::fprintf(stderr, "mexa %s: %s\n", name.c_str(), e.what());
    return mexa::cli::kUsage;
  }
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
