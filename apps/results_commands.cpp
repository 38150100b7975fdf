// Commands on results files, no LibTorch needed:
//   mexa inspect results.h5              schema, model, counts, predictions, failures, examples
//   mexa export results.h5 --out DIR     per-clip, per-frame and interval tables as CSV or JSON
//   mexa merge SHARD.h5... --out all.h5  shard files of one model -> one file of the same schema
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
namespace {

namespace fs = std::filesystem;

const char* phase_text(io::FramePhase p) {
  switch (p) {
    case io::FramePhase::None: return "none";
    case io::FramePhase::OnsetToApex: return "onset_to_apex";
    case io::FramePhase::Apex: return "apex";
    case io::FramePhase::ApexToOffset: return "apex_to_offset";
  }
  return "none";
}

std::string class_of(const io::ResultsMeta& meta, int index) {
  return index >= 0 && index < static_cast<int>(meta.class_names.size()) ? meta.class_names[static_cast<size_t>(index)] : "";
}

std::string number(double v) {
  if (std::isnan(v)) return "";
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.6g", v);
  return buffer;
}
nlohmann::json json_number(double v) { return std::isnan(v) ? nlohmann::json() : nlohmann::json(v); }

/// A clip id as a file name inside the export folder: path separators, dots
/// at the start, control and shell-unfriendly characters become '_', so
/// "../../x" can never leave the folder. Distinct ids that map to the same
/// name get the clip's row number appended (by the caller).
std::string safe_file_name(const std::string& id) {
  std::string out;
  for (unsigned char c : id) out += std::isalnum(c) || c == '-' || c == '_' || c == '.' ? static_cast<char>(c) : '_';
  while (!out.empty() && out[0] == '.') out[0] = '_';
  if (out.empty()) out = "_";
  if (out.size() > 200) out.resize(200);
  return out;
}

void write_text(const fs::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  out.flush();
  if (!out) throw StorageError(path.string(), "cannot write");
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
  const auto& meta = reader.meta();
  const auto clips = reader.clips();
  // The model's input kind, from the run config the file records ("input.kind = flow").
  std::string input_kind = "frames";
  {
    std::istringstream config(meta.config);
    for (std::string line; std::getline(config, line);)
      if (line.rfind("input.kind = ", 0) == 0) input_kind = line.substr(13);
  }
  const bool flow_images = input_kind == "flow-image";
  std::map<std::string, int64_t> predictions, failures;
  std::map<std::string, std::string> failure_example;
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
  if (json) {
    std::cout << out.dump(2) << "\n";
    return kOk;
  }
  std::printf("%s: %s v%d, written by mexa %s at %s\n", file.c_str(), meta.schema.c_str(), meta.schema_version,
              meta.engine_version.c_str(), meta.created_utc.c_str());
  std::printf("model %s (checkpoint sha256 %.12s...), %zu classes\n", meta.model.c_str(), meta.checkpoint_sha256.c_str(),
              meta.class_names.size());
  std::printf("clips %lld, frames %lld, intervals %lld, apex spotted in %lld\n", static_cast<long long>(reader.clip_count()),
              static_cast<long long>(reader.frame_count()), static_cast<long long>(reader.interval_count()),
              static_cast<long long>(spotted));
  if (whole_frame > 0)
    std::printf("no face found in %lld scored clips: the whole frame was the face (face_found 0)\n",
                static_cast<long long>(whole_frame));
  if (flow_images)
    std::printf("input: flow images (one precomputed image per clip): clip rows only, no per-frame face or motion rows\n");
  std::printf("predictions:");
  for (const auto& [name, n] : predictions) std::printf(" %s=%lld", name.c_str(), static_cast<long long>(n));
  std::printf("\nfailures:%s", failures.empty() ? " none" : "");
  for (const auto& [reason, n] : failures) std::printf(" %s=%lld", reason.c_str(), static_cast<long long>(n));
  std::printf("\n");
  for (const auto& [reason, example] : failure_example) std::printf("  e.g. %s: %s\n", reason.c_str(), example.c_str());
  for (const auto& r : rows)
    std::printf("  %s: %s pred=%s label=%s onset=%d apex=%d offset=%d frames=%lld\n", r["id"].get<std::string>().c_str(),
                r["status"].get<std::string>().c_str(), r["pred"].get<std::string>().c_str(),
                r["label"].get<std::string>().c_str(), r["onset"].get<int>(), r["apex"].get<int>(), r["offset"].get<int>(),
                static_cast<long long>(r["frames"].get<int64_t>()));
  return kOk;
}

int run_export(const std::vector<std::string>& args) {
  static const Command command{
      "export",
      "Export a results file as tables: clips.csv (id, source, subject, status, onset/apex/offset, face_found, label, "
      "pred, probabilities), intervals.csv, and frames/ID.csv per clip in OpenFace's naming where it overlaps (frame "
      "1-based, face_id, timestamp, confidence, success, landmarks as x_0..x_67 then y_0..y_67), then mexa's "
      "index (0-based), motion, phase, face box and probabilities when stored; or the same as "
      "JSON. Clip ids are made safe as file names (nothing is written outside --out).",
      "mexa export results.h5 --out DIR [--format csv|json]", run_export};
  std::string file, out_dir, format = "csv";
  po::options_description options("Export options");
  options.add_options()("file", po::value(&file)->required(), "results file")(
      "out", po::value(&out_dir)->required(), "output folder")("format", po::value(&format)->default_value(format),
                                                                "csv or json");
  po::positional_options_description positional;
  positional.add("file", 1);
  po::variables_map vm;
  if (!parse(args, command, options, positional, vm)) return kOk;
  if (format != "csv" && format != "json") throw UsageError("--format must be csv or json");

  const io::ResultsReader reader(file);
  const auto& meta = reader.meta();
  const auto clips = reader.clips();
  const fs::path root(out_dir);
  fs::create_directories(root / "frames");
  const bool csv = format == "csv";
  const std::string ext = csv ? ".csv" : ".json";

  // Per-clip table.
  std::string clip_csv = "id,source,subject,status,error,fps,n_frames,onset,apex,offset,apex_source,face_found,label,pred";
  for (const auto& c : meta.class_names) clip_csv += ",p_" + c;
  clip_csv += ",frames_file\n";
  nlohmann::json clip_json = nlohmann::json::array();
  std::set<std::string> used_names;
  Progress progress("export", static_cast<int64_t>(clips.size()), "clips");
  for (size_t i = 0; i < clips.size(); ++i) {
    const auto& c = clips[i];
    std::string name = safe_file_name(c.id);
    if (!used_names.insert(name).second) name += "_" + std::to_string(i);
    used_names.insert(name);
    const std::string frames_file = c.frame_count > 0 ? "frames/" + name + ext : "";
    clip_csv += io::csv_escape(c.id) + "," + io::csv_escape(c.source) + "," + io::csv_escape(c.subject) + "," +
                io::clip_status_name(c.status) + "," + io::csv_escape(c.error) + "," + number(c.fps) + "," +
                std::to_string(c.n_frames) + "," + std::to_string(c.onset) + "," + std::to_string(c.apex) + "," +
                std::to_string(c.offset) + "," + (c.apex_source ? "spotted" : "annotated") + "," + (c.face_found ? "1" : "0") +
                "," + class_of(meta, c.label) +
                "," + class_of(meta, c.pred);
    nlohmann::json probs = nlohmann::json::object();
    for (size_t k = 0; k < meta.class_names.size(); ++k) {
      const double p = k < c.probs.size() ? c.probs[k] : NAN;
      clip_csv += "," + number(p);
      probs[meta.class_names[k]] = json_number(p);
    }
    clip_csv += "," + frames_file + "\n";
    clip_json.push_back({{"id", c.id}, {"source", c.source}, {"subject", c.subject}, {"status", io::clip_status_name(c.status)},
                         {"error", c.error}, {"fps", c.fps}, {"n_frames", c.n_frames}, {"onset", c.onset},
                         {"apex", c.apex}, {"offset", c.offset}, {"apex_source", c.apex_source ? "spotted" : "annotated"},
                         {"face_found", c.face_found}, {"label", class_of(meta, c.label)}, {"pred", class_of(meta, c.pred)}, {"probs", probs},
                         {"frames_file", frames_file}});

    // Per-frame table, OpenFace's leading columns first.
    if (c.frame_count > 0) {
      const auto frames = reader.frames(c.frame_start, c.frame_count);
      // OpenFace's names and order where they overlap: frame (1-based), face_id,
      // timestamp, confidence, success, x_0..x_67, y_0..y_67; then mexa's own.
      std::string text = "frame,face_id,timestamp,confidence,success";
      if (meta.frame_landmarks) {
        for (int k = 0; k < io::kLandmarkCount; ++k) text += ",x_" + std::to_string(k);
        for (int k = 0; k < io::kLandmarkCount; ++k) text += ",y_" + std::to_string(k);
      }
      text += ",index,motion,phase,face_x,face_y,face_w,face_h";
      if (meta.frame_probs)
        for (const auto& n : meta.class_names) text += ",p_" + n;
      text += "\n";
      nlohmann::json rows = nlohmann::json::array();
      for (const auto& f : frames) {
        if (csv) {
          auto field = [&](float v) {
            text += ',';
            text += number(v);
          };
          text += std::to_string(f.index + 1) + "," + std::to_string(f.face_id) + "," + number(f.time) + "," +
                  number(f.face_confidence) + "," + std::to_string(f.success);
          for (size_t k = 0; k < f.landmarks.size(); k += 2) field(f.landmarks[k]);
          for (size_t k = 1; k < f.landmarks.size(); k += 2) field(f.landmarks[k]);
          text += "," + std::to_string(f.index) + "," + number(f.motion) + "," + phase_text(f.phase);
          for (float v : f.face_box) field(v);
          for (float v : f.probs) field(v);
          text += "\n";
        } else {
          nlohmann::json row{{"frame", f.index + 1}, {"face_id", f.face_id}, {"timestamp", f.time},
                             {"confidence", f.face_confidence}, {"success", f.success}, {"index", f.index},
                             {"motion", f.motion}, {"phase", phase_text(f.phase)}, {"face_box", f.face_box}};
          if (meta.frame_probs) row["probs"] = f.probs;
          if (meta.frame_landmarks) row["landmarks"] = f.landmarks;
          rows.push_back(row);
        }
      }
      write_text(root / "frames" / (name + ext), csv ? text : rows.dump(1) + "\n");
    }
    progress.update(static_cast<int64_t>(i + 1));
  }
  progress.finish();

  std::string interval_csv = "id,onset,apex,offset,score,pred";
  for (const auto& c : meta.class_names) interval_csv += ",p_" + c;
  interval_csv += "\n";
  nlohmann::json interval_json = nlohmann::json::array();
  for (const auto& iv : reader.intervals()) {
    const auto& id = clips[static_cast<size_t>(iv.clip)].id;
    interval_csv += io::csv_escape(id) + "," + std::to_string(iv.onset) + "," + std::to_string(iv.apex) + "," +
                    std::to_string(iv.offset) + "," + number(iv.score) + "," + class_of(meta, iv.pred);
    for (float p : iv.probs) interval_csv += "," + number(p);
    interval_csv += "\n";
    interval_json.push_back({{"id", id}, {"onset", iv.onset}, {"apex", iv.apex}, {"offset", iv.offset},
                             {"score", iv.score}, {"pred", class_of(meta, iv.pred)}, {"probs", iv.probs}});
  }
  if (csv) {
    write_text(root / "clips.csv", clip_csv);
    write_text(root / "intervals.csv", interval_csv);
  } else {
    write_text(root / "clips.json", clip_json.dump(1) + "\n");
    write_text(root / "intervals.json", interval_json.dump(1) + "\n");
  }
  std::printf("%s: %zu clips, %lld frames, %lld intervals -> %s (%s)\n", file.c_str(), clips.size(),
              static_cast<long long>(reader.frame_count()), static_cast<long long>(reader.interval_count()),
              out_dir.c_str(), format.c_str());
  return kOk;
}

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
