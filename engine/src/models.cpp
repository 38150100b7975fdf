#include "mexa/engine/models.h"

#include <ATen/autocast_mode.h>

#include <algorithm>
#include <fstream>
#include <functional>
#include <iterator>
#include <stdexcept>
#include <type_traits>

#include "batch_context.h"
#include "relu_bn_pool.h"
#include "strided_max_pool.h"

namespace mexa::engine {
namespace {

namespace nn = torch::nn;
using I3 = torch::ExpandingArray<3>;

nn::Conv3d conv(int64_t in, int64_t out, I3 kernel, I3 stride, I3 padding) {
  return nn::Conv3d(nn::Conv3dOptions(in, out, kernel).stride(stride).padding(padding).bias(false));
}

/// An ordered container like Python's nn.Sequential: children named "0", "1",
/// ... (so parameter names match torchvision's), and — unlike LibTorch's
/// Sequential — it may hold other Stacks.
struct StackImpl : nn::Module {
  template <typename ModuleHolder>
  void add(ModuleHolder module) {
    register_module(std::to_string(steps_.size()), module.ptr());
    if constexpr (std::is_same_v<ModuleHolder, nn::BatchNorm3d>)  // synchronised in data-parallel training
      steps_.push_back([module](torch::Tensor x) mutable { return batch_norm_step(*module, x); });
    else
      steps_.push_back([module](torch::Tensor x) mutable { return module->forward(x); });
  }
  torch::Tensor forward(torch::Tensor x) {
    for (auto& step : steps_) x = step(x);
    return x;
  }

 private:
  std::vector<std::function<torch::Tensor(torch::Tensor)>> steps_;
};
TORCH_MODULE(Stack);

nn::ReLU relu() { return nn::ReLU(nn::ReLUOptions(true)); }

/// The classifier's weights as the logits use them (unit rows for a cosine head), detached.
torch::Tensor head_weights(nn::Linear& fc, bool cosine) {
  namespace F = torch::nn::functional;
  const auto w = fc->weight.detach();
  return cosine ? F::normalize(w, F::NormalizeFuncOptions().dim(1)) : w;
}

/// Class activation maps of a globally average-pooled map [B, D, T, H, W]:
/// sum_d w_cd * map_d for every class, [B, C, T, H, W].
torch::Tensor pooled_cams(const torch::Tensor& map, nn::Linear& fc, bool cosine) {
  return torch::einsum("bdthw,cd->bcthw", {map, head_weights(fc, cosine)});
}

enum class ConvKind { Simple, NoTemporal, TwoPlusOne };

/// torchvision's conv builders (Conv3DSimple, Conv3DNoTemporal, Conv2Plus1D),
/// added to `into` as one child (Conv2Plus1D is itself a 4-step Stack).
void add_conv(Stack& into, ConvKind kind, int64_t in, int64_t out, int64_t mid, int64_t stride) {
  switch (kind) {
    case ConvKind::Simple: into->add(conv(in, out, {3, 3, 3}, {stride, stride, stride}, {1, 1, 1})); break;
    case ConvKind::NoTemporal: into->add(conv(in, out, {1, 3, 3}, {1, stride, stride}, {0, 1, 1})); break;
    case ConvKind::TwoPlusOne: {
      Stack inner;
      inner->add(conv(in, mid, {1, 3, 3}, {1, stride, stride}, {0, 1, 1}));
      inner->add(nn::BatchNorm3d(mid));
      inner->add(relu());
      inner->add(conv(mid, out, {3, 1, 1}, {stride, 1, 1}, {1, 0, 0}));
      into->add(inner);
      break;
    }
  }
}

I3 downsample_stride(ConvKind kind, int64_t stride) {
  return kind == ConvKind::NoTemporal ? I3({1, stride, stride}) : I3({stride, stride, stride});
}

/// torchvision's video BasicBlock: conv1 = (builder, BN, ReLU), conv2 = (builder, BN).
struct BasicBlockImpl : nn::Module {
  BasicBlockImpl(ConvKind kind, int64_t in, int64_t planes, int64_t stride) {
    const int64_t mid = (in * planes * 27) / (in * 9 + 3 * planes);
    Stack c1;
    add_conv(c1, kind, in, planes, mid, stride);
    c1->add(nn::BatchNorm3d(planes));
    c1->add(relu());
    conv1 = register_module("conv1", c1);
    Stack c2;
    add_conv(c2, kind, planes, planes, mid, 1);
    c2->add(nn::BatchNorm3d(planes));
    conv2 = register_module("conv2", c2);
    if (stride != 1 || in != planes) {
      Stack ds;
      ds->add(nn::Conv3d(nn::Conv3dOptions(in, planes, 1).stride(downsample_stride(kind, stride)).bias(false)));
      ds->add(nn::BatchNorm3d(planes));
      downsample = register_module("downsample", ds);
    }
  }

  torch::Tensor forward(torch::Tensor x) {
    torch::Tensor residual = downsample ? downsample->forward(x) : x;
    return torch::relu(conv2->forward(conv1->forward(x)) + residual);
  }

  Stack conv1{nullptr}, conv2{nullptr}, downsample{nullptr};
};
TORCH_MODULE(BasicBlock);

/// CBAM for [B, C, T, H, W]: channel attention from average- and max-pooled
/// descriptors through a shared MLP, then spatial attention from a (3, 7, 7)
/// convolution over the channel-wise average and max maps.
struct CbamImpl : nn::Module {
  explicit CbamImpl(int64_t channels, int64_t reduction = 8) {
    const int64_t hidden = std::max<int64_t>(1, channels / reduction);
    mlp1 = register_module("mlp1", nn::Linear(channels, hidden));
    mlp2 = register_module("mlp2", nn::Linear(hidden, channels));
    spatial = register_module("spatial", nn::Conv3d(nn::Conv3dOptions(2, 1, {3, 7, 7}).padding({1, 3, 3})));
  }
  torch::Tensor forward(torch::Tensor x) {
    auto mlp = [&](const torch::Tensor& v) { return mlp2(torch::relu(mlp1(v))); };
    const torch::Tensor avg = x.mean({2, 3, 4}), max = x.amax({2, 3, 4});
    x = x * torch::sigmoid(mlp(avg) + mlp(max)).view({x.size(0), x.size(1), 1, 1, 1});
    const torch::Tensor maps = torch::cat({x.mean(1, true), x.amax(1, true)}, 1);
    return x * torch::sigmoid(spatial(maps));
  }
  nn::Linear mlp1{nullptr}, mlp2{nullptr};
  nn::Conv3d spatial{nullptr};
};
TORCH_MODULE(Cbam);

class VideoResNet : public VideoModel {
 public:
  VideoResNet(const std::vector<ConvKind>& kinds, bool r2plus1d_stem, const ModelSpec& spec) : cosine_(spec.cosine_head) {
    Stack s;
    if (r2plus1d_stem) {
      s->add(conv(spec.in_channels, 45, {1, 7, 7}, {1, 2, 2}, {0, 3, 3}));
      s->add(nn::BatchNorm3d(45));
      s->add(relu());
      s->add(conv(45, 64, {3, 1, 1}, {1, 1, 1}, {1, 0, 0}));
      s->add(nn::BatchNorm3d(64));
      s->add(relu());
    } else {
      s->add(conv(spec.in_channels, 64, {3, 7, 7}, {1, 2, 2}, {1, 3, 3}));
      s->add(nn::BatchNorm3d(64));
      s->add(relu());
    }
    stem_ = register_module("stem", s);
    int64_t in = 64;
    const int64_t planes[4] = {64, 128, 256, 512};
    for (int l = 0; l < 4; ++l) {
      Stack layer;
      const int64_t stride = l == 0 ? 1 : 2;
      layer->add(BasicBlock(kinds[static_cast<size_t>(l)], in, planes[l], stride));
      layer->add(BasicBlock(kinds[static_cast<size_t>(l)], planes[l], planes[l], 1));
      in = planes[l];
      layers_.push_back(register_module("layer" + std::to_string(l + 1), layer));
      if (spec.cbam) cbams_.push_back(register_module("cbam" + std::to_string(l + 1), Cbam(planes[l])));
    }
    fc_ = register_module("fc", nn::Linear(512, spec.num_classes));
    if (spec.initialise) initialise_as_torchvision();
  }

  /// torchvision's VideoResNet initialisation.
  void initialise_as_torchvision() {
    for (auto& m : modules(/*include_self=*/false)) {
      if (auto* c = m->as<nn::Conv3d>()) nn::init::kaiming_normal_(c->weight, 0.0, torch::kFanOut, torch::kReLU);
      if (auto* b = m->as<nn::BatchNorm3d>()) {
        nn::init::ones_(b->weight);
        nn::init::zeros_(b->bias);
      }
      if (auto* f = m->as<nn::Linear>()) {
        nn::init::normal_(f->weight, 0, 0.01);
        nn::init::zeros_(f->bias);
      }
    }
  }

  torch::Tensor feature_map(torch::Tensor x) override {
    x = stem_->forward(x);
    for (size_t l = 0; l < layers_.size(); ++l) {
      x = layers_[l]->forward(x);
      if (!cbams_.empty()) x = cbams_[l]->forward(x);
    }
    return x;
  }
  torch::Tensor pool(torch::Tensor map) override { return torch::adaptive_avg_pool3d(map, {1, 1, 1}).flatten(1); }
  torch::Tensor head(torch::Tensor f) override { return apply_head(fc_, f, cosine_); }
  torch::Tensor classify(torch::Tensor f) override { return apply_head(fc_, f, cosine_); }
  torch::Tensor cams(torch::Tensor map) override { return pooled_cams(map, fc_, cosine_); }
  int64_t feature_dim() const override { return 512; }

 private:
  Stack stem_{nullptr};
  std::vector<Stack> layers_;
  std::vector<Cbam> cbams_;
  nn::Linear fc_{nullptr};
  bool cosine_ = false;
};

/// Max pooling with stride = kernel that keeps a dimension shorter than its
/// window (one output, ceil mode) instead of failing: a few flow fields pass
/// small3d's temporal pooling. Other inputs pool exactly as floor-mode
/// MaxPool3d (earlier checkpoints predict as before).
struct ShortSafePoolImpl : nn::Module {
  explicit ShortSafePoolImpl(std::vector<int64_t> kernel) : kernel_(std::move(kernel)) {}
  torch::Tensor forward(const torch::Tensor& x) {
    bool short_dim = false;
    for (size_t d = 0; d < 3; ++d) short_dim = short_dim || x.size(static_cast<int64_t>(d) + 2) < kernel_[d];
    // Scoring and evaluation on the CPU: the same values, ~9x faster.
    if (!short_dim && x.device().is_cpu() && !torch::GradMode::is_enabled()) return strided_max_pool(x, kernel_);
    return torch::max_pool3d(x, kernel_, kernel_, 0, 1, /*ceil_mode=*/short_dim);
  }
  std::vector<int64_t> kernel_;
};
TORCH_MODULE(ShortSafePool);

/// Three conv blocks (16, 32, 64 channels), global pooling, a linear head.
class Small3D : public VideoModel {
 public:
  explicit Small3D(const ModelSpec& spec) : cosine_(spec.cosine_head) {
    Stack body;
    int64_t in = spec.in_channels;
    for (int64_t out : {16, 32, 64}) {
      body->add(nn::Conv3d(nn::Conv3dOptions(in, out, 3).padding(1).bias(false)));
      body->add(nn::BatchNorm3d(out));
      body->add(relu());
      if (spec.cbam) body->add(Cbam(out));
      // Keep time resolution in the first block: micro-movements are brief.
      body->add(ShortSafePool(std::vector<int64_t>{in == spec.in_channels ? 1 : 2, 2, 2}));
      in = out;
    }
    body_ = register_module("body", body);
    dropout_ = register_module("dropout", nn::Dropout(0.3));
    fc_ = register_module("fc", nn::Linear(64, spec.num_classes));
  }
  torch::Tensor feature_map(torch::Tensor x) override { return body_->forward(x); }
  torch::Tensor pool(torch::Tensor map) override { return torch::adaptive_avg_pool3d(map, {1, 1, 1}).flatten(1); }
  torch::Tensor head(torch::Tensor f) override { return apply_head(fc_, dropout_step(*dropout_, f), cosine_); }
  torch::Tensor classify(torch::Tensor f) override { return apply_head(fc_, f, cosine_); }
  torch::Tensor cams(torch::Tensor map) override { return pooled_cams(map, fc_, cosine_); }
  int64_t feature_dim() const override { return 64; }

 private:
  Stack body_{nullptr};
  nn::Dropout dropout_{nullptr};
  nn::Linear fc_{nullptr};
  bool cosine_ = false;
};

/// STSTNet-style: three shallow streams (3, 5, 8 channels of 3x3 convs) on the
/// 28x28 flow features, each ReLU, batch norm, 3x3 max pooling (stride 3);
/// concatenated (16 channels), 2x2 average pooling, one linear layer.
class StstNet : public VideoModel {
 public:
  explicit StstNet(const ModelSpec& spec) : cosine_(spec.cosine_head) {
    int index = 0;
    for (int64_t channels : {3, 5, 8}) {
      Stack stream;
      convs_.emplace_back(nn::Conv3dOptions(spec.in_channels, channels, {1, 3, 3}).padding({0, 1, 1}));
      norms_.emplace_back(channels);
      stream->add(convs_.back());
      stream->add(relu());
      stream->add(norms_.back());
      stream->add(nn::MaxPool3d(nn::MaxPool3dOptions({1, 3, 3}).stride({1, 3, 3}).padding({0, 1, 1})));
      streams_.push_back(register_module("stream" + std::to_string(++index), stream));
    }
    if (spec.cbam) cbam_ = register_module("cbam1", Cbam(16, 4));
    dropout_ = register_module("dropout", nn::Dropout(0.5));
    fc_ = register_module("fc", nn::Linear(16 * 5 * 5, spec.num_classes));
  }
  /// [B, 16, 1, 5, 5]: the streams' maps pooled to the 5x5 grid the classifier reads.
  torch::Tensor feature_map(torch::Tensor x) override {
    torch::Tensor y;
    if (fused_applies(x)) {
      y = fused_streams(x);
      if (!cbam_ && y.size(3) == 5 && y.size(4) == 5) return y;  // pooled to 5x5 already
    } else {
      std::vector<torch::Tensor> outs;
      for (auto& s : streams_) outs.push_back(s->forward(x));
      y = torch::cat(outs, 1);
    }
    if (cbam_) y = cbam_->forward(y);
    // 28x28 -> 10x10 after pooling -> 5x5 here; other sizes (and several flow fields) pool to 1x5x5 as well.
    return torch::adaptive_avg_pool3d(y, {1, 5, 5});
  }
  torch::Tensor pool(torch::Tensor map) override { return map.flatten(1); }
  torch::Tensor head(torch::Tensor f) override { return apply_head(fc_, dropout_step(*dropout_, f), cosine_); }
  torch::Tensor classify(torch::Tensor f) override { return apply_head(fc_, f, cosine_); }
  /// The classifier reads every cell of the 5x5 grid with its own weights, so
  /// the map is each cell's contribution: sum_d w_c,(d,cell) * map_(d,cell).
  torch::Tensor cams(torch::Tensor map) override {
    const auto w = head_weights(fc_, cosine_).view({-1, map.size(1), map.size(2), map.size(3), map.size(4)});
    return torch::einsum("bdthw,cdthw->bcthw", {map, w});
  }
  int64_t feature_dim() const override { return 16 * 5 * 5; }

 private:
  /// The three streams as one: a 16-channel 2D convolution (the streams'
  /// kernels stacked), then relu_bn_pool over all 16 channels. The same
  /// function and parameters, about twice as fast on the CPU (docs/training.md).
  /// For one float32 flow image on the CPU, outside synchronised batch norm.
  bool fused_applies(const torch::Tensor& x) const {
    const BatchContext* context = current_batch();
    const auto& bn = norms_.front();
    return x.device().is_cpu() && x.scalar_type() == torch::kFloat && x.dim() == 5 && x.size(2) == 1 &&
           !x.requires_grad() && !(context && context->group && bn->is_training()) &&
           !at::autocast::is_autocast_enabled(at::kCPU) && bn->options.momentum().has_value();
  }
  torch::Tensor fused_streams(const torch::Tensor& x) {
    std::vector<torch::Tensor> weights, biases, gammas, betas, means, vars;
    for (size_t i = 0; i < convs_.size(); ++i) {
      weights.push_back(convs_[i]->weight.squeeze(2));
      biases.push_back(convs_[i]->bias);
      gammas.push_back(norms_[i]->weight);
      betas.push_back(norms_[i]->bias);
      means.push_back(norms_[i]->running_mean);
      vars.push_back(norms_[i]->running_var);
    }
    const auto z = torch::conv2d(x.squeeze(2), torch::cat(weights), torch::cat(biases), 1, 1);
    auto mean = torch::cat(means), var = torch::cat(vars);
    const auto& bn = norms_.front()->options;
    ReluBnPoolOptions options;
    options.eps = bn.eps();
    options.momentum = *bn.momentum();
    options.training = norms_.front()->is_training();
    // 28x28 -> 10x10 -> 5x5: the classifier's average pooling too, unless the attention block comes between.
    const int64_t pooled = max_pooled_size(x.size(3), options.window, options.padding);
    if (!cbam_ && pooled % 5 == 0 && pooled == max_pooled_size(x.size(4), options.window, options.padding))
      options.average = pooled / 5;
    auto y = relu_bn_pool(z, torch::cat(gammas), torch::cat(betas), mean, var, options);
    if (options.training) {  // the updated running statistics back into each stream's batch norm
      torch::NoGradGuard no_grad;
      int64_t first = 0;
      for (auto& norm : norms_) {
        const int64_t n = norm->running_mean.size(0);
        norm->running_mean.copy_(mean.narrow(0, first, n));
        norm->running_var.copy_(var.narrow(0, first, n));
        norm->num_batches_tracked.add_(1);
        first += n;
      }
    }
    return y.unsqueeze(2);
  }

  std::vector<Stack> streams_;
  std::vector<nn::Conv3d> convs_;
  std::vector<nn::BatchNorm3d> norms_;
  Cbam cbam_{nullptr};
  nn::Dropout dropout_{nullptr};
  nn::Linear fc_{nullptr};
  bool cosine_ = false;
};

}  // namespace

torch::Tensor apply_head(nn::Linear& fc, const torch::Tensor& x, bool cosine) {
  if (!cosine) return fc->forward(x);
  namespace F = torch::nn::functional;
  const auto unit = F::NormalizeFuncOptions().dim(1);
  return F::linear(F::normalize(x, unit), F::normalize(fc->weight, unit));
}

std::vector<std::string> model_names() { return {"r3d_18", "mc3_18", "r2plus1d_18", "small3d", "ststnet"}; }

std::shared_ptr<VideoModel> make_model(const std::string& name, const ModelSpec& spec) {
  using K = ConvKind;
  if (name == "r3d_18") return std::make_shared<VideoResNet>(std::vector<K>(4, K::Simple), false, spec);
  if (name == "mc3_18")
    return std::make_shared<VideoResNet>(std::vector<K>{K::Simple, K::NoTemporal, K::NoTemporal, K::NoTemporal}, false,
                                         spec);
  if (name == "r2plus1d_18") return std::make_shared<VideoResNet>(std::vector<K>(4, K::TwoPlusOne), true, spec);
  if (name == "small3d") return std::make_shared<Small3D>(spec);
  if (name == "ststnet") return std::make_shared<StstNet>(spec);
  throw std::invalid_argument("unknown model '" + name + "' (r3d_18, mc3_18, r2plus1d_18, small3d, ststnet)");
}

void load_state_dict(torch::nn::Module& model, const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error(path + ": cannot open the weights file");
  const std::vector<char> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  torch::IValue loaded;
  try {
    loaded = torch::pickle_load(bytes);
  } catch (const std::exception& e) {
    // LibTorch's unpickler turns Python's OrderedDict (what torch.save writes for
    // a state_dict) into None and then fails: say what to do about it.
    const std::string what = e.what();
    throw std::runtime_error(path + ": LibTorch cannot read this file" +
                             (what.find("got None") != std::string::npos
                                  ? " (a raw Python state_dict, i.e. an OrderedDict); convert it once with "
                                    "scripts/convert_state_dict.py IN OUT"
                                  : ": " + what.substr(0, what.find('\n'))));
  }
  if (loaded.isNone())
    throw std::runtime_error(path + ": holds a Python OrderedDict (a raw state_dict), which LibTorch cannot read; "
                                    "convert it once with scripts/convert_state_dict.py IN OUT");
  if (!loaded.isGenericDict()) throw std::runtime_error(path + ": holds no dictionary of tensors");
  std::unordered_map<std::string, torch::Tensor> tensors;
  for (const auto& item : loaded.toGenericDict()) tensors[item.key().toStringRef()] = item.value().toTensor();

  torch::NoGradGuard no_grad;
  auto copy = [&](const std::string& name, torch::Tensor& target) {
    const auto it = tensors.find(name);
    if (it == tensors.end()) throw std::runtime_error(path + ": missing '" + name + "'");
    if (it->second.sizes() != target.sizes())
      throw std::runtime_error(path + ": '" + name + "' has shape " + c10::str(it->second.sizes()) + ", the model " +
                               c10::str(target.sizes()));
    target.copy_(it->second);
  };
  for (auto& p : model.named_parameters()) copy(p.key(), p.value());
  for (auto& b : model.named_buffers()) copy(b.key(), b.value());
}

}  // namespace mexa::engine
