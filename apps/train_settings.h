// `mexa train`'s parsed flags as the run's settings: what config.ini records
// (every option that describes the run, with the value in effect) and the
// list flags' parser.
#pragma once

#include <boost/program_options.hpp>

#include <map>
#include <set>
#include <string>
#include <vector>

namespace mexa::cli {

/// Options that do not describe the run (not written to config.ini): --config, --resume...
extern const std::set<std::string> kNotSaved;

/// name -> value text of every option that describes the run.
std::map<std::string, std::string> effective_options(const boost::program_options::variables_map& vm);
/// config.ini's text: "name = value" lines (training::parse_settings reads it back).
std::string effective_config(const boost::program_options::variables_map& vm);
/// "10,20" -> {10, 20}; throws UsageError naming `flag`.
std::vector<int> parse_int_list(const std::string& text, const std::string& flag);

}  // namespace mexa::cli
