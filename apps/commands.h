// The subcommands of `mexa`, one file each.
#pragma once

#include <string>
#include <vector>

namespace mexa::cli {

int run_probe(const std::vector<std::string>& args);
int run_synth(const std::vector<std::string>& args);
int run_manifest(const std::vector<std::string>& args);
int run_dataset(const std::vector<std::string>& args);
int run_version(const std::vector<std::string>& args);
int run_inspect(const std::vector<std::string>& args);
int run_export(const std::vector<std::string>& args);
int run_merge(const std::vector<std::string>& args);
int run_report(const std::vector<std::string>& args);
int run_train(const std::vector<std::string>& args);
int run_eval(const std::vector<std::string>& args);
int run_score(const std::vector<std::string>& args);
int run_flow(const std::vector<std::string>& args);

}  // namespace mexa::cli
