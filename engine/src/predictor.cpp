// engine::Predictor: batch inference from a checkpoint.
#include <torch/torch.h>

#include <algorithm>
#include <exception>
#include <future>
#include <map>
#include <mutex>

#include "checkpoint.h"
#include "method_model.h"
#include "mexa/engine/device.h"
#include "mexa/engine/losses.h"
#include "mexa/engine/malloc_tuning.h"
#include "mexa/engine/trainer.h"
#include "prefetcher.h"

namespace mexa::engine {

struct Predictor::Impl {
  CheckpointInfo info;
  torch::Device device{torch::kCPU};
  std::shared_ptr<VideoModel> model;
  torch::Tensor logit_offset;  ///< post-hoc logit adjustment (tau log prior); undefined: none
  std::mutex loading_mutex;
  std::exception_ptr load_error;
  /// A background load (Loading::Background). Declared last, so destroyed
  /// first: the destructor waits for the loading thread before the members
  /// it writes go.
  std::future<void> loading;

  void wait_loaded() {
    std::lock_guard lock(loading_mutex);
    if (loading.valid()) {
      try {
        loading.get();
      } catch (const std::exception&) {  // kept, and thrown again at every call
        load_error = std::current_exception();
      }
    }
    if (load_error) std::rethrow_exception(load_error);
  }
};

namespace {

/// Builds the checkpoint's model and loads its weights into impl.model.
void load_weights(Predictor::Impl& impl, torch::serialize::InputArchive& archive, const std::string& checkpoint) {
  const auto& info = impl.info;
  auto model = build_model(info.model, static_cast<int>(info.classes.size()), info.in_channels, info.cbam, info.head,
                           heads_of(info), /*initialise=*/false);  // the checkpoint's weights follow
  model->to(impl.device);
  // LibTorch's load replaces each tensor whatever its shape: the model's own
  // shapes are checked after it.
  std::vector<std::pair<std::string, std::vector<int64_t>>> shapes;
  for (const auto& t : model->named_parameters()) shapes.emplace_back(t.key(), t.value().sizes().vec());
  for (const auto& t : model->named_buffers()) shapes.emplace_back(t.key(), t.value().sizes().vec());
  torch::serialize::InputArchive model_archive;
  archive.read("model", model_archive);
  try {
    model->load(model_archive);
  } catch (const std::exception& e) {
    throw std::runtime_error(checkpoint + ": weights do not fit the model (" +
                             std::string(e.what()).substr(0, std::string(e.what()).find('\n')) + ")");
  }
  const auto loaded = [&] {
    std::map<std::string, std::vector<int64_t>> out;
    for (const auto& t : model->named_parameters()) out[t.key()] = t.value().sizes().vec();
    for (const auto& t : model->named_buffers()) out[t.key()] = t.value().sizes().vec();
    return out;
  }();
  for (const auto& [name, shape] : shapes)
    if (const auto it = loaded.find(name); it != loaded.end() && it->second != shape)
      throw std::runtime_error(checkpoint + ": weights do not fit the model (" + name + " is " +
                               c10::str(c10::IntArrayRef(it->second)) + " in the file, " +
                               c10::str(c10::IntArrayRef(shape)) + " in " + info.model + ")");
  model->eval();
  impl.model = std::move(model);
}

}  // namespace

Predictor::Predictor(const std::string& checkpoint, const std::string& device, Loading loading)
    : impl_(std::make_unique<Impl>()) {
  impl_->device = torch::Device(resolve_device(device).name);
  // Batches repeat their activations' sizes: reuse the blocks (malloc_tuning.h).
  if (impl_->device.is_cpu()) use_cpu_block_cache();
  auto archive = std::make_shared<torch::serialize::InputArchive>(open_archive(checkpoint, impl_->device));
  impl_->info = info_from_archive(*archive, checkpoint);
  auto load = [impl = impl_.get(), archive = std::move(archive), checkpoint]() mutable {
    load_weights(*impl, *archive, checkpoint);
    // The archive (with any optimizer state) and the first initialisation's
    // weights are freed now; their blocks would sit beside the activations'.
    archive.reset();
    if (impl->device.is_cpu()) release_cpu_block_cache();
  };
  if (loading == Loading::Now)
    load();
  else
    impl_->loading = std::async(std::launch::async, std::move(load));
}

Predictor::~Predictor() = default;
Predictor::Predictor(Predictor&&) noexcept = default;
Predictor& Predictor::operator=(Predictor&&) noexcept = default;
const CheckpointInfo& Predictor::info() const { return impl_->info; }
void Predictor::wait_until_loaded() { impl_->wait_loaded(); }
std::string Predictor::device_name() const { return impl_->device.str(); }

void Predictor::set_logit_adjustment(double tau) {
  if (tau == 0) {
    impl_->logit_offset = torch::Tensor();
    return;
  }
  const auto& counts = impl_->info.class_counts;
  if (counts.size() != impl_->info.classes.size())
    throw std::invalid_argument(impl_->info.path + ": the checkpoint stores no training class counts (trained by an "
                                "older mexa); post-hoc logit adjustment needs them");
  impl_->logit_offset = posthoc_adjust(torch::zeros({1, static_cast<int64_t>(counts.size())}), counts, tau).neg();
}

/// Outputs for `inputs` (undefined tensors: failed clips, !ok).
static std::vector<Predictor::Output> predict_tensors(Predictor::Impl& impl, const std::vector<torch::Tensor>& inputs) {
  std::vector<Predictor::Output> outputs(inputs.size());
  std::vector<torch::Tensor> loaded;
  std::vector<size_t> where;
  for (size_t i = 0; i < inputs.size(); ++i) {
    if (!inputs[i].defined()) continue;
    loaded.push_back(inputs[i]);
    where.push_back(i);
  }
  if (loaded.empty()) return outputs;
  torch::NoGradGuard no_grad;
  const auto x = torch::stack(loaded).to(impl.device);
  const auto map = impl.model->feature_map(x);
  const auto features = impl.model->pool(map);
  auto* method = dynamic_cast<MethodModel*>(impl.model.get());
  torch::Tensor aus;
  if (method && method->has_au())
    aus = torch::sigmoid(method->au_logits(method->base().pool(map))).to(torch::kCPU, torch::kFloat32).contiguous();
  auto logits = impl.model->classify(features).to(torch::kFloat32) * impl.info.logit_scale;
  if (impl.logit_offset.defined()) logits = logits - impl.logit_offset.to(logits.device());
  const auto probs = torch::softmax(logits, 1).to(torch::kCPU).contiguous();
  const auto feats = features.to(torch::kCPU, torch::kFloat32).contiguous();
  for (size_t k = 0; k < where.size(); ++k) {
    Predictor::Output& o = outputs[where[k]];
    o.ok = true;
    const float* p = probs[static_cast<int64_t>(k)].data_ptr<float>();
    o.probs.assign(p, p + probs.size(1));
    const float* f = feats[static_cast<int64_t>(k)].data_ptr<float>();
    o.features.assign(f, f + feats.size(1));
    if (aus.defined()) {
      const float* a = aus[static_cast<int64_t>(k)].data_ptr<float>();
      o.au_probs.assign(a, a + aus.size(1));
    }
  }
  return outputs;
}

std::vector<Predictor::Output> Predictor::predict(const std::vector<ClipArray>& clips) {
  impl_->wait_loaded();
  std::vector<torch::Tensor> inputs;
  for (const auto& clip : clips) inputs.push_back(clip.data.empty() ? torch::Tensor() : to_tensor(clip));
  return predict_tensors(*impl_, inputs);
}

std::vector<Predictor::Output> Predictor::predict_all(ClipSource& source, const std::vector<int64_t>& indices,
                                                      int batch_size, int workers,
                                                      const std::function<void(int64_t, int64_t)>& on_batch) {
  impl_->wait_loaded();
  // Failed clips travel as undefined tensors and come back !ok.
  Prefetcher prefetcher(
      chunk(indices, std::max(1, batch_size)),
      [&](int64_t index, int worker) {
        auto clip = source.load(index, 0, worker);
        return clip.data.empty() ? torch::Tensor() : to_tensor(std::move(clip));
      },
      workers, 4);
  std::vector<Output> outputs;
  for (size_t b = 0; b < prefetcher.size(); ++b) {
    for (auto& o : predict_tensors(*impl_, prefetcher.next())) outputs.push_back(std::move(o));
    if (on_batch) on_batch(static_cast<int64_t>(outputs.size()), static_cast<int64_t>(indices.size()));
  }
  return outputs;
}

}  // namespace mexa::engine
