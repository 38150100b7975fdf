// engine: the training configuration's defaults, recipe, resolution and
// checks (everything decided before a fold trains).
#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

#include "mexa/engine/device.h"
#include "mexa/engine/losses.h"
#include "mexa/engine/models.h"
#include "mexa/engine/trainer.h"
#include "checkpoint.h"
#include "optimizer.h"

namespace mexa::engine {

TrainConfig default_train_config() { return TrainConfig{}; }

TrainConfig ststnet_recipe() {
  TrainConfig c;  // mexa's defaults are STSTNet's recipe but for the rate, tuned on synthetic data
  c.model = "ststnet";
  c.loss.kind = LossKind::CrossEntropy;
  c.sampling = ClassSampling::Instance;
  c.optimizer = "adamw";  // with weight decay 0, AdamW's update is Adam's
  c.weight_decay = 0;
  c.schedule = LrSchedule{.kind = LrSchedule::Kind::Constant, .base = 5e-5, .epochs = 500, .warmup_epochs = 0,
                          .min_lr = 0.0, .milestones = {}, .gamma = 0.1};
  c.batch_size = 256;
  c.augment_enabled = false;
  return c;
}

TrainConfig resolved(const TrainConfig& config) {
  TrainConfig c = config;
  if (c.loss.kind == LossKind::Ldam && c.loss.drw_epoch < 0) c.loss.drw_epoch = c.schedule.epochs * 4 / 5;
  if (c.uncertainty.scn && c.uncertainty.scn_relabel_epoch < 0)
    c.uncertainty.scn_relabel_epoch =
        std::max(1, static_cast<int>(std::ceil(c.uncertainty.scn_warmup_share * c.schedule.epochs)));
  return c;
}

std::string data_parallel_refusal(const TrainConfig& config) {
  const UncertaintyConfig& u = config.uncertainty;
  if (!u.rul && !u.scn) return "";
  return std::string(u.rul ? "--rul mixes pairs" : "--scn ranks importance weights") +
         " across the batch: not supported data-parallel (run it in one process)";
}

void check_config(const TrainConfig& given, const std::vector<int64_t>& clip_shape) {
  const TrainConfig config = resolved(given);  // epoch defaults follow --epochs
  const auto names = model_names();
  if (std::find(names.begin(), names.end(), config.model) == names.end()) {
    std::string known;
    for (const auto& n : names) known += (known.empty() ? "" : ", ") + n;
    throw std::invalid_argument("--model must be one of " + known + " (got '" + config.model + "')");
  }
  if (config.head != "linear" && config.head != "cosine" && config.head != "auto")
    throw std::invalid_argument("--head must be linear, cosine or auto (got '" + config.head + "')");
  if (config.optimizer != "sgd" && config.optimizer != "adamw")
    throw std::invalid_argument("--optimizer must be sgd or adamw (got '" + config.optimizer + "')");
  if (config.batch_size < 1) throw std::invalid_argument("--batch must be at least 1");
  if (config.schedule.epochs < 1) throw std::invalid_argument("--epochs must be at least 1");
  if (config.schedule.warmup_epochs < 0 || config.schedule.warmup_epochs > config.schedule.epochs)
    throw std::invalid_argument("--warmup must be in [0, --epochs] (got " + std::to_string(config.schedule.warmup_epochs) +
                                " for " + std::to_string(config.schedule.epochs) + " epochs)");
  if (config.representation_epochs < 0 ||
      (config.representation_epochs > 0 && config.representation_epochs >= config.schedule.epochs))
    throw std::invalid_argument("--staged-epochs must be in [0, --epochs) (got " +
                                std::to_string(config.representation_epochs) + " of " +
                                std::to_string(config.schedule.epochs) + " epochs: --sampler would never be used)");
  if (config.amp && !resolve_device(config.device).cuda)
    throw std::invalid_argument("--amp (bfloat16 autocast) needs a CUDA device; --device " + config.device +
                                " resolves to the CPU");
  const UncertaintyConfig& u = config.uncertainty;
  if (u.eac && u.rul)
    throw std::invalid_argument("--eac and --rul exclude each other (RUL's mixed features have no attention maps)");
  if (u.scn && u.rul) throw std::invalid_argument("--scn and --rul exclude each other (both reshape the classifier's input)");
  if (u.candidate_labels && (u.rul || u.scn || u.phased() || config.loss.kind != LossKind::CrossEntropy))
    throw std::invalid_argument("--candidate-labels trains with the candidate-set cross-entropy: it takes --loss ce and "
                                "no --rul, --scn or --phased");
  if (config.group)
    if (const std::string why = data_parallel_refusal(config); !why.empty()) throw std::invalid_argument(why);
  if (u.eac && !(u.eac_lambda >= 0)) throw std::invalid_argument("--eac-lambda must be >= 0");
  if (u.scn && !(u.scn_warmup_share >= 0 && u.scn_warmup_share <= 1 && u.scn_class_cap >= 0 && u.scn_class_cap <= 1))
    throw std::invalid_argument("--scn-warmup and --scn-class-cap are shares in [0, 1]");
  if (u.scn && (u.scn_relabel_epoch < 1 || u.scn_relabel_epoch > config.schedule.epochs))
    throw std::invalid_argument("--scn-relabel-epoch must be in [1, --epochs] (got " +
                                std::to_string(u.scn_relabel_epoch) + "; no clip would be relabelled)");
  if (!u.au_names.empty() && !(u.au_weight > 0)) throw std::invalid_argument("--au-weight must be > 0");
  if (u.phased()) {
    if (config.loss.kind != LossKind::Coupling)
      throw std::invalid_argument("--phased schedules the coupling loss: use --loss coupling");
    if (u.phase2_epoch < 1 || u.phase3_epoch <= u.phase2_epoch || u.phase3_epoch > config.schedule.epochs + 1)
      throw std::invalid_argument("--phased A,B needs 1 <= A < B <= epochs + 1 (phase 2 from epoch A, phase 3 from B)");
  }
  if (clip_shape.size() == 4 && config.classes.size() >= 2) {
    auto model = build_model(config.model, static_cast<int>(config.classes.size()), static_cast<int>(clip_shape[0]),
                             config.cbam, resolve_head(config), u);
    model->eval();
    torch::NoGradGuard no_grad;
    std::vector<int64_t> shape{1};
    shape.insert(shape.end(), clip_shape.begin(), clip_shape.end());
    try {
      (void)model->forward(torch::zeros(shape));
    } catch (const c10::Error& e) {
      const std::string what = e.what_without_backtrace();
      throw std::invalid_argument("--model " + config.model + " cannot take clips of " + std::to_string(clip_shape[0]) +
                                  "x" + std::to_string(clip_shape[1]) + "x" + std::to_string(clip_shape[2]) + "x" +
                                  std::to_string(clip_shape[3]) + " (channels x --frames x --size): " +
                                  what.substr(0, what.find('\n')));
    }
  }
}

}  // namespace mexa::engine
