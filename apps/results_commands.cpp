// `mexa merge SHARD.h5... --out all.h5`: shard files of one model -> one file
// of the same schema (inspect.cpp and export.cpp are the other commands on
// results files; none needs LibTorch).
#include <spdlog/spdlog.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>
#include <nlohmann/json.hpp>
#include <set>

#include "cli.h"
#include "commands.h"
#include "mexa/io/csv.h"
#include "mexa/io/errors.h"
#include "mexa/io/results.h"
#include "mexa/io/results_merge.h"

namespace mexa::cli {

namespace fs = std::filesystem;

int run_merge(const std::vector<std::string>& args) {
  static const Command command{
      "merge",
      "Join results files (shards of one scoring run: same model, classes and shapes) into one file of the same "
      "schema. A clip id found in several shards is kept once (the first) and reported.",
      "mexa merge SHARD.h5... --out all.h5 [--overwrite]", run_merge};
  std::vector<std::string> shards;
  std::string out;
  bool overwrite = false;
  po::options_description options("Merge options");
  options.add_options()("shards", po::value(&shards)->multitoken(), "results files to join")(
      "out", po::value(&out)->required(), "merged results file")("overwrite", po::bool_switch(&overwrite),
                                                                 "replace an existing --out");
  po::positional_options_description positional;
  positional.add("shards", -1);
  po::variables_map vm;
  if (!parse(args, command, options, positional, vm)) return kOk;
  if (shards.empty()) throw UsageError("no shard files given");
  if (!overwrite && fs::exists(out)) throw UsageError(out + " exists; --overwrite replaces it");

  const auto merged =
      io::merge_results(shards, out, overwrite ? io::ResultsWriter::Mode::Overwrite : io::ResultsWriter::Mode::Create);
  const auto clips = merged.clips;
  const auto duplicates = merged.duplicates;
  std::printf("%s: %lld clips from %zu files", out.c_str(), static_cast<long long>(clips), shards.size());
  if (duplicates) std::printf(" (%lld duplicate ids kept once)", static_cast<long long>(duplicates));
  std::printf("\n");
  return duplicates ? kInputsFailed : kOk;
}

}  // namespace mexa::cli
