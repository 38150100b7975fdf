// `mexa train`'s flags resolved into what the training run takes: the
// model input (the input kind's defaults, then the flags) and the trainer's
// configuration, each refused with the flag's name before any clip is read.
#include "train_resolve.h"

#include <spdlog/fmt/ranges.h>
#include <spdlog/spdlog.h>

#include <boost/any.hpp>
#include <fstream>
#include <map>
#include <sstream>
#include <tuple>
#include <vector>

#include "cli.h"
#include "mexa/engine/device.h"
#include "mexa/engine/samplers.h"
#include "mexa/temporal/face_tracker.h"
#include "mexa/temporal/keyframe_sampler.h"
#include "mexa/temporal/optical_flow.h"
#include "data_sources.h"
#include "mexa/io/class_sets.h"
#include "mexa/io/csv.h"
#include "mexa/training/run_files.h"
#include "train_settings.h"

namespace mexa::cli {

namespace fs = std::filesystem;

namespace {

/// The optimiser, schedule, loss and augmentation flags into f.tc.
void resolve_optimisation(TrainFlags& f, bool flow_input, bool saved_without_augment) {
  f.tc.model = f.model;
  f.tc.cbam = f.cbam;
  f.tc.head = f.head;
  f.tc.loss.kind = engine::parse_loss(f.loss);
  f.tc.sampling = engine::parse_class_sampling(f.sampler);
  f.tc.optimizer = f.optimizer;
  f.tc.schedule.kind = engine::parse_lr_schedule(f.schedule);
  f.tc.schedule.base = f.lr;
  f.tc.schedule.epochs = f.epochs;
  f.tc.schedule.warmup_epochs = f.warmup;
  f.tc.schedule.min_lr = f.min_lr;
  f.tc.schedule.milestones = parse_int_list(f.milestones, "--milestones");
  f.tc.schedule.gamma = f.lr_gamma;
  f.tc.seed = f.seed;
  f.tc.device = f.device;
  f.tc.amp = f.amp;
  if (f.augment && f.no_augment) throw UsageError("--augment and --no-augment exclude each other");
  if (f.augment || saved_without_augment) f.tc.augment_enabled = true;
  if (f.no_augment) f.tc.augment_enabled = false;
  f.tc.augment.flow_field = flow_input;
  f.tc.stop_after_epoch = f.stop_after;
}

/// The label-uncertainty flags into f.uc; a method's setting without the
/// method is refused when a run starts (a resumed run reads them all from config.ini).
void resolve_uncertainty(TrainFlags& f, const po::variables_map& vm, bool continuing) {
  if (!f.phased.empty()) {
    const auto phases = parse_int_list(f.phased, "--phased");
    if (phases.size() != 2) throw UsageError("--phased takes two epochs A,B (got '" + f.phased + "')");
    f.uc.phase2_epoch = phases[0];
    f.uc.phase3_epoch = phases[1];
  }
  f.uc.phase_curve = engine::parse_phase_curve(f.phase_curve);
  if (f.au_head) f.uc.au_names = {"AU0"};  // checked with a placeholder; the manifest's AUs replace it
  // A method's settings without the method would be recorded and do nothing
  // (checked when a run starts: a resumed run reads them all from config.ini).
  const std::vector<std::tuple<std::string, std::string, bool>> method_settings{
      {"eac-lambda", "--eac", f.uc.eac},
      {"scn-relabel-epoch", "--scn", f.uc.scn},
      {"scn-warmup", "--scn", f.uc.scn},
      {"scn-class-cap", "--scn", f.uc.scn},
      {"au-weight", "--au-head", f.au_head},
      {"phase-curve", "--phased", f.uc.phased()}};
  for (const auto& [option, method, on] : method_settings)
    if (!continuing && !vm[option].defaulted() && !on)
      throw UsageError("--" + option + " applies to " + method + ", which is not given");
}

}  // namespace

/// A dataset style's recipe (io::StyleInfo::recipe: "ststnet", engine::ststnet_recipe())
/// in place of mexa's defaults, for every option the command line (or a
/// resumed run's config.ini) did not give; `images`: the data are flow images.
static void apply_recipe(const std::string& recipe, bool images, const po::options_description& options,
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

bool read_run_config(TrainFlags& f, const po::options_description& options, po::variables_map& vm,
                     const fs::path& config_path, bool joining) {
  bool saved_without_augment = false;
  if ((f.resume || joining) && fs::exists(config_path)) {
    // The run's own settings fill in whatever the command line did not give.
    std::ifstream file(config_path);
    try {
      po::store(po::parse_config_file(file, options, /*allow_unregistered=*/false), vm);
      po::notify(vm);
    } catch (const po::error& e) {
      throw UsageError(config_path.string() + ": " + e.what());
    }
    // A flag that changes what is computed would make the resumed run a different run.
    const auto saved = training::read_settings(config_path.string());
    saved_without_augment = !saved.count("augment");
    try {
      training::check_same_settings(saved, training::parse_settings(effective_config(vm)), config_path.string(),
                                    f.resume ? "--resume" : "--fold-shard");
    } catch (const training::SettingsError& e) {
      throw UsageError(e.what());
    }
  } else if (!f.resume && fs::exists(config_path)) {
    throw UsageError(f.out + " already holds a run (config.ini); --resume continues it, or choose another --out");
  }
  return saved_without_augment;
}

DataChoice choose_data(TrainFlags& f, const po::options_description& options, po::variables_map& vm,
                       const fs::path& run_dir) {
  const fs::path config_path = run_dir / "config.ini";
  DataChoice out;
  // ---- data: a manifest, or datasets read from their own files into RUN/data.csv
  if (f.data_specs.empty()) throw UsageError("the option '--data' is required but missing (" + f.out + " holds no run)");
  out.from_datasets = f.data_specs.size() > 1 || (f.data_specs.size() == 1 && names_a_dataset(f.data_specs.front()));
  if (!out.from_datasets) {
    f.data = f.data_specs.front();
    out.manifest_options = manifest_options(f.manifest_flags);
  } else {
    // Each dataset is read with its own style; the manifest written is mexa's.
    fs::create_directories(run_dir);
    f.data = (run_dir / "data.csv").string();
    const BuiltManifest built = build_manifest(f.data_specs, f.manifest_flags, fs::absolute(run_dir).string());
    if (!fs::exists(config_path) || !fs::exists(f.data)) {  // a new run (a failed start's data.csv is replaced)
      io::write_text_file(f.data, built.csv);
    } else if (io::read_text_file(f.data) != built.csv) {
      throw UsageError(f.data + " (this run's data) differs from what the --data given now read; start a new --out "
                       "for other data");
    }
    out.manifest_options = io::with_classes(io::ManifestOptions{}, built.classes);
    out.manifest_options.strict = f.manifest_flags.strict;
    out.images = built.images;
    if (!built.recipe.empty()) apply_recipe(built.recipe, built.images, options, vm);
    spdlog::info("{}: {} clips from {} dataset(s), classes {}", f.data, built.rows, built.datasets,
                 fmt::join(built.classes, ", "));
  }

  return out;
}

void record_resolved(const TrainFlags& f, po::variables_map& vm, const std::vector<std::string>& classes) {
  const auto resolved_input = pipeline::input_metadata(f.spec);
  const std::map<std::string, boost::any> chosen{
      {"model", f.model},
      {"frames", f.spec.frames},
      {"channels", f.spec.channels},
      {"size", std::to_string(f.spec.width) + "x" + std::to_string(f.spec.height)},
      {"sampling", resolved_input.at("input.sampling")},
      {"classes", io::class_set_name(classes)}};  // the style's default, recorded
  for (const auto& [name, value] : chosen)
    if (!vm.count(name)) vm.insert({name, po::variable_value(value, false)});

}

void resolve_input(TrainFlags& f, po::variables_map& vm, bool from_datasets, bool data_images) {
  try {
    if (f.onset_difference) {  // the older spelling of --input onset-difference (also "frames" + the switch)
      if (!vm["input"].defaulted() && f.input == "flow")
        throw UsageError("--input flow and --onset-difference exclude each other");
      f.input = "onset-difference";
      vm.at("input").value() = f.input;  // config.ini records the kind
    }
    {  // the input kind's defaults, then what the command line gave
      const temporal::ClipSpec base = pipeline::default_clip_spec(f.input);
      f.spec.kind = base.kind;
      if (vm["mean"].defaulted()) f.spec.mean = base.mean;  // flow images: pixels / 255
      if (vm["std"].defaulted()) f.spec.std = base.std;
      f.spec.frames = vm.count("frames") ? f.frames : base.frames;
      f.spec.channels = vm.count("channels") ? f.channels : base.channels;
      f.spec.width = base.width;
      f.spec.height = base.height;
      f.spec.sampling = base.sampling;
    }
    const bool flow_input = f.spec.kind == temporal::InputKind::Flow || f.spec.kind == temporal::InputKind::FlowImage;
    if (flow_input && vm.count("channels") && f.channels != 3)
      throw UsageError("--input " + f.input + " is 3 channels (u, v, strain): leave --channels out");
    if (f.spec.kind == temporal::InputKind::Flow) f.spec.flow_method = temporal::parse_flow_method(f.flow);
    f.spec.flow_norm = temporal::parse_flow_norm(f.flow_norm);
    // A resumed run's config.ini records the default for every kind: only another norm is refused.
    if (f.spec.kind != temporal::InputKind::Flow && f.spec.flow_norm != temporal::FlowNorm::SharedMax)
      throw UsageError("--flow-norm applies to --input flow (a flow image is scaled already)");
    if (from_datasets && data_images != (f.spec.kind == temporal::InputKind::FlowImage))
      throw UsageError(data_images ? "--data names flow images: --input flow-image (the default for them), not --input " + f.input
                                   : "--input flow-image takes a manifest whose paths name flow images (`mexa flow` writes "
                                     "one) or --data megc2019=IMAGE_DIR,LABELS.csv");
    if (f.model.empty()) f.model = pipeline::default_model(f.input);
    if (f.model == "ststnet" && !flow_input)
      throw UsageError("--model ststnet takes optical flow: use --input flow (the default; raw frames are refused) "
                       "or flow-image");
    if (!f.size.empty()) parse_size(f.size, f.spec.width, f.spec.height);
    if (!f.sampling.empty()) f.spec.sampling = temporal::parse_sampling(f.sampling);
    f.spec.face = temporal::parse_face_detector(f.face);
    if (f.spec.min_face < 0 || (f.spec.min_face > 0 && f.spec.min_face < temporal::kMinFaceLimit))
      throw UsageError("--min-face must be 0 (the detector's own) or at least " + std::to_string(temporal::kMinFaceLimit) +
                       " (got " + std::to_string(f.spec.min_face) + ")");
  } catch (const std::invalid_argument& e) {
    throw UsageError(e.what());
  }
}

void resolve_training(TrainFlags& f, const po::variables_map& vm, const ResolveContext& context) {
  try {
    const bool flow_input = f.spec.kind == temporal::InputKind::Flow || f.spec.kind == temporal::InputKind::FlowImage;
    resolve_optimisation(f, flow_input, context.saved_without_augment);
    resolve_uncertainty(f, vm, context.continuing);
    f.po_.protocol = engine::parse_protocol(f.protocol);
    f.po_.seed = f.seed;
    if (context.launch.distributed()) {
      // One device per rank; the node's cores shared between its ranks
      // (torchrun sets OMP_NUM_THREADS=1, which mexa's own count replaces).
      f.device = engine::rank_device(f.device, context.launch);
      f.tc.device = f.device;
      if (f.threads == 0) f.threads = engine::rank_threads(context.launch);
      if (f.dist_timeout < 1) throw UsageError("--dist-timeout must be at least 1 second");
      if (const std::string why = engine::data_parallel_refusal(f.tc); !why.empty()) throw UsageError(why);
    }
    engine::set_compute_threads(f.threads);
    if (f.epochs < 1 || f.tc.batch_size < 1 || f.tc.workers < 0) throw UsageError("--epochs and --batch must be >= 1, --workers >= 0");
    // Everything fit() and the clip loader would refuse, refused now: before any clip is decoded.
    (void)temporal::ClipLoader(f.spec);  // sampling vs --frames; a missing face model file is a DataError (exit 3)
    f.tc.classes = context.classes;
    engine::check_config(f.tc, {f.spec.channels, f.spec.frames, f.spec.height, f.spec.width});
  } catch (const std::invalid_argument& e) {
    throw UsageError(e.what());
  }
}

}  // namespace mexa::cli
