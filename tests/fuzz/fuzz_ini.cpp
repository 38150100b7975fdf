// Fuzz target: an INI file given with --config, through mexa's own option
// parsing (cli::parse, Boost.Program_options' parse_config_file underneath)
// with options of every kind the commands declare: text, integers, reals,
// switches, defaults and a repeated option. Unknown keys, bad values and
// malformed lines must be UsageErrors (exit 2), never a crash.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "../../apps/cli.h"
#include "fuzz_support.h"

namespace po = boost::program_options;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string path = mexa::fuzz::write_file("config.ini", data, size);
  po::options_description options("fuzz");
  options.add_options()                                                     //
      ("data", po::value<std::string>(), "text")                            //
      ("model", po::value<std::string>()->default_value("ststnet"), "text") //
      ("epochs", po::value<int>(), "integer")                               //
      ("seed", po::value<uint64_t>(), "unsigned")                           //
      ("lr", po::value<double>(), "real")                                   //
      ("amp", po::bool_switch(), "switch")                                  //
      ("onset-difference", po::value<bool>(), "boolean")                    //
      ("input", po::value<std::vector<std::string>>()->composing(), "repeated");
  po::positional_options_description positional;
  po::variables_map vm;
  const mexa::cli::Command command{"fuzz", "", "", nullptr};
  try {
    mexa::cli::parse({"--config", path, "--log-level", "off"}, command, options, positional, vm);
  } catch (const mexa::cli::UsageError&) {
  }
  return 0;
}
