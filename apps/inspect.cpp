// `mexa inspect results.h5`: schema, model, counts, predictions, failures, examples.
#include <cstdio>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "cli.h"
#include "commands.h"
#include "mexa/io/results.h"
#include "results_text.h"

namespace mexa::cli {
namespace {

/// What inspect reports, as its --json prints it (failure examples by reason beside it).
nlohmann::json summarise(const std::string& file, const io::ResultsReader& reader, int examples,
                         std::map<std::string, std::string>& failure_example) {
  const auto& meta = reader.meta();
  const auto clips = reader.clips();
  // The model's input kind, from the run config the file records ("input.kind = flow").
  std::string input_kind = "frames";
  {
    std::istringstream config(meta.config);
    for (std::string line; std::getline(config, line);)
      if (line.rfind("input.kind = ", 0) == 0) input_kind = line.substr(13);
  }
  std::map<std::string, int64_t> predictions, failures;
  int64_t spotted = 0, whole_frame = 0;
  for (const auto& c : clips) {
    if (c.status == io::ClipStatus::Ok) {
      ++predictions[c.pred >= 0 ? class_of(meta, c.pred) : "(none)"];
      spotted += c.apex_source == 1;
      whole_frame += !c.face_found;
    } else {
      ++failures[io::clip_status_name(c.status)];
      failure_example.emplace(io::clip_status_name(c.status), c.error);
    }
  }
  nlohmann::json out{{"file", file},
                     {"schema", meta.schema},
                     {"schema_version", meta.schema_version},
                     {"engine_version", meta.engine_version},
                     {"created_utc", meta.created_utc},
                     {"model", meta.model},
                     {"checkpoint_sha256", meta.checkpoint_sha256},
                     {"classes", meta.class_names},
                     {"clips", reader.clip_count()},
                     {"frames", reader.frame_count()},
                     {"intervals", reader.interval_count()},
                     {"apex_spotted", spotted},
                     {"no_face_whole_frame", whole_frame},
                     {"predictions", predictions},
                     {"failures", failures},
                     {"input_kind", input_kind}};
  nlohmann::json rows = nlohmann::json::array();
  for (size_t i = 0; i < clips.size() && static_cast<int>(rows.size()) < examples; ++i) {
    const auto& c = clips[i];
    rows.push_back({{"id", c.id}, {"status", io::clip_status_name(c.status)}, {"pred", class_of(meta, c.pred)},
                    {"label", class_of(meta, c.label)}, {"onset", c.onset}, {"apex", c.apex}, {"offset", c.offset},
                    {"frames", c.frame_count}});
  }
  out["examples"] = rows;
  return out;
}

void print_summary(const nlohmann::json& out, const std::map<std::string, std::string>& failure_example) {
  const auto text = [&](const char* key) { return out[key].get<std::string>(); };
  const auto count = [&](const char* key) { return static_cast<long long>(out[key].get<int64_t>()); };
  std::printf("%s: %s v%d, written by mexa %s at %s\n", text("file").c_str(), text("schema").c_str(),
              out["schema_version"].get<int>(), text("engine_version").c_str(), text("created_utc").c_str());
  std::printf("model %s (checkpoint sha256 %.12s...), %zu classes\n", text("model").c_str(),
              text("checkpoint_sha256").c_str(), out["classes"].size());
  std::printf("clips %lld, frames %lld, intervals %lld, apex spotted in %lld\n", count("clips"), count("frames"),
              count("intervals"), count("apex_spotted"));
  if (count("no_face_whole_frame") > 0)
    std::printf("no face found in %lld scored clips: the whole frame was the face (face_found 0)\n",
                count("no_face_whole_frame"));
  if (text("input_kind") == "flow-image")
    std::printf("input: flow images (one precomputed image per clip): clip rows only, no per-frame face or motion rows\n");
  std::printf("predictions:");
  for (const auto& [name, n] : out["predictions"].items()) std::printf(" %s=%lld", name.c_str(), static_cast<long long>(n.get<int64_t>()));
  std::printf("\nfailures:%s", out["failures"].empty() ? " none" : "");
  for (const auto& [reason, n] : out["failures"].items())
    std::printf(" %s=%lld", reason.c_str(), static_cast<long long>(n.get<int64_t>()));
  std::printf("\n");
  for (const auto& [reason, example] : failure_example) std::printf("  e.g. %s: %s\n", reason.c_str(), example.c_str());
  for (const auto& r : out["examples"])
    std::printf("  %s: %s pred=%s label=%s onset=%d apex=%d offset=%d frames=%lld\n", r["id"].get<std::string>().c_str(),
                r["status"].get<std::string>().c_str(), r["pred"].get<std::string>().c_str(),
                r["label"].get<std::string>().c_str(), r["onset"].get<int>(), r["apex"].get<int>(), r["offset"].get<int>(),
                static_cast<long long>(r["frames"].get<int64_t>()));
}

}  // namespace

int run_inspect(const std::vector<std::string>& args) {
  static const Command command{"inspect",
                               "Describe a results file: schema version, model, counts, prediction distribution, "
                               "failures by reason and a few example rows.",
                               "mexa inspect results.h5 [--json] [--examples N]", run_inspect};
  std::string file;
  bool json = false;
  int examples = 3;
  po::options_description options("Inspect options");
  options.add_options()("file", po::value(&file)->required(), "results file")(
      "json", po::bool_switch(&json), "print as JSON")("examples", po::value(&examples)->default_value(examples),
                                                       "example clip rows to show");
  po::positional_options_description positional;
  positional.add("file", 1);
  po::variables_map vm;
  if (!parse(args, command, options, positional, vm)) return kOk;

  const io::ResultsReader reader(file);
  std::map<std::string, std::string> failure_example;
  const nlohmann::json out = summarise(file, reader, examples, failure_example);
  if (json)
    std::cout << out.dump(2) << "\n";
  else
    print_summary(out, failure_example);
  return kOk;
}

}  // namespace mexa::cli
