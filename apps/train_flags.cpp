#include "train_flags.h"

#include <spdlog/fmt/fmt.h>

namespace mexa::cli {
namespace {

namespace po = boost::program_options;

po::options_description run_group(TrainFlags& f) {
  po::options_description run_options("Run");
  run_options.add_options()(
      "data", po::value(&f.data_specs),
      "a mexa manifest CSV, or a dataset as [STYLE=]FOLDER[,ANNOTATIONS] or [STYLE=]WORKBOOK; given several times, "
      "the datasets' composite (subjects prefixed, a dataset column, --classes megc3 by default; written to "
      "RUN/data.csv); required")(
      "out", po::value(&f.out), "run folder; required")(
      "resume", po::bool_switch(&f.resume), "continue the run in --out (its config.ini; flags given here win)")(
      "report-test-selected", po::bool_switch(&f.report_test_selected),
      "also predict each test fold after every epoch and add summary.json's test_selected: per test subject its "
      "best epoch on the test labels, as published code reports (optimistic; the headline stays the last or "
      "validation-chosen epoch)")(
      "stop-after-epoch", po::value(&f.stop_after)->default_value(0), "stop each fold after this epoch (0: all); --resume continues")(
      "protocol", po::value(&f.protocol)->default_value(f.protocol), "split, kfold or loso (subject-independent)")(
      "folds", po::value(&f.po_.folds)->default_value(f.po_.folds), "kfold: number of folds")(
      "test-fraction", po::value(&f.po_.test_fraction)->default_value(f.po_.test_fraction, "0.2"), "split: share of subjects tested")(
      "val-fraction", po::value(&f.po_.val_fraction)->default_value(0.0, "0"),
      "share of each fold's training subjects kept for choosing the best epoch (0: use the last epoch)")(
      "seed", po::value(&f.seed)->default_value(0), "seed for weights, sampling, augmentation and fold assignment")(
      "device", po::value(&f.device)->default_value(f.device), "auto, cpu, cuda or cuda:N")(
      "amp", po::bool_switch(&f.amp), "CUDA: bfloat16 mixed precision")(
      "threads", po::value(&f.threads)->default_value(0), "LibTorch CPU threads (0: all cores)")(
      "workers", po::value(&f.tc.workers)->default_value(f.tc.workers), "data loading threads (prefetch)")(
      "cache", po::value(&f.cache)->default_value(f.cache),
      "HDF5 cache of preprocessed clips: a path, 'auto' (RUN/clips.h5) or 'none' (one file per fold shard and rank)");
  return run_options;
}

po::options_description parallel_group(TrainFlags& f) {
  po::options_description parallel_options("More than one process (docs/distributed.md)");
  parallel_options.add_options()(
      "fold-shard", po::value(&f.fold_shard_text),
      "train only the folds f with f % n == i of shard i/n (default: RANK/WORLD_SIZE without MASTER_ADDR, or a Slurm "
      "array's task id and count); shards share --out")(
      "gather", po::value(&f.gather),
      "RUN: pool the test predictions of every fold of RUN into predictions.csv and summary.json (exit 1 naming the "
      "folds still missing); no other option needed")(
      "dist-timeout", po::value(&f.dist_timeout)->default_value(f.dist_timeout),
      "data-parallel (torchrun, srun): seconds a rank waits for the others before it stops with exit 3");
  return parallel_options;
}

po::options_description input_group(TrainFlags& f) {
  po::options_description input_options("Input");
  input_options.add_options()(
      "input", po::value(&f.input)->default_value(f.input),
      "what the model sees: flow (onset->apex optical flow: u, v, strain; 3 channels, 1 field, 28x28), frames or "
      "onset-difference (frame - onset frame; both of these grey, 16 frames, 64x64), or flow-image (each clip's "
      "path names one precomputed flow image, R u, G v, B strain: the MEGC 2019 composite's form, `mexa flow`'s "
      "output; 28x28, pixels / 255; the default for --data megc2019=...)")(
      "flow-norm", po::value(&f.flow_norm)->default_value(f.flow_norm),
      "--input flow: shared-max (u, v / one max |flow|, strain / its max) or minmax (each channel to [0, 1], "
      "as the composite's images / 255)")(
      "frames", po::value(&f.frames), "frames per clip T (default 16); for flow, the number of onset->target flow fields centred on the apex (default 1: onset->apex)")(
      "size", po::value(&f.size), "model input WxH (default: 28x28 for flow, else 64x64)")(
      "channels", po::value(&f.channels), "1 (grey) or 3 (RGB) (default: 3 for flow, else 1)")(
      "sampling", po::value(&f.sampling), "key frames: uniform (the default), triplet, apex-window, interpolate, motion")(
      "face", po::value(&f.face)->default_value(f.face), "face alignment: none (pre-cropped), hog or haar")(
      "min-face", po::value(&f.spec.min_face)->default_value(0),
      "smallest face side in pixels (0: the detector's own, hog 80, haar 40; hog upsamples for less)")(
      "require-face", po::bool_switch(&f.spec.require_face),
      "a clip with no face on its alignment frame fails (failed.csv) instead of using the whole frame")(
      "mean", po::value(&f.spec.mean)->default_value(0.5f, "0.5"), "normalisation mean (pixels in [0, 1])")(
      "std", po::value(&f.spec.std)->default_value(0.25f, "0.25"), "normalisation standard deviation")(
      "folder-fps", po::value(&f.spec.folder_fps)->default_value(0.0, "0"), "frame rate of frame folders")(
      "flow", po::value(&f.flow)->default_value(f.flow), "--input flow: tvl1, farneback or dis")(
      "onset-difference", po::bool_switch(&f.onset_difference), "same as --input onset-difference")(
      "jitter", po::value(&f.spec.jitter)->default_value(0), "temporal jitter in frames (decodes every epoch)")(
      "augment", po::bool_switch(&f.augment),
      f.tc.augment_enabled ? "spatial augmentation (the default)"
                         : "spatial augmentation: flip, shift, rotation, zoom (off by default: no gain on flow, "
                           "docs/defaults.md)")(
      "no-augment", po::bool_switch(&f.no_augment),
      f.tc.augment_enabled ? "no spatial augmentation" : "no spatial augmentation (the default)")(
      "flip", po::value(&f.tc.augment.flip)->default_value(f.tc.augment.flip, "0.5"), "horizontal flip probability")(
      "shift", po::value(&f.tc.augment.shift)->default_value(f.tc.augment.shift, "0.05"), "largest shift (fraction of size)")(
      "rotation", po::value(&f.tc.augment.rotation)->default_value(f.tc.augment.rotation, "5"), "largest rotation (degrees)")(
      "zoom", po::value(&f.tc.augment.scale)->default_value(f.tc.augment.scale, "0.05"), "largest zoom change");
  add_manifest_flags(input_options, f.manifest_flags);
  return input_options;
}

po::options_description model_group(TrainFlags& f) {
  po::options_description model_options("Model and loss");
  model_options.add_options()("model", po::value(&f.model),
                              "small3d, ststnet, r3d_18, mc3_18, r2plus1d_18 (default: ststnet for --input flow, "
                              "else small3d)")(
      "cbam", po::bool_switch(&f.cbam), "add CBAM attention blocks")(
      "head", po::value(&f.head)->default_value(f.head), "linear, cosine or auto (cosine for ldam-drw and coupling)")(
      "loss", po::value(&f.loss)->default_value(f.loss),
      "ce, weighted-ce, focal, class-balanced, ldam-drw, logit-adjusted, balanced-softmax, label-smoothing, coupling")(
      "gamma", po::value(&f.tc.loss.gamma)->default_value(f.tc.loss.gamma, "2"), "focal / coupling gamma")(
      "beta", po::value(&f.tc.loss.beta)->default_value(f.tc.loss.beta, "0.9999"), "class-balanced beta")(
      "max-m", po::value(&f.tc.loss.max_m)->default_value(f.tc.loss.max_m, "0.5"), "LDAM largest margin")(
      "scale", po::value(&f.tc.loss.s)->default_value(f.tc.loss.s, "30"), "LDAM logit scale s")(
      "drw-epoch", po::value(&f.tc.loss.drw_epoch)->default_value(f.tc.loss.drw_epoch), "LDAM: deferred re-weighting from this epoch (0-based; -1: 4/5 of the epochs)")(
      "tau", po::value(&f.tc.loss.tau)->default_value(f.tc.loss.tau, "1"), "logit adjustment tau")(
      "lambda", po::value(&f.tc.loss.lambda)->default_value(f.tc.loss.lambda, "0.5"), "coupling correction weight")(
      "smoothing", po::value(&f.tc.loss.smoothing)->default_value(f.tc.loss.smoothing, "0.1"), "label smoothing epsilon")(
      "sampler", po::value(&f.sampler)->default_value(f.sampler), "instance, sqrt, class-balanced or progressive")(
      "staged-epochs", po::value(&f.tc.representation_epochs)->default_value(0), "instance sampling for these first epochs, then --sampler");
  return model_options;
}

po::options_description uncertainty_group(TrainFlags& f) {
  po::options_description uncertainty_options("Label uncertainty and action units (off by default)");
  uncertainty_options.add_options()("eac", po::bool_switch(&f.uc.eac),
                                    "EAC: attention-map consistency under a horizontal flip, random erasing on each view")(
      "eac-lambda", po::value(&f.uc.eac_lambda)->default_value(f.uc.eac_lambda, "5"), "EAC: weight of the consistency term")(
      "rul", po::bool_switch(&f.uc.rul), "RUL: mix features of random pairs by their relative uncertainty")(
      "scn", po::bool_switch(&f.uc.scn), "SCN: importance weights with rank regularisation, and relabelling")(
      "scn-relabel-epoch", po::value(&f.uc.scn_relabel_epoch)->default_value(f.uc.scn_relabel_epoch),
      "SCN: relabel training clips from this epoch on (1-based; -1: after --scn-warmup of the run)")(
      "scn-warmup", po::value(&f.uc.scn_warmup_share)->default_value(f.uc.scn_warmup_share, "0.5"),
      "SCN: share of --epochs trained before relabelling starts (when --scn-relabel-epoch is -1)")(
      "scn-class-cap", po::value(&f.uc.scn_class_cap)->default_value(f.uc.scn_class_cap, "0.05"),
      "SCN: at most this share of a class's training clips is relabelled away from it per epoch")(
      "au-head", po::bool_switch(&f.au_head), "a multi-label AU head on the aus column (BCE), AU macro F1 reported")(
      "au-weight", po::value(&f.uc.au_weight)->default_value(f.uc.au_weight, "0.5"), "AU head: weight of its loss")(
      "phased", po::value(&f.phased)->default_value(""),
      "A,B: phased progressive learning with --loss coupling: CE until epoch A, handing over to the coupling loss "
      "until epoch B, then the coupling loss alone (1-based)")(
      "phase-curve", po::value(&f.phase_curve)->default_value(f.phase_curve), "--phased hand-over: parabolic, linear or cosine")(
      "candidate-labels", po::bool_switch(&f.uc.candidate_labels),
      "train on candidate sets (emotion written \"disgust|contempt\"); evaluated against the first")(
      "eval-label", po::value(&f.eval_label)->default_value(f.eval_label),
      "the manifest column test folds are scored against (e.g. true_emotion of a noisy mexa synth set)");
  return uncertainty_options;
}

po::options_description optim_group(TrainFlags& f) {
  po::options_description optim_options("Optimisation");
  optim_options.add_options()("optimizer", po::value(&f.optimizer)->default_value(f.optimizer), "adamw or sgd")(
      "lr", po::value(&f.lr)->default_value(f.lr, fmt::format("{}", f.lr)), "base learning rate")(
      "momentum", po::value(&f.tc.momentum)->default_value(f.tc.momentum, fmt::format("{}", f.tc.momentum)), "SGD momentum")(
      "weight-decay", po::value(&f.tc.weight_decay)->default_value(f.tc.weight_decay, fmt::format("{}", f.tc.weight_decay)),
      "weight decay")(
      "schedule", po::value(&f.schedule)->default_value(f.schedule), "constant, cosine or step")(
      "warmup", po::value(&f.warmup)->default_value(f.warmup), "linear warm-up epochs")(
      "min-lr", po::value(&f.min_lr)->default_value(f.min_lr, fmt::format("{}", f.min_lr)), "cosine: final learning rate")(
      "milestones", po::value(&f.milestones)->default_value(""), "step: epochs where the rate is multiplied by --lr-gamma")(
      "lr-gamma", po::value(&f.lr_gamma)->default_value(f.lr_gamma, fmt::format("{}", f.lr_gamma)), "step: factor")(
      "epochs", po::value(&f.epochs)->default_value(f.epochs), "epochs per fold")(
      "batch", po::value(&f.tc.batch_size)->default_value(f.tc.batch_size), "batch size");
  return optim_options;
}

}  // namespace

po::options_description train_options(TrainFlags& f) {
  po::options_description options;
  options.add(run_group(f)).add(input_group(f)).add(model_group(f)).add(uncertainty_group(f)).add(optim_group(f)).add(
      parallel_group(f));
  return options;
}

}  // namespace mexa::cli
