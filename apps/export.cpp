// `mexa export results.h5 --out DIR`: per-clip, per-frame and interval tables as CSV or JSON.
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <set>

#include "cli.h"
#include "commands.h"
#include "mexa/io/csv.h"
#include "mexa/io/results.h"
#include "results_text.h"

namespace mexa::cli {
namespace {

namespace fs = std::filesystem;

std::string clips_csv_header(const io::ResultsMeta& meta) {
  std::string text = "id,source,subject,status,error,fps,n_frames,onset,apex,offset,apex_source,face_found,label,pred";
  for (const auto& c : meta.class_names) text += ",p_" + c;
  return text + ",frames_file\n";
}

std::string clip_csv_row(const io::ResultsMeta& meta, const io::ClipRow& c, const std::string& frames_file) {
  std::string row = io::csv_escape(c.id) + "," + io::csv_escape(c.source) + "," + io::csv_escape(c.subject) + "," +
                    io::clip_status_name(c.status) + "," + io::csv_escape(c.error) + "," + number(c.fps) + "," +
                    std::to_string(c.n_frames) + "," + std::to_string(c.onset) + "," + std::to_string(c.apex) + "," +
                    std::to_string(c.offset) + "," + (c.apex_source ? "spotted" : "annotated") + "," +
                    (c.face_found ? "1" : "0") + "," + class_of(meta, c.label) + "," + class_of(meta, c.pred);
  for (size_t k = 0; k < meta.class_names.size(); ++k) row += "," + number(k < c.probs.size() ? c.probs[k] : NAN);
  return row + "," + frames_file + "\n";
}

nlohmann::json clip_json_row(const io::ResultsMeta& meta, const io::ClipRow& c, const std::string& frames_file) {
  nlohmann::json probs = nlohmann::json::object();
  for (size_t k = 0; k < meta.class_names.size(); ++k)
    probs[meta.class_names[k]] = json_number(k < c.probs.size() ? c.probs[k] : NAN);
  return {{"id", c.id}, {"source", c.source}, {"subject", c.subject}, {"status", io::clip_status_name(c.status)},
          {"error", c.error}, {"fps", c.fps}, {"n_frames", c.n_frames}, {"onset", c.onset},
          {"apex", c.apex}, {"offset", c.offset}, {"apex_source", c.apex_source ? "spotted" : "annotated"},
          {"face_found", c.face_found}, {"label", class_of(meta, c.label)}, {"pred", class_of(meta, c.pred)}, {"probs", probs},
          {"frames_file", frames_file}};
}

/// One clip's frames in OpenFace's names and order where they overlap: frame
/// (1-based), face_id, timestamp, confidence, success, x_0..x_67, y_0..y_67;
/// then mexa's own.
std::string frames_csv(const io::ResultsMeta& meta, const std::vector<io::FrameRow>& frames) {
  std::string text = "frame,face_id,timestamp,confidence,success";
  if (meta.frame_landmarks) {
    for (int k = 0; k < io::kLandmarkCount; ++k) text += ",x_" + std::to_string(k);
    for (int k = 0; k < io::kLandmarkCount; ++k) text += ",y_" + std::to_string(k);
  }
  text += ",index,motion,phase,face_x,face_y,face_w,face_h";
  if (meta.frame_probs)
    for (const auto& n : meta.class_names) text += ",p_" + n;
  text += "\n";
  const auto field = [&](float v) {
    text += ',';
    text += number(v);
  };
  for (const auto& f : frames) {
    text += std::to_string(f.index + 1) + "," + std::to_string(f.face_id) + "," + number(f.time) + "," +
            number(f.face_confidence) + "," + std::to_string(f.success);
    for (size_t k = 0; k < f.landmarks.size(); k += 2) field(f.landmarks[k]);
    for (size_t k = 1; k < f.landmarks.size(); k += 2) field(f.landmarks[k]);
    text += "," + std::to_string(f.index) + "," + number(f.motion) + "," + phase_text(f.phase);
    for (float v : f.face_box) field(v);
    for (float v : f.probs) field(v);
    text += "\n";
  }
  return text;
}

std::string frames_json(const io::ResultsMeta& meta, const std::vector<io::FrameRow>& frames) {
  nlohmann::json rows = nlohmann::json::array();
  for (const auto& f : frames) {
    nlohmann::json row{{"frame", f.index + 1}, {"face_id", f.face_id}, {"timestamp", f.time},
                       {"confidence", f.face_confidence}, {"success", f.success}, {"index", f.index},
                       {"motion", f.motion}, {"phase", phase_text(f.phase)}, {"face_box", f.face_box}};
    if (meta.frame_probs) row["probs"] = f.probs;
    if (meta.frame_landmarks) row["landmarks"] = f.landmarks;
    rows.push_back(row);
  }
  return rows.dump(1) + "\n";
}

/// intervals.csv or intervals.json.
void write_intervals(const io::ResultsReader& reader, const std::vector<io::ClipRow>& clips, const fs::path& root,
                     bool csv) {
  const auto& meta = reader.meta();
  std::string text = "id,onset,apex,offset,score,pred";
  for (const auto& c : meta.class_names) text += ",p_" + c;
  text += "\n";
  nlohmann::json rows = nlohmann::json::array();
  for (const auto& iv : reader.intervals()) {
    const auto& id = clips[static_cast<size_t>(iv.clip)].id;
    text += io::csv_escape(id) + "," + std::to_string(iv.onset) + "," + std::to_string(iv.apex) + "," +
            std::to_string(iv.offset) + "," + number(iv.score) + "," + class_of(meta, iv.pred);
    for (float p : iv.probs) text += "," + number(p);
    text += "\n";
    rows.push_back({{"id", id}, {"onset", iv.onset}, {"apex", iv.apex}, {"offset", iv.offset},
                    {"score", iv.score}, {"pred", class_of(meta, iv.pred)}, {"probs", iv.probs}});
  }
  if (csv)
    write_text(root / "intervals.csv", text);
  else
    write_text(root / "intervals.json", rows.dump(1) + "\n");
}

}  // namespace

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

  std::string clip_csv = clips_csv_header(meta);
  nlohmann::json clip_json = nlohmann::json::array();
  std::set<std::string> used_names;
  Progress progress("export", static_cast<int64_t>(clips.size()), "clips");
  for (size_t i = 0; i < clips.size(); ++i) {
    const auto& c = clips[i];
    std::string name = safe_file_name(c.id);
    if (!used_names.insert(name).second) name += "_" + std::to_string(i);
    used_names.insert(name);
    const std::string frames_file = c.frame_count > 0 ? "frames/" + name + ext : "";
    clip_csv += clip_csv_row(meta, c, frames_file);
    clip_json.push_back(clip_json_row(meta, c, frames_file));
    if (c.frame_count > 0) {
      const auto frames = reader.frames(c.frame_start, c.frame_count);
      write_text(root / "frames" / (name + ext), csv ? frames_csv(meta, frames) : frames_json(meta, frames));
    }
    progress.update(static_cast<int64_t>(i + 1));
  }
  progress.finish();
  if (csv)
    write_text(root / "clips.csv", clip_csv);
  else
    write_text(root / "clips.json", clip_json.dump(1) + "\n");
  write_intervals(reader, clips, root, csv);
  std::printf("%s: %zu clips, %lld frames, %lld intervals -> %s (%s)\n", file.c_str(), clips.size(),
              static_cast<long long>(reader.frame_count()), static_cast<long long>(reader.interval_count()),
              out_dir.c_str(), format.c_str());
  return kOk;
}

}  // namespace mexa::cli
