// `mexa train`'s flags resolved into what the training run takes: the
// model input (the input kind's defaults, then the flags) and the trainer's
// configuration, each refused with the flag's name before any clip is read.
#include "train_resolve.h"

#include <tuple>
#include <vector>

#include "cli.h"
#include "mexa/engine/device.h"
#include "mexa/engine/samplers.h"
#include "mexa/temporal/face_tracker.h"
#include "mexa/temporal/keyframe_sampler.h"
#include "mexa/temporal/optical_flow.h"
#include "train_settings.h"

namespace mexa::cli {
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
      {"au-weight", "--au-head", f.au_head},
      {"phase-curve", "--phased", f.uc.phased()}};
  for (const auto& [option, method, on] : method_settings)
    if (!continuing && !vm[option].defaulted() && !on)
      throw UsageError("--" + option + " applies to " + method + ", which is not given");
}

}  // namespace

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
