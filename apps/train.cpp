// `mexa train --config X.ini --data annotations.csv --out RUN`: trains a model
// under a subject-independent protocol (split, k-fold, LOSO) and scores the
// test folds with the checkpoint chosen without looking at them.
//
// RUN/
//   config.ini                 every effective option (re-read by --resume)
//   manifest.sha256            the manifest's content hash (--resume refuses other data)
//   folds/NAME/last.pt         checkpoint after every epoch (atomic)
//   folds/NAME/best.pt         best validation UF1 (when --val-fraction > 0)
//   folds/NAME/metrics.csv|json  per-epoch loss, accuracy, validation metrics, speed
//   folds/NAME/test_predictions.csv  the fold's test clips (marks the fold done)
//   folds/NAME/test_aus.csv    --au-head: the fold's test clips' AUs, annotated and predicted
//   folds/NAME/relabelled.csv  --scn: training clips it relabelled
//   aus.csv                    --au-head: test AUs pooled over folds
//   predictions.csv            test predictions pooled over folds
//   summary.json               pooled ACC / UF1 / UAR, per class, confusion, per fold, failures
//   failed.csv                 clips that could not be read (left out of every fold)
//   folds/NAME/fold.json       the fold's selected epoch (written with its test predictions)
//   folds/NAME/test_by_epoch.csv  --report-test-selected: the test clips' predictions after every epoch
//
// More than one process (README "More than one machine"):
//   --fold-shard i/n   this process trains folds f with f % n == i (default
//                      from RANK/WORLD_SIZE or a Slurm array); shards share RUN,
//                      each writing its folds' files; the last to finish, or
//                      `mexa train --gather RUN`, writes the run-level files.
//   torchrun / srun    (MASTER_ADDR set) one model data-parallel over the ranks
//                      (engine/distributed.h); rank 0 writes every file.
#include <spdlog/spdlog.h>

#include <boost/any.hpp>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <tuple>

#include "cli.h"
#include "mexa/pipeline/manifest_clip_source.h"
#include "mexa/pipeline/model_input.h"
#include "commands.h"
#include "data_sources.h"
#include "manifest_flags.h"
#include "mexa/engine/device.h"
#include "mexa/engine/distributed.h"
#include "mexa/engine/metrics.h"
#include "mexa/engine/protocols.h"
#include "mexa/engine/trainer.h"
#include "mexa/io/checksum.h"
#include "mexa/io/csv.h"
#include "mexa/io/errors.h"
#include "mexa/io/failpoint.h"
#include "mexa/io/frame_folder.h"
#include "mexa/version.h"
#include "mexa/pipeline/inputs.h"
#include "report.h"
#include "test_selected.h"
#include "train_pool.h"
#include "train_run_files.h"
#include "train_targets.h"

namespace mexa::cli {
namespace {

namespace fs = std::filesystem;

/// The preprocessed-clip cache of this process: `cache` ("auto": RUN/clips.h5,
/// a path, or "none"), made distinct per fold shard and per data-parallel rank
/// (HDF5 files take one writer).
std::string cache_path_for(const std::string& cache, const fs::path& run_dir, const pipeline::Shard& shard, int rank) {
  if (cache == "none") return "";
  std::string path = cache == "auto" ? (run_dir / "clips.h5").string() : cache;
  std::string suffix;
  if (shard.count > 1) suffix += ".shard" + std::to_string(shard.index);
  if (rank > 0) suffix += ".rank" + std::to_string(rank);
  return with_h5_suffix(path, suffix);
}

/// A dataset style's recipe (io::StyleInfo::recipe: "ststnet", engine::ststnet_recipe())
/// in place of mexa's defaults, for every option the command line (or a
/// resumed run's config.ini) did not give; `images`: the data are flow images.
void apply_recipe(const std::string& recipe, bool images, const po::options_description& options,
                  po::variables_map& vm) {
  if (recipe != "ststnet") throw std::logic_error("unknown training recipe '" + recipe + "'");
  const engine::TrainConfig r = engine::ststnet_recipe();
  std::string ini = fmt::format(
      "lr = {}\nepochs = {}\nbatch = {}\noptimizer = {}\nweight-decay = {}\nschedule = {}\nwarmup = {}\nloss = {}\n"
      "sampler = instance\n",
      r.schedule.base, r.schedule.epochs, r.batch_size, r.optimizer, r.weight_decay,
      engine::lr_schedule_name(r.schedule.kind), r.schedule.warmup_epochs, engine::loss_name(r.loss.kind));
  if (images) ini += "input = flow-image\n";
  std::istringstream in(ini);
  po::store(po::parse_config_file(in, options), vm);
  po::notify(vm);
  spdlog::info("the data's recipe ({}): {}", recipe, fmt::format("lr {}, batch {}, {} epochs, {}, loss {}{}; options given win",
               vm["lr"].as<double>(), vm["batch"].as<int>(), vm["epochs"].as<int>(), vm["optimizer"].as<std::string>(),
               vm["loss"].as<std::string>(), images ? ", input " + vm["input"].as<std::string>() : ""));
}

std::string join(const std::vector<std::string>& names, size_t most) {
  std::string out;
  for (size_t i = 0; i < names.size() && i < most; ++i) out += (i ? ", " : "") + names[i];
  if (names.size() > most) out += ", ... (" + std::to_string(names.size() - most) + " more)";
  return out;
}

/// Clips whose detector found no face (trained and tested on the whole frame,
/// as `mexa score` scores them): one warning, and no_face.csv in the run.
void report_no_face(const std::set<int64_t>& no_face, const io::Manifest& manifest, const fs::path& run_dir) {
  std::string csv = "id,path\n";
  std::vector<std::string> ids;
  for (int64_t i : no_face) {
    const auto& row = manifest.rows[static_cast<size_t>(i)];
    csv += io::csv_escape(row.id) + "," + io::csv_escape(row.path) + "\n";
    ids.push_back(row.id);
  }
  io::write_text_file((run_dir / "no_face.csv").string(), csv);
  if (!ids.empty())
    spdlog::warn("{} of {} clips: no face found on the alignment frame, the whole frame is used ({}; "
                 "--require-face fails them): {}",
                 ids.size(), manifest.rows.size(), (run_dir / "no_face.csv").string(), join(ids, 8));
}

}  // namespace

int run_train(const std::vector<std::string>& args) {
  static const Command command{
      "train",
      "Train a spatiotemporal model on a manifest under a subject-independent protocol (split, kfold, loso). "
      "Every option can come from an INI file (--config; same names, flags win). Writes per-fold checkpoints "
      "(atomic, every epoch), per-epoch metrics, test predictions pooled over folds and summary.json (MEGC ACC, "
      "UF1, UAR). --resume continues an interrupted run exactly.",
      "mexa train --data annotations.csv --out RUN [--config configs/small3d-synth.ini] [options]", run_train};
  // The flags' defaults are the library's (engine::default_train_config(),
  // pipeline::default_clip_spec()): one place, chosen by docs/defaults.md.
  engine::TrainConfig tc = engine::default_train_config();
  temporal::ClipSpec spec;  // mean, std, folder fps, jitter; the rest from default_clip_spec(--input)
  std::string data, out, size, sampling, face = "none", cache = "auto", input = pipeline::kDefaultInputKind,
              flow = "tvl1", flow_norm = "shared-max";
  std::string model, head = tc.head, loss = engine::loss_name(tc.loss.kind), sampler = "instance",
              optimizer = tc.optimizer, schedule = engine::lr_schedule_name(tc.schedule.kind), milestones,
              device = tc.device, protocol = "loso";
  ManifestFlags manifest_flags;
  std::vector<std::string> data_specs;
  engine::ProtocolOptions po_;
  std::string fold_shard_text, gather;
  int dist_timeout = 1800;
  int epochs = tc.schedule.epochs, warmup = tc.schedule.warmup_epochs, threads = 0, stop_after = 0, frames = 0,
      channels = 0;
  double lr = tc.schedule.base, min_lr = tc.schedule.min_lr, lr_gamma = tc.schedule.gamma;
  bool resume = false, report_test_selected = false, no_augment = false, augment = false, cbam = false, amp = false, onset_difference = false,
       au_head = false;
  std::string phased, phase_curve = "parabolic", eval_label = "emotion";
  engine::UncertaintyConfig& uc = tc.uncertainty;
  uint64_t seed = 0;

  po::options_description run_options("Run");
  run_options.add_options()(
      "data", po::value(&data_specs),
      "a mexa manifest CSV, or a dataset as [STYLE=]FOLDER[,ANNOTATIONS] or [STYLE=]WORKBOOK; given several times, "
      "the datasets' composite (subjects prefixed, a dataset column, --classes megc3 by default; written to "
      "RUN/data.csv); required")(
      "out", po::value(&out), "run folder; required")(
      "resume", po::bool_switch(&resume), "continue the run in --out (its config.ini; flags given here win)")(
      "report-test-selected", po::bool_switch(&report_test_selected),
      "also predict each test fold after every epoch and add summary.json's test_selected: per test subject its "
      "best epoch on the test labels, as published code reports (optimistic; the headline stays the last or "
      "validation-chosen epoch)")(
      "stop-after-epoch", po::value(&stop_after)->default_value(0), "stop each fold after this epoch (0: all); --resume continues")(
      "protocol", po::value(&protocol)->default_value(protocol), "split, kfold or loso (subject-independent)")(
      "folds", po::value(&po_.folds)->default_value(po_.folds), "kfold: number of folds")(
      "test-fraction", po::value(&po_.test_fraction)->default_value(po_.test_fraction, "0.2"), "split: share of subjects tested")(
      "val-fraction", po::value(&po_.val_fraction)->default_value(0.0, "0"),
      "share of each fold's training subjects kept for choosing the best epoch (0: use the last epoch)")(
      "seed", po::value(&seed)->default_value(0), "seed for weights, sampling, augmentation and fold assignment")(
      "device", po::value(&device)->default_value(device), "auto, cpu, cuda or cuda:N")(
      "amp", po::bool_switch(&amp), "CUDA: bfloat16 mixed precision")(
      "threads", po::value(&threads)->default_value(0), "LibTorch CPU threads (0: all cores)")(
      "workers", po::value(&tc.workers)->default_value(tc.workers), "data loading threads (prefetch)")(
      "cache", po::value(&cache)->default_value(cache),
      "HDF5 cache of preprocessed clips: a path, 'auto' (RUN/clips.h5) or 'none' (one file per fold shard and rank)");
  po::options_description parallel_options("More than one process (README: More than one machine)");
  parallel_options.add_options()(
      "fold-shard", po::value(&fold_shard_text),
      "train only the folds f with f % n == i of shard i/n (default: RANK/WORLD_SIZE without MASTER_ADDR, or a Slurm "
      "array's task id and count); shards share --out")(
      "gather", po::value(&gather),
      "RUN: pool the test predictions of every fold of RUN into predictions.csv and summary.json (exit 1 naming the "
      "folds still missing); no other option needed")(
      "dist-timeout", po::value(&dist_timeout)->default_value(dist_timeout),
      "data-parallel (torchrun, srun): seconds a rank waits for the others before it stops with exit 3");
  po::options_description input_options("Input");
  input_options.add_options()(
      "input", po::value(&input)->default_value(input),
      "what the model sees: flow (onset->apex optical flow: u, v, strain; 3 channels, 1 field, 28x28), frames or "
      "onset-difference (frame - onset frame; both of these grey, 16 frames, 64x64), or flow-image (each clip's "
      "path names one precomputed flow image, R u, G v, B strain: the MEGC 2019 composite's form, `mexa flow`'s "
      "output; 28x28, pixels / 255; the default for --data megc2019=...)")(
      "flow-norm", po::value(&flow_norm)->default_value(flow_norm),
      "--input flow: shared-max (u, v / one max |flow|, strain / its max) or minmax (each channel to [0, 1], "
      "as the composite's images / 255)")(
      "frames", po::value(&frames), "frames per clip T (default 16); for flow, the number of onset->target flow fields centred on the apex (default 1: onset->apex)")(
      "size", po::value(&size), "model input WxH (default: 28x28 for flow, else 64x64)")(
      "channels", po::value(&channels), "1 (grey) or 3 (RGB) (default: 3 for flow, else 1)")(
      "sampling", po::value(&sampling), "key frames: uniform (the default), triplet, apex-window, interpolate, motion")(
      "face", po::value(&face)->default_value(face), "face alignment: none (pre-cropped), hog or haar")(
      "min-face", po::value(&spec.min_face)->default_value(0),
      "smallest face side in pixels (0: the detector's own, hog 80, haar 40; hog upsamples for less)")(
      "require-face", po::bool_switch(&spec.require_face),
      "a clip with no face on its alignment frame fails (failed.csv) instead of using the whole frame")(
      "mean", po::value(&spec.mean)->default_value(0.5f, "0.5"), "normalisation mean (pixels in [0, 1])")(
      "std", po::value(&spec.std)->default_value(0.25f, "0.25"), "normalisation standard deviation")(
      "folder-fps", po::value(&spec.folder_fps)->default_value(0.0, "0"), "frame rate of frame folders")(
      "flow", po::value(&flow)->default_value(flow), "--input flow: tvl1, farneback or dis")(
      "onset-difference", po::bool_switch(&onset_difference), "same as --input onset-difference")(
      "jitter", po::value(&spec.jitter)->default_value(0), "temporal jitter in frames (decodes every epoch)")(
      "augment", po::bool_switch(&augment),
      tc.augment_enabled ? "spatial augmentation (the default)"
                         : "spatial augmentation: flip, shift, rotation, zoom (off by default: no gain on flow, "
                           "docs/defaults.md)")(
      "no-augment", po::bool_switch(&no_augment),
      tc.augment_enabled ? "no spatial augmentation" : "no spatial augmentation (the default)")(
      "flip", po::value(&tc.augment.flip)->default_value(tc.augment.flip, "0.5"), "horizontal flip probability")(
      "shift", po::value(&tc.augment.shift)->default_value(tc.augment.shift, "0.05"), "largest shift (fraction of size)")(
      "rotation", po::value(&tc.augment.rotation)->default_value(tc.augment.rotation, "5"), "largest rotation (degrees)")(
      "zoom", po::value(&tc.augment.scale)->default_value(tc.augment.scale, "0.05"), "largest zoom change");
  add_manifest_flags(input_options, manifest_flags);
  po::options_description model_options("Model and loss");
  model_options.add_options()("model", po::value(&model),
                              "small3d, ststnet, r3d_18, mc3_18, r2plus1d_18 (default: ststnet for --input flow, "
                              "else small3d)")(
      "cbam", po::bool_switch(&cbam), "add CBAM attention blocks")(
      "head", po::value(&head)->default_value(head), "linear, cosine or auto (cosine for ldam-drw and coupling)")(
      "loss", po::value(&loss)->default_value(loss),
      "ce, weighted-ce, focal, class-balanced, ldam-drw, logit-adjusted, balanced-softmax, label-smoothing, coupling")(
      "gamma", po::value(&tc.loss.gamma)->default_value(tc.loss.gamma, "2"), "focal / coupling gamma")(
      "beta", po::value(&tc.loss.beta)->default_value(tc.loss.beta, "0.9999"), "class-balanced beta")(
      "max-m", po::value(&tc.loss.max_m)->default_value(tc.loss.max_m, "0.5"), "LDAM largest margin")(
      "scale", po::value(&tc.loss.s)->default_value(tc.loss.s, "30"), "LDAM logit scale s")(
      "drw-epoch", po::value(&tc.loss.drw_epoch)->default_value(tc.loss.drw_epoch), "LDAM: deferred re-weighting from this epoch (0-based; -1: 4/5 of the epochs)")(
      "tau", po::value(&tc.loss.tau)->default_value(tc.loss.tau, "1"), "logit adjustment tau")(
      "lambda", po::value(&tc.loss.lambda)->default_value(tc.loss.lambda, "0.5"), "coupling correction weight")(
      "smoothing", po::value(&tc.loss.smoothing)->default_value(tc.loss.smoothing, "0.1"), "label smoothing epsilon")(
      "sampler", po::value(&sampler)->default_value(sampler), "instance, sqrt, class-balanced or progressive")(
      "staged-epochs", po::value(&tc.representation_epochs)->default_value(0), "instance sampling for these first epochs, then --sampler");
  po::options_description uncertainty_options("Label uncertainty and action units (off by default)");
  uncertainty_options.add_options()("eac", po::bool_switch(&uc.eac),
                                    "EAC: attention-map consistency under a horizontal flip, random erasing on each view")(
      "eac-lambda", po::value(&uc.eac_lambda)->default_value(uc.eac_lambda, "5"), "EAC: weight of the consistency term")(
      "rul", po::bool_switch(&uc.rul), "RUL: mix features of random pairs by their relative uncertainty")(
      "scn", po::bool_switch(&uc.scn), "SCN: importance weights with rank regularisation, and relabelling")(
      "scn-relabel-epoch", po::value(&uc.scn_relabel_epoch)->default_value(uc.scn_relabel_epoch),
      "SCN: relabel training clips from this epoch on (1-based; -1: 10, or a fifth of --epochs for runs under 50 epochs)")(
      "au-head", po::bool_switch(&au_head), "a multi-label AU head on the aus column (BCE), AU macro F1 reported")(
      "au-weight", po::value(&uc.au_weight)->default_value(uc.au_weight, "0.5"), "AU head: weight of its loss")(
      "phased", po::value(&phased)->default_value(""),
      "A,B: phased progressive learning with --loss coupling: CE until epoch A, handing over to the coupling loss "
      "until epoch B, then the coupling loss alone (1-based)")(
      "phase-curve", po::value(&phase_curve)->default_value(phase_curve), "--phased hand-over: parabolic, linear or cosine")(
      "candidate-labels", po::bool_switch(&uc.candidate_labels),
      "train on candidate sets (emotion written \"disgust|contempt\"); evaluated against the first")(
      "eval-label", po::value(&eval_label)->default_value(eval_label),
      "the manifest column test folds are scored against (e.g. true_emotion of a noisy mexa synth set)");
  po::options_description optim_options("Optimisation");
  optim_options.add_options()("optimizer", po::value(&optimizer)->default_value(optimizer), "adamw or sgd")(
      "lr", po::value(&lr)->default_value(lr, fmt::format("{}", lr)), "base learning rate")(
      "momentum", po::value(&tc.momentum)->default_value(tc.momentum, fmt::format("{}", tc.momentum)), "SGD momentum")(
      "weight-decay", po::value(&tc.weight_decay)->default_value(tc.weight_decay, fmt::format("{}", tc.weight_decay)),
      "weight decay")(
      "schedule", po::value(&schedule)->default_value(schedule), "constant, cosine or step")(
      "warmup", po::value(&warmup)->default_value(warmup), "linear warm-up epochs")(
      "min-lr", po::value(&min_lr)->default_value(min_lr, fmt::format("{}", min_lr)), "cosine: final learning rate")(
      "milestones", po::value(&milestones)->default_value(""), "step: epochs where the rate is multiplied by --lr-gamma")(
      "lr-gamma", po::value(&lr_gamma)->default_value(lr_gamma, fmt::format("{}", lr_gamma)), "step: factor")(
      "epochs", po::value(&epochs)->default_value(epochs), "epochs per fold")(
      "batch", po::value(&tc.batch_size)->default_value(tc.batch_size), "batch size");
  po::options_description options;
  options.add(run_options).add(input_options).add(model_options).add(uncertainty_options).add(optim_options).add(
      parallel_options);
  po::variables_map vm;
  if (!parse(args, command, options, {}, vm)) return kOk;
  const bool gathering = !gather.empty();
  if (gathering) {
    if (vm.count("out") && out != gather) throw UsageError("--gather RUN and --out name different runs");
    out = gather;
    if (!fs::exists(fs::path(out) / "config.ini"))
      throw UsageError("--gather " + out + ": no config.ini there: not a mexa train run folder");
    resume = true;  // the run's settings come from its config.ini
  } else if (!vm.count("out") || (!vm.count("data") && !resume)) {  // a resumed run's config.ini records its --data
    throw UsageError(std::string("the option '--") + (vm.count("out") ? "data" : "out") + "' is required but missing");
  }
  // How this process was launched: a process group (torchrun, srun with
  // MASTER_ADDR) trains data-parallel; shard numbers alone split the folds.
  engine::LaunchInfo launch;
  pipeline::Shard fold_shard;
  try {
    launch = gathering ? engine::LaunchInfo{} : engine::launch_from_environment();
    fold_shard = gathering ? pipeline::Shard{} : pipeline::resolve_shard(fold_shard_text, "--fold-shard", !launch.distributed());
  } catch (const std::invalid_argument& e) {
    throw UsageError(e.what());
  }
  const bool rank0 = launch.rank == 0;
  if (!rank0) spdlog::set_pattern("[rank " + std::to_string(launch.rank) + "] %^%l%$: %v");

  const fs::path run_dir(out), config_path = run_dir / "config.ini";
  bool saved_without_augment = false;  // a run from before --augment: augmentation was on by default then
  // A fold shard joins a run another shard started: same settings, no --resume needed.
  const bool joining = !resume && fold_shard.count > 1 && fs::exists(config_path);
  if ((resume || joining) && fs::exists(config_path)) {
    // The run's own settings fill in whatever the command line did not give.
    std::ifstream file(config_path);
    try {
      po::store(po::parse_config_file(file, options, /*allow_unregistered=*/false), vm);
      po::notify(vm);
    } catch (const po::error& e) {
      throw UsageError(config_path.string() + ": " + e.what());
    }
    // A flag that changes what is computed would make the resumed run a different run.
    const auto saved = read_saved_options(config_path.string());
    saved_without_augment = !saved.count("augment");
    check_same_settings(saved, effective_options(vm), config_path.string(), resume ? "--resume" : "--fold-shard");
  } else if (!resume && fs::exists(config_path)) {
    throw UsageError(out + " already holds a run (config.ini); --resume continues it, or choose another --out");
  }
  if (gathering) resume = true;  // po::notify() above reset the switch from the file

  // ---- data: a manifest, or datasets read from their own files into RUN/data.csv
  if (data_specs.empty()) throw UsageError("the option '--data' is required but missing (" + out + " holds no run)");
  io::ManifestOptions manifest_opts;
  bool data_images = false;  // the datasets' rows name flow images (megc2019)
  const bool from_datasets = data_specs.size() > 1 || (data_specs.size() == 1 && names_a_dataset(data_specs.front()));
  if (!from_datasets) {
    data = data_specs.front();
    manifest_opts = manifest_options(manifest_flags);
  } else {
    // Each dataset is read with its own style; the manifest written is mexa's.
    fs::create_directories(run_dir);
    data = (run_dir / "data.csv").string();
    const BuiltManifest built = build_manifest(data_specs, manifest_flags, fs::absolute(run_dir).string());
    if (!fs::exists(config_path) || !fs::exists(data)) {  // a new run (a failed start's data.csv is replaced)
      io::write_text_file(data, built.csv);
    } else if (io::read_text_file(data) != built.csv) {
      throw UsageError(data + " (this run's data) differs from what the --data given now read; start a new --out "
                       "for other data");
    }
    manifest_opts = io::with_classes(io::ManifestOptions{}, built.classes);
    manifest_opts.strict = manifest_flags.strict;
    data_images = built.images;
    if (!built.recipe.empty()) apply_recipe(built.recipe, built.images, options, vm);
    spdlog::info("{}: {} clips from {} dataset(s), classes {}", data, built.rows, built.datasets,
                 fmt::join(built.classes, ", "));
  }

  // ---- configuration
  try {
    if (onset_difference) {  // the older spelling of --input onset-difference (also "frames" + the switch)
      if (!vm["input"].defaulted() && input == "flow")
        throw UsageError("--input flow and --onset-difference exclude each other");
      input = "onset-difference";
      vm.at("input").value() = input;  // config.ini records the kind
    }
    {  // the input kind's defaults, then what the command line gave
      const temporal::ClipSpec base = pipeline::default_clip_spec(input);
      spec.kind = base.kind;
      if (vm["mean"].defaulted()) spec.mean = base.mean;  // flow images: pixels / 255
      if (vm["std"].defaulted()) spec.std = base.std;
      spec.frames = vm.count("frames") ? frames : base.frames;
      spec.channels = vm.count("channels") ? channels : base.channels;
      spec.width = base.width;
      spec.height = base.height;
      spec.sampling = base.sampling;
    }
    const bool flow_input = spec.kind == temporal::InputKind::Flow || spec.kind == temporal::InputKind::FlowImage;
    if (flow_input && vm.count("channels") && channels != 3)
      throw UsageError("--input " + input + " is 3 channels (u, v, strain): leave --channels out");
    if (spec.kind == temporal::InputKind::Flow) spec.flow_method = temporal::parse_flow_method(flow);
    spec.flow_norm = temporal::parse_flow_norm(flow_norm);
    // A resumed run's config.ini records the default for every kind: only another norm is refused.
    if (spec.kind != temporal::InputKind::Flow && spec.flow_norm != temporal::FlowNorm::SharedMax)
      throw UsageError("--flow-norm applies to --input flow (a flow image is scaled already)");
    if (from_datasets && data_images != (spec.kind == temporal::InputKind::FlowImage))
      throw UsageError(data_images ? "--data names flow images: --input flow-image (the default for them), not --input " + input
                                   : "--input flow-image takes a manifest whose paths name flow images (`mexa flow` writes "
                                     "one) or --data megc2019=IMAGE_DIR,LABELS.csv");
    if (model.empty()) model = pipeline::default_model(input);
    if (model == "ststnet" && !flow_input)
      throw UsageError("--model ststnet takes optical flow: use --input flow (the default; raw frames are refused) "
                       "or flow-image");
    if (!size.empty()) parse_size(size, spec.width, spec.height);
    if (!sampling.empty()) spec.sampling = temporal::parse_sampling(sampling);
    spec.face = temporal::parse_face_detector(face);
    if (spec.min_face < 0 || (spec.min_face > 0 && spec.min_face < temporal::kMinFaceLimit))
      throw UsageError("--min-face must be 0 (the detector's own) or at least " + std::to_string(temporal::kMinFaceLimit) +
                       " (got " + std::to_string(spec.min_face) + ")");
    tc.model = model;
    tc.cbam = cbam;
    tc.head = head;
    tc.loss.kind = engine::parse_loss(loss);
    tc.sampling = engine::parse_class_sampling(sampler);
    tc.optimizer = optimizer;
    tc.schedule.kind = engine::parse_lr_schedule(schedule);
    tc.schedule.base = lr;
    tc.schedule.epochs = epochs;
    tc.schedule.warmup_epochs = warmup;
    tc.schedule.min_lr = min_lr;
    tc.schedule.milestones = parse_int_list(milestones, "--milestones");
    tc.schedule.gamma = lr_gamma;
    tc.seed = seed;
    tc.device = device;
    tc.amp = amp;
    if (augment && no_augment) throw UsageError("--augment and --no-augment exclude each other");
    if (augment || saved_without_augment) tc.augment_enabled = true;
    if (no_augment) tc.augment_enabled = false;
    tc.augment.flow_field = flow_input;
    tc.stop_after_epoch = stop_after;
    if (!phased.empty()) {
      const auto phases = parse_int_list(phased, "--phased");
      if (phases.size() != 2) throw UsageError("--phased takes two epochs A,B (got '" + phased + "')");
      uc.phase2_epoch = phases[0];
      uc.phase3_epoch = phases[1];
    }
    uc.phase_curve = engine::parse_phase_curve(phase_curve);
    if (au_head) uc.au_names = {"AU0"};  // checked with a placeholder; the manifest's AUs replace it
    // A method's settings without the method would be recorded and do nothing
    // (checked when a run starts: a resumed run reads them all from config.ini).
    const std::vector<std::tuple<std::string, std::string, bool>> method_settings{
        {"eac-lambda", "--eac", uc.eac},
        {"scn-relabel-epoch", "--scn", uc.scn},
        {"au-weight", "--au-head", au_head},
        {"phase-curve", "--phased", uc.phased()}};
    for (const auto& [option, method, on] : method_settings)
      if (!resume && !joining && !vm[option].defaulted() && !on)
        throw UsageError("--" + option + " applies to " + method + ", which is not given");
    po_.protocol = engine::parse_protocol(protocol);
    po_.seed = seed;
    if (launch.distributed()) {
      // One device per rank; the node's cores shared between its ranks
      // (torchrun sets OMP_NUM_THREADS=1, which mexa's own count replaces).
      device = engine::rank_device(device, launch);
      tc.device = device;
      if (threads == 0) threads = engine::rank_threads(launch);
      if (dist_timeout < 1) throw UsageError("--dist-timeout must be at least 1 second");
      if (const std::string why = engine::data_parallel_refusal(tc); !why.empty()) throw UsageError(why);
    }
    engine::set_compute_threads(threads);
    if (epochs < 1 || tc.batch_size < 1 || tc.workers < 0) throw UsageError("--epochs and --batch must be >= 1, --workers >= 0");
    // Everything fit() and the clip loader would refuse, refused now: before any clip is decoded.
    (void)temporal::ClipLoader(spec);  // sampling vs --frames; a missing face model file is a DataError (exit 3)
    tc.classes = manifest_opts.class_names;
    engine::check_config(tc, {spec.channels, spec.frames, spec.height, spec.width});
  } catch (const std::invalid_argument& e) {
    throw UsageError(e.what());
  }
  // config.ini records the values the input kind chose, not only the flags given.
  const auto resolved_input = pipeline::input_metadata(spec);
  const std::map<std::string, boost::any> chosen{
      {"model", model},
      {"frames", spec.frames},
      {"channels", spec.channels},
      {"size", std::to_string(spec.width) + "x" + std::to_string(spec.height)},
      {"sampling", resolved_input.at("input.sampling")},
      {"classes", io::class_set_name(manifest_opts.class_names)}};  // the style's default, recorded
  for (const auto& [name, value] : chosen)
    if (!vm.count(name)) vm.insert({name, po::variable_value(value, false)});

  // ---- data
  const auto manifest = io::read_manifest(data, manifest_opts);
  for (const auto& problem : manifest.skipped) spdlog::warn("{}", problem.message);
  if (manifest.rows.empty()) throw DataError(data, "no usable rows");
  if (spec.kind == temporal::InputKind::FlowImage)  // refused now, not after every clip failed to load
    for (const auto& row : manifest.rows)
      if (!io::is_image_extension(fs::path(row.path).extension().string()))
        throw UsageError("--input flow-image: " + data + " line " + std::to_string(row.line) + " names " + row.path +
                         ", not an image file (a flow image per clip: `mexa flow` writes them)");
  if (au_head) uc.au_names = au_vocabulary(manifest);
  const engine::TrainTargets targets = train_targets(manifest, uc.au_names);
  const std::vector<int> eval_labels = evaluation_labels(manifest, eval_label, manifest_opts);
  if (au_head) spdlog::info("AU head: {} AUs ({})", uc.au_names.size(), fmt::join(uc.au_names, " "));
  const auto with_candidates = std::count_if(manifest.rows.begin(), manifest.rows.end(),
                                             [](const io::ManifestRow& r) { return !r.candidates.empty(); });
  if (uc.candidate_labels && with_candidates == 0)
    spdlog::warn("--candidate-labels: no row of {} lists candidates (emotion written \"a|b\"): plain cross-entropy", data);
  if (!uc.candidate_labels && with_candidates > 0)
    spdlog::warn("{} rows of {} list candidate emotions (\"a|b\"): trained on the first (--candidate-labels uses all)",
                 with_candidates, data);
  tc.metadata = pipeline::input_metadata(spec);
  tc.metadata["input.jitter"] = std::to_string(spec.jitter);
  tc.metadata["data.manifest"] = fs::absolute(data).string();

  // --resume trains on the same clips: the manifest's content, not only its path, must match.
  const fs::path data_hash_path = run_dir / "manifest.sha256";
  const std::string data_hash = io::sha256_file(data);
  const auto check_run_manifest = [&](const std::string& who) {
    if (!fs::exists(data_hash_path)) return;
    std::istringstream in(io::read_text_file(data_hash_path.string()));
    std::string trained_on;
    in >> trained_on;
    if (trained_on != data_hash)
      throw UsageError(who + ": " + data + " is not the manifest this run was trained on (sha256 " + data_hash +
                       ", the run's " + trained_on + "); start a new --out for other data");
  };
  if (resume || joining) check_run_manifest(resume ? "--resume" : "--fold-shard");

  // Every rank has checked what it was given; joining the group waits for all
  // of them, so no rank reads a file another rank is writing.
  std::unique_ptr<engine::ProcessGroup> group;
  if (launch.distributed()) {
    try {
      group = std::make_unique<engine::ProcessGroup>(launch, device, std::chrono::seconds(dist_timeout));
    } catch (const std::runtime_error& e) {
      throw DataError(launch.master_addr + ":" + std::to_string(launch.master_port), e.what());
    }
    tc.group = group.get();
    if (rank0)
      spdlog::info("data-parallel: {} ranks ({}, {}), global batch {} ({} per rank), {} threads per rank",
                   launch.world_size, launch.launcher, group->backend(), tc.batch_size,
                   tc.batch_size / launch.world_size, threads);
  }

  std::vector<int64_t> usable;
  std::map<int64_t, std::string> failures;
  std::set<int64_t> no_face;  // clips cut whole: their detector found no face
  std::unique_ptr<pipeline::ManifestClipSource> source;
  if (gathering) {
    failures = read_failures(run_dir / "failed.csv", manifest);
  } else {
    if (rank0) {
      fs::create_directories(run_dir / "folds");
      // Fold shards starting together race to create these: one wins, the others compare.
      if (!io::create_text_file(config_path.string(), effective_config(vm)) && !resume && !joining)
        check_same_settings(read_saved_options(config_path.string()), effective_options(vm), config_path.string(),
                            "--fold-shard");
      if (!io::create_text_file(data_hash_path.string(), data_hash + "\n") && !resume && !joining)
        check_run_manifest("--fold-shard");
    }
    // Data-parallel ranks after the first start from rank 0's cache (a copy:
    // HDF5 files take one writer) once it is filled.
    const std::string cache_path = cache_path_for(cache, run_dir, fold_shard, launch.rank);
    const std::string prepared_key = "prepared/" + fold_shard_text;
    if (group && !cache_path.empty() && !rank0) {
      group->store_wait(prepared_key, std::chrono::hours(24 * 7));
      const std::string rank0_cache = cache_path_for(cache, run_dir, fold_shard, 0);
      if (fs::exists(rank0_cache) && !fs::exists(cache_path))
        fs::copy_file(rank0_cache, cache_path, fs::copy_options::skip_existing);
    }
    source = std::make_unique<pipeline::ManifestClipSource>(manifest.rows, spec, cache_path, std::max(1, tc.workers),
                                                            /*record_failures=*/false);
    {
      Progress progress("preparing clips", static_cast<int64_t>(manifest.rows.size()), "clips");
      source->prepare([&](int64_t done, int64_t) {
        if (rank0) progress.update(done);
      });
      if (rank0) progress.finish();
    }
    if (group && rank0) group->store_set(prepared_key, "1");
    failures = source->failures();
    std::string failed_csv = "id,path,error\n";
    for (const auto& [index, message] : failures) {
      const auto& row = manifest.rows[static_cast<size_t>(index)];
      if (rank0) spdlog::error("{}", message);
      failed_csv += io::csv_escape(row.id) + "," + io::csv_escape(row.path) + "," + io::csv_escape(message) + "\n";
    }
    if (rank0) io::write_text_file((run_dir / "failed.csv").string(), failed_csv);
    no_face = source->no_face();
    if (rank0) report_no_face(no_face, manifest, run_dir);
  }
  for (size_t i = 0; i < manifest.rows.size(); ++i)
    if (!failures.count(static_cast<int64_t>(i))) usable.push_back(static_cast<int64_t>(i));
  if (usable.empty()) throw DataError(data, "no clip could be read");

  std::vector<std::string> subjects;
  for (int64_t i : usable) subjects.push_back(manifest.rows[static_cast<size_t>(i)].subject);
  std::vector<engine::Fold> folds;
  try {
    folds = engine::make_folds(subjects, po_);
  } catch (const std::invalid_argument& e) {
    throw DataError(data, e.what());
  }
  for (auto& fold : folds)  // make_folds indexed the usable clips; back to manifest rows
    for (auto* part : {&fold.train, &fold.val, &fold.test})
      for (auto& i : *part) i = usable[static_cast<size_t>(i)];

  RunDescription run{run_dir, &manifest, folds, tc.classes, uc.au_names, failures, protocol, model, loss, eval_label, seed};
  if (gathering) {
    const auto missing = unfinished_folds(run);
    if (!missing.empty()) {
      std::fprintf(stderr, "mexa train --gather: %s: %zu of %zu folds have no test predictions yet: %s; run their shards "
                   "(--fold-shard, --resume) first\n", out.c_str(), missing.size(), folds.size(), join(missing, 20).c_str());
      return kInputsFailed;
    }
    write_pooled_run(run);
    return failures.empty() ? kOk : kInputsFailed;
  }

  const std::vector<size_t> mine = folds_of_shard(folds.size(), fold_shard);
  if (rank0) {
    spdlog::info("{} clips ({} unreadable), {} classes, {} subjects, {} folds ({}), model {} on {}, loss {}",
                 usable.size(), failures.size(), tc.classes.size(),
                 std::set<std::string>(subjects.begin(), subjects.end()).size(), folds.size(), protocol, model,
                 engine::resolve_device(device).name, loss);
    if (fold_shard.count > 1) {
      std::vector<std::string> names;
      for (size_t f : mine) names.push_back(folds[f].name);
      spdlog::info("fold shard {}/{}: {} of {} folds (f % {} == {}): {}", fold_shard.index, fold_shard.count,
                   mine.size(), folds.size(), fold_shard.count, fold_shard.index, join(names, 12));
    }
  }

  // ---- this shard's folds
  bool stopped_early = false;
  for (size_t k = 0; k < mine.size(); ++k) {
    const size_t f = mine[k];
    const auto& fold = folds[f];
    const fs::path fold_dir = run_dir / "folds" / fold.name;
    const fs::path done_marker = fold_dir / "test_predictions.csv";
    if ((resume || joining) && fs::exists(done_marker)) {
      if (rank0) spdlog::info("fold {} ({}/{}): done earlier", fold.name, f + 1, folds.size());
      continue;
    }
    const std::string what = "fold " + fold.name + " (" + std::to_string(f + 1) + "/" + std::to_string(folds.size()) + ")";
    if (rank0 && !no_face.empty()) {
      const auto count = [&](const std::vector<int64_t>& part) {
        return std::count_if(part.begin(), part.end(), [&](int64_t i) { return no_face.count(i) > 0; });
      };
      spdlog::info("{}: no face found in {} of {} training and {} of {} test clips (whole frame used)", what,
                   count(fold.train), fold.train.size(), count(fold.test), fold.test.size());
    }
    std::unique_ptr<Progress> progress;
    engine::FitCallbacks callbacks;
    callbacks.on_step = [&](int epoch, int step, int steps, double mean_loss) {
      io::failpoint("kill-in-training-step");  // crash tests: a rank that dies mid-epoch
      if (!rank0) return;
      if (step == 1)
        progress = std::make_unique<Progress>(what + " epoch " + std::to_string(epoch) + "/" + std::to_string(epochs),
                                              steps, "steps");
      char note[48];
      std::snprintf(note, sizeof note, "loss %.4f", mean_loss);
      progress->update(step, note);
    };
    if (report_test_selected) callbacks.watched = fold.test;
    if (rank0) {
      callbacks.on_epoch = [&](const engine::EpochRecord& r) {
        if (progress) progress->finish();
        const std::string val = r.val_uf1 < 0 ? "" : fmt::format(", val UF1 {:.4f} UAR {:.4f}", r.val_uf1, r.val_uar);
        spdlog::info("{} epoch {}/{}: loss {:.4f}, train acc {:.3f}{}, lr {:.2e}, {:.1f} s, {:.1f} clips/s, model busy {:.0f}%",
                     what, r.epoch, epochs, r.train_loss, r.train_acc, val, r.lr, r.seconds, r.clips_per_second,
                     100 * r.busy_fraction);
      };
    }
    const auto result = engine::fit(tc, *source, targets, fold.train, fold.val, fold_dir.string(), resume, callbacks);
    if (static_cast<int>(result.history.size()) < epochs) {  // --stop-after-epoch
      stopped_early = true;
      continue;
    }
    if (!rank0) {
      // Data-parallel: rank 0 tests and writes the fold's files. Waiting for
      // that in the store, not in the next fold's first collective, keeps a
      // long test set from running into --dist-timeout.
      group->store_wait("fold-done/" + fold.name, std::chrono::hours(24 * 7));
      continue;
    }
    if (uc.scn) {
      io::write_text_file((fold_dir / "relabelled.csv").string(), relabelled_csv(result.relabelled, manifest, tc.classes));
      spdlog::info("{}: SCN relabelled {} training clips ({})", what, result.relabelled.size(),
                   (fold_dir / "relabelled.csv").string());
    }
    engine::Predictor predictor(result.selected_checkpoint, device);
    const auto outputs = predictor.predict_all(*source, fold.test, tc.batch_size, tc.workers);
    IndexedPredictions fold_predictions;
    std::vector<AuPrediction> fold_aus;
    for (size_t t = 0; t < fold.test.size(); ++t) {
      const auto& row = manifest.rows[static_cast<size_t>(fold.test[t])];
      fold_predictions.emplace_back(
          fold.test[t], PredictionRow{row.id, row.subject, fold.name, eval_labels[static_cast<size_t>(fold.test[t])],
                                      predicted_class(outputs[t].probs), outputs[t].probs});
      if (au_head)
        if (auto a = au_prediction(targets, fold.test[t], row.id, outputs[t].au_probs)) fold_aus.push_back(std::move(*a));
    }
    // The AU file and the fold record first: the predictions file marks the fold done.
    if (au_head) io::write_text_file((fold_dir / "test_aus.csv").string(), au_predictions_csv(fold_aus, uc.au_names));
    write_fold_record(fold_dir, result.best_epoch);
    if (report_test_selected)
      io::write_text_file((fold_dir / "test_by_epoch.csv").string(),
                          test_by_epoch_csv(result.history, fold.test, manifest, eval_labels, tc.classes));
    io::write_text_file(done_marker.string(), predictions_csv(rows_of(fold_predictions), tc.classes, /*with_fold=*/true));
    if (group) group->store_set("fold-done/" + fold.name, "1");
  }
  const int status = failures.empty() ? kOk : kInputsFailed;
  if (!rank0) {
    // torchrun stops every worker once one exits non-zero (1: unreadable
    // clips): the other ranks leave only after rank 0 has written its files.
    group->store_wait("run/finished", std::chrono::hours(24 * 7));
    return status;
  }
  const auto finished = [&] {
    if (group) group->store_set("run/finished", "1");
    return status;
  };
  if (stopped_early) {
    // A run on datasets rebuilds its data.csv from the --data its config.ini records.
    std::printf("stopped after epoch %d as asked; continue with: mexa train --out %s%s --resume\n", stop_after,
                out.c_str(), from_datasets ? "" : (" --data " + data).c_str());
    return finished();
  }

  // ---- pooled over folds, by whoever finds every fold done
  if (const auto missing = unfinished_folds(run); !missing.empty()) {
    std::printf("%s: fold shard %d/%d done; %zu of %zu folds are another shard's and not finished yet (%s): the last "
                "shard to finish, or `mexa train --gather %s`, writes predictions.csv and summary.json\n",
                out.c_str(), fold_shard.index, fold_shard.count, missing.size(), folds.size(), join(missing, 8).c_str(),
                out.c_str());
    return finished();
  }
  write_pooled_run(run);
  if (!failures.empty()) std::printf("%zu clips could not be read: %s\n", failures.size(), (run_dir / "failed.csv").c_str());
  return finished();
}

}  // namespace mexa::cli
