#include "checkpoint.h"

#include <algorithm>
#include <mutex>
#include <sstream>
#include <stdexcept>

#include "history.h"
#include "mexa/key_values.h"
#include "method_model.h"
#include "mexa/engine/losses.h"

namespace mexa::engine {
namespace {

namespace fs = std::filesystem;

constexpr const char* kFormat = "mexa-checkpoint-1";

/// key=value lines; values must not hold newlines.
std::string encode_map(const std::map<std::string, std::string>& map) {
  std::string text;
  for (const auto& [key, value] : map) {
    if (key.find_first_of("=\n") != std::string::npos || value.find('\n') != std::string::npos)
      throw std::invalid_argument("checkpoint metadata '" + key + "' holds '=' or a newline");
    text += key + "=" + value + "\n";
  }
  return text;
}
std::map<std::string, std::string> decode_map(const std::string& text) { return parse_key_values(text); }
std::string join_lines(const std::vector<std::string>& items) {
  std::string text;
  for (const auto& s : items) text += s + "\n";
  return text;
}

/// The training settings a resumed run must share with the checkpoint.
std::map<std::string, std::string> training_fields(const TrainConfig& c, const std::string& head) {
  std::string milestones;
  for (int m : c.schedule.milestones) {
    if (!milestones.empty()) milestones += ',';
    milestones += std::to_string(m);
  }
  const auto& l = c.loss;
  const auto& u = c.uncertainty;
  std::string aus;
  for (const auto& a : u.au_names) aus += (aus.empty() ? "" : "+") + a;
  return {
      {"model", c.model},
      {"head", head},
      {"cbam", c.cbam ? "1" : "0"},
      {"loss", loss_name(l.kind)},
      {"loss.gamma", format_double(l.gamma)},
      {"loss.beta", format_double(l.beta)},
      {"loss.max_m", format_double(l.max_m)},
      {"loss.s", format_double(l.s)},
      {"loss.drw_epoch", std::to_string(l.drw_epoch)},
      {"loss.tau", format_double(l.tau)},
      {"loss.smoothing", format_double(l.smoothing)},
      {"loss.lambda", format_double(l.lambda)},
      {"sampling", std::to_string(static_cast<int>(c.sampling))},
      {"representation_epochs", std::to_string(c.representation_epochs)},
      {"optimizer", c.optimizer},
      {"momentum", format_double(c.momentum)},
      {"weight_decay", format_double(c.weight_decay)},
      {"lr", format_double(c.schedule.base)},
      {"lr.schedule", lr_schedule_name(c.schedule.kind)},
      {"lr.warmup_epochs", std::to_string(c.schedule.warmup_epochs)},
      {"lr.min", format_double(c.schedule.min_lr)},
      {"lr.milestones", milestones},
      {"lr.gamma", format_double(c.schedule.gamma)},
      {"epochs", std::to_string(c.schedule.epochs)},
      {"batch_size", std::to_string(c.batch_size)},
      {"seed", std::to_string(c.seed)},
      {"augment", c.augment_enabled ? "1" : "0"},
      {"augment.flip", format_double(c.augment.flip)},
      {"augment.flow_field", c.augment.flow_field ? "1" : "0"},
      {"augment.shift", format_double(c.augment.shift)},
      {"augment.rotation", format_double(c.augment.rotation)},
      {"augment.scale", format_double(c.augment.scale)},
      {"eac", u.eac ? "1" : "0"},
      {"eac.lambda", format_double(u.eac_lambda)},
      {"eac.erase", format_double(u.erase_probability) + "," + format_double(u.erase_min) + "," + format_double(u.erase_max)},
      {"rul", u.rul ? "1" : "0"},
      {"rul.dim", std::to_string(u.rul_dim)},
      {"scn", u.scn ? "1" : "0"},
      {"scn.rule", format_double(u.scn_ratio) + "," + format_double(u.scn_margin) + "," + format_double(u.scn_delta) +
                       "," + std::to_string(u.scn_relabel_epoch)},
      {"scn.guard", format_double(u.scn_warmup_share) + "," + format_double(u.scn_class_cap)},
      {"au.names", aus},
      {"au.weight", format_double(u.au_weight)},
      {"phases", u.phased() ? std::to_string(u.phase2_epoch) + "," + std::to_string(u.phase3_epoch) + "," +
                                  phase_curve_name(u.phase_curve)
                            : ""},
      {"candidate_labels", u.candidate_labels ? "1" : "0"},
  };
}

/// Fields added after the first checkpoints: a checkpoint without one was
/// trained with its default.
const std::map<std::string, std::string>& later_fields() {
  static const auto defaults = training_fields(TrainConfig{}, "linear");
  static const std::map<std::string, std::string> later = [] {
    std::map<std::string, std::string> out;
    for (const char* key : {"eac", "eac.lambda", "eac.erase", "rul", "rul.dim", "scn", "scn.rule", "scn.guard", "au.names",
                            "au.weight", "phases", "candidate_labels"})
      out[key] = defaults.at(key);
    return out;
  }();
  return later;
}

std::string read_string(torch::serialize::InputArchive& archive, const std::string& key) {
  c10::IValue value;
  archive.read(key, value);
  return value.toStringRef();
}
int64_t read_int(torch::serialize::InputArchive& archive, const std::string& key) {
  c10::IValue value;
  archive.read(key, value);
  return value.toInt();
}

/// Parses save_checkpoint's "relabel_moves" field into history's records.
void restore_relabel_moves(const std::string& text, const std::string& path, int classes,
                           std::vector<EpochRecord>& history) {
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    const auto colon = line.find(':');
    std::istringstream head(line.substr(0, colon));
    std::istringstream fields(colon == std::string::npos ? "" : line.substr(colon + 1));
    int epoch = 0, relabelled = 0;
    double scale = 0;
    bool ok = colon != std::string::npos && (head >> epoch >> relabelled >> scale) && epoch >= 1 &&
              epoch <= static_cast<int>(history.size()) && relabelled >= 0;
    std::vector<Relabel> list;
    for (std::string move; ok && fields >> move;) {
      Relabel m;
      char c1 = 0, c2 = 0;
      std::istringstream one(move);
      ok = (one >> m.index >> c1 >> m.from >> c2 >> m.to) && c1 == ',' && c2 == ',' && m.index >= 0 && m.from >= 0 &&
           m.to >= 0 && m.from < classes && m.to < classes;
      m.epoch = epoch;
      list.push_back(m);
    }
    if (!ok) throw std::runtime_error(path + ": damaged relabelling record '" + line + "'");
    auto& record = history[static_cast<size_t>(epoch - 1)];
    record.relabel_moves = std::move(list);
    record.relabelled = relabelled;
    record.relabel_scale = scale;
  }
}

}  // namespace

std::shared_ptr<VideoModel> build_model(const std::string& name, int classes, int in_channels, bool cbam,
                                        const std::string& head, const UncertaintyConfig& heads, bool initialise) {
  ModelSpec spec;
  spec.initialise = initialise;
  spec.num_classes = classes;
  spec.in_channels = in_channels;
  spec.cbam = cbam;
  spec.cosine_head = head == "cosine";
  auto model = make_model(name, spec);
  if (!heads.any_head()) return model;
  return std::make_shared<MethodModel>(std::move(model), heads, classes, spec.cosine_head);
}

UncertaintyConfig heads_of(const CheckpointInfo& info) {
  UncertaintyConfig heads;
  auto get = [&](const std::string& key) {
    const auto it = info.metadata.find("train." + key);
    return it == info.metadata.end() ? std::string() : it->second;
  };
  heads.rul = get("rul") == "1";
  if (heads.rul) {
    try {
      heads.rul_dim = std::stoi(get("rul.dim"));
    } catch (const std::exception&) {
      throw std::runtime_error(info.path + ": not a mexa checkpoint (rul.dim '" + get("rul.dim") + "')");
    }
  }
  heads.scn = get("scn") == "1";
  heads.au_names = info.au_names;
  return heads;
}

void save_checkpoint(const fs::path& path, VideoModel& model, torch::optim::Optimizer& optimizer,
                     const TrainConfig& config, const std::string& head, int in_channels,
                     const std::vector<int64_t>& class_counts, const TrainState& state) {
  torch::serialize::OutputArchive archive;
  archive.write("format", c10::IValue(std::string(kFormat)));
  torch::serialize::OutputArchive model_archive;
  model.save(model_archive);
  archive.write("model", model_archive);
  torch::serialize::OutputArchive optimizer_archive;
  optimizer.save(optimizer_archive);
  archive.write("optimizer", optimizer_archive);
  archive.write("training", c10::IValue(encode_map(training_fields(config, head))));
  archive.write("metadata", c10::IValue(encode_map(config.metadata)));
  archive.write("classes", c10::IValue(join_lines(config.classes)));
  {
    std::vector<std::string> counts;
    for (int64_t n : class_counts) counts.push_back(std::to_string(n));
    archive.write("class_counts", c10::IValue(join_lines(counts)));  // post-hoc logit adjustment's prior
  }
  archive.write("in_channels", c10::IValue(static_cast<int64_t>(in_channels)));
  archive.write("feature_dim", c10::IValue(model.feature_dim()));
  archive.write("epoch", c10::IValue(static_cast<int64_t>(state.epoch)));
  archive.write("best_epoch", c10::IValue(static_cast<int64_t>(state.best_epoch)));
  archive.write("best_uf1", c10::IValue(state.best_uf1));
  archive.write("history", c10::IValue(history_csv(state.history)));
  {
    std::string relabelled;
    for (const auto& r : state.relabelled)
      relabelled += std::to_string(r.index) + "," + std::to_string(r.from) + "," + std::to_string(r.to) + "," +
                    std::to_string(r.epoch) + "\n";
    archive.write("relabelled", c10::IValue(relabelled));
  }
  {
    std::string watched;  // "epoch:p p p" per epoch that watched clips
    for (const auto& r : state.history) {
      if (r.watched.empty()) continue;
      watched += std::to_string(r.epoch) + ":";
      for (size_t i = 0; i < r.watched.size(); ++i) watched += (i ? " " : "") + std::to_string(r.watched[i]);
      watched += "\n";
    }
    archive.write("watched", c10::IValue(watched));
  }
  {
    // SCN's relabelling epochs: "epoch relabelled scale:index,from,to ..."
    // (relabels_by_epoch.csv is written from these, so a resumed run keeps
    // the changes made before it).
    std::string moves;
    for (const auto& r : state.history) {
      if (r.relabelled < 0) continue;
      std::ostringstream line;
      line.precision(17);  // the scale read back as written
      line << r.epoch << ' ' << r.relabelled << ' ' << r.relabel_scale << ':';
      for (size_t i = 0; i < r.relabel_moves.size(); ++i) {
        const auto& m = r.relabel_moves[i];
        line << (i ? " " : "") << m.index << ',' << m.from << ',' << m.to;
      }
      moves += line.str() + "\n";
    }
    archive.write("relabel_moves", c10::IValue(moves));
  }
  {
    auto generator = at::detail::getDefaultCPUGenerator();
    std::lock_guard lock(generator.mutex());
    archive.write("cpu_rng", generator.get_state(), /*is_buffer=*/true);
  }
  // Serialised in memory, then written by write_atomically: a failed write (a
  // full disk) leaves the previous checkpoint as it was and no partial file.
  // (LibTorch's file writer aborts the process when a write fails: its
  // destructor throws again while the first exception unwinds.)
  std::ostringstream bytes;
  archive.save_to(bytes);
  write_atomically(path, std::move(bytes).str(), "cannot write the checkpoint (the previous one is kept)");
}

torch::serialize::InputArchive open_archive(const std::string& path, const torch::Device& device) {
  if (!fs::is_regular_file(path)) throw std::runtime_error(path + ": no such checkpoint file");
  torch::serialize::InputArchive archive;
  try {
    archive.load_from(path, device);
  } catch (const std::exception& e) {
    const std::string what = e.what();
    throw std::runtime_error(path + ": cannot read the checkpoint (" + what.substr(0, what.find('\n')) + ")");
  }
  return archive;
}

CheckpointInfo info_from_archive(torch::serialize::InputArchive& archive, const std::string& path) {
  CheckpointInfo info;
  info.path = path;
  try {
    if (read_string(archive, "format") != kFormat) throw std::runtime_error("unknown checkpoint format");
    const auto training = decode_map(read_string(archive, "training"));
    info.model = training.at("model");
    info.head = training.at("head");
    info.cbam = training.at("cbam") == "1";
    info.in_channels = static_cast<int>(read_int(archive, "in_channels"));
    info.feature_dim = read_int(archive, "feature_dim");
    info.epoch = static_cast<int>(read_int(archive, "epoch"));
    info.classes = split_lines(read_string(archive, "classes"));
    info.metadata = decode_map(read_string(archive, "metadata"));
    for (const auto& [key, value] : training) info.metadata.emplace("train." + key, value);
    // A cosine head's logits are cosines; training scales them by the loss's s.
    info.logit_scale = info.head == "cosine" ? std::stod(training.at("loss.s")) : 1.0;
    if (const auto aus = training.find("au.names"); aus != training.end() && !aus->second.empty()) {
      std::istringstream in(aus->second);
      for (std::string name; std::getline(in, name, '+');) info.au_names.push_back(name);
    }
  } catch (const std::exception& e) {
    throw std::runtime_error(path + ": not a mexa checkpoint (" + std::string(e.what()).substr(0, 200) + ")");
  }
  if (c10::IValue counts; archive.try_read("class_counts", counts))  // checkpoints from before it was stored lack it
    for (const auto& n : split_lines(counts.toStringRef())) info.class_counts.push_back(std::stoll(n));
  return info;
}

TrainState restore_checkpoint(const fs::path& path, const torch::Device& device, const TrainConfig& config,
                              const std::string& head, VideoModel& model, torch::optim::Optimizer& optimizer) {
  auto archive = open_archive(path.string(), device);
  const auto info = info_from_archive(archive, path.string());
  const auto saved = decode_map(read_string(archive, "training"));
  for (const auto& [key, value] : training_fields(config, head)) {
    if (!saved.count(key) && later_fields().count(key) && later_fields().at(key) == value) continue;
    if (!saved.count(key) || saved.at(key) != value)
      throw std::runtime_error(path.string() + ": the run was started with " + key + " = " +
                               (saved.count(key) ? saved.at(key) : "(unset)") + ", now " + value +
                               "; resume with the same settings or start a new run");
  }
  if (info.classes != config.classes) throw std::runtime_error(path.string() + ": other class names");
  torch::serialize::InputArchive model_archive, optimizer_archive;
  archive.read("model", model_archive);
  model.load(model_archive);
  archive.read("optimizer", optimizer_archive);
  optimizer.load(optimizer_archive);
  torch::Tensor rng;
  archive.read("cpu_rng", rng, /*is_buffer=*/true);
  {
    auto generator = at::detail::getDefaultCPUGenerator();
    std::lock_guard lock(generator.mutex());
    generator.set_state(rng.to(torch::kCPU));
  }
  TrainState state;
  state.epoch = info.epoch;
  state.best_epoch = static_cast<int>(read_int(archive, "best_epoch"));
  c10::IValue best;
  archive.read("best_uf1", best);
  state.best_uf1 = best.toDouble();
  state.history = parse_history(read_string(archive, "history"));
  if (c10::IValue relabelled; archive.try_read("relabelled", relabelled)) {
    std::istringstream in(relabelled.toStringRef());
    for (std::string line; std::getline(in, line);) {
      Relabel r;
      char comma = 0;
      std::istringstream fields(line);
      if (!(fields >> r.index >> comma >> r.from >> comma >> r.to >> comma >> r.epoch) || r.index < 0 || r.from < 0 ||
          r.to < 0 || r.from >= static_cast<int>(config.classes.size()) || r.to >= static_cast<int>(config.classes.size()))
        throw std::runtime_error(path.string() + ": damaged relabelled-clip record '" + line + "'");
      state.relabelled.push_back(r);
    }
  }
  if (c10::IValue watched; archive.try_read("watched", watched)) {  // absent in checkpoints before it
    std::istringstream in(watched.toStringRef());
    for (std::string line; std::getline(in, line);) {
      const auto colon = line.find(':');
      int epoch = 0;
      std::vector<int> predicted;
      std::istringstream head(line.substr(0, colon)), fields(colon == std::string::npos ? "" : line.substr(colon + 1));
      for (int p = 0; fields >> p;) predicted.push_back(p);
      const bool classes_ok = std::all_of(predicted.begin(), predicted.end(), [&](int p) {
        return p >= 0 && p < static_cast<int>(config.classes.size());
      });
      if (colon == std::string::npos || !(head >> epoch) || epoch < 1 ||
          epoch > static_cast<int>(state.history.size()) || !fields.eof() || !classes_ok)
        throw std::runtime_error(path.string() + ": damaged watched-clip record '" + line + "'");
      state.history[static_cast<size_t>(epoch - 1)].watched = std::move(predicted);
    }
  }
  if (c10::IValue moves; archive.try_read("relabel_moves", moves))  // absent in checkpoints before it
    restore_relabel_moves(moves.toStringRef(), path.string(), static_cast<int>(config.classes.size()), state.history);
  return state;
}

CheckpointInfo read_checkpoint_info(const std::string& checkpoint) {
  auto archive = open_archive(checkpoint, torch::kCPU);
  return info_from_archive(archive, checkpoint);
}

}  // namespace mexa::engine
