// `mexa train`'s flags: every variable a flag binds to, with its default,
// and the option groups --help lists (run, more than one process, input,
// model and loss, label uncertainty, optimisation). The defaults are the
// library's (engine::default_train_config(), pipeline::default_clip_spec()):
// one place, chosen by docs/defaults.md.
#pragma once

#include <boost/program_options.hpp>

#include <cstdint>
#include <string>
#include <vector>

#include "manifest_flags.h"
#include "mexa/engine/protocols.h"
#include "mexa/engine/trainer.h"
#include "mexa/pipeline/model_input.h"
#include "mexa/temporal/clip_loader.h"

namespace mexa::cli {

struct TrainFlags {
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
  uint64_t seed = 0;
  engine::UncertaintyConfig& uc = tc.uncertainty;

  TrainFlags() = default;
  TrainFlags(const TrainFlags&) = delete;
  TrainFlags& operator=(const TrainFlags&) = delete;
};

/// Every option of `mexa train`, bound to `f`.
boost::program_options::options_description train_options(TrainFlags& f);

}  // namespace mexa::cli
