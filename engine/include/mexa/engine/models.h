// Spatiotemporal models on [B, C, T, H, W] float input, by name:
//   r3d_18, mc3_18, r2plus1d_18  torchvision's VideoResNet-18 family, with
//                                torchvision's parameter names, so a torchvision
//                                state_dict (.pth from torch.save) loads as is
//   small3d                      a small 3D CNN sized for CPU work (1x16x64x64 grey)
//   ststnet                      STSTNet-style three-stream shallow net on onset->apex
//                                flow features: input [B, 3, 1, 28, 28] (u, v, strain);
//                                streams of 3, 5 and 8 3x3 conv channels, max pooling,
//                                average pooling, one linear layer
// ModelSpec::cosine_head turns the last linear layer into a cosine classifier.
// ModelSpec::cbam adds a CBAM block (channel then spatial attention, Woo et al.
// 2018) after every stage; its parameters are named cbamN..., so torchvision
// weights still load with strict names only when cbam is off.
// Every model returns logits from forward() and the penultimate embedding
// from features() (the apex feature stored in results files), and exposes the
// steps in between (feature_map -> pool -> head) and class activation maps,
// which the label-uncertainty methods (uncertainty.h) train with.
//
// LibTorch header: include it only from engine .cpp files and engine tests.
//
//   auto model = mexa::engine::make_model("r3d_18", {.num_classes = 7});
//   mexa::engine::load_state_dict(*model, "r3d_18_kinetics.pth");
//   torch::Tensor logits = model->forward(clips);
#pragma once

#include <torch/torch.h>

#include <memory>
#include <string>
#include <vector>

namespace mexa::engine {

struct ModelSpec {
  int num_classes = 7;
  int in_channels = 3;  ///< r3d/mc3/r2plus1d need 3 to load torchvision weights
  bool cbam = false;     ///< add CBAM attention after every stage
  /// Cosine classifier (LDAM's NormedLinear): logits = <x/|x|, w_c/|w_c|> in
  /// [-1, 1], no bias term used; the margin losses scale them by s. Same
  /// parameter names as the linear head.
  bool cosine_head = false;
  /// false: leave the parameters as LibTorch's modules made them, skipping
  /// the model's own initialisation (torchvision's, for the VideoResNets),
  /// when weights will be loaded over them anyway. For r3d_18 that
  /// initialisation (a normal draw per convolution weight) is about 0.3 s of
  /// the time `mexa score` takes to load a checkpoint.
  bool initialise = true;
};

class VideoModel : public torch::nn::Module {
 public:
  /// The last convolutional block's output, [B, D', T, H, W].
  virtual torch::Tensor feature_map(torch::Tensor x) = 0;
  /// The embedding of a feature map, [B, D].
  virtual torch::Tensor pool(torch::Tensor map) = 0;
  /// Training logits of an embedding: dropout (in training mode), then the classifier.
  virtual torch::Tensor head(torch::Tensor features) = 0;
  /// Logits from features() output, as forward() computes them in eval mode
  /// (dropout off): scoring gets embedding and logits from one pass.
  virtual torch::Tensor classify(torch::Tensor features) = 0;
  /// Class activation maps of a feature map with the classifier's weights
  /// (detached): [B, num_classes, T, H, W] (EAC's attention maps).
  virtual torch::Tensor cams(torch::Tensor map) = 0;
  virtual int64_t feature_dim() const = 0;

  virtual torch::Tensor features(torch::Tensor x) { return pool(feature_map(x)); }  ///< [B, D]
  virtual torch::Tensor forward(torch::Tensor x) { return head(features(x)); }      ///< [B, num_classes]
};

/// A classifier's logits: fc's affine map, or with `cosine` the cosine of the
/// angle between the embedding and each class weight (bias unused).
torch::Tensor apply_head(torch::nn::Linear& fc, const torch::Tensor& x, bool cosine);

/// Throws std::invalid_argument for an unknown name.
std::shared_ptr<VideoModel> make_model(const std::string& name, const ModelSpec& spec);
std::vector<std::string> model_names();

/// Loads a state_dict saved by Python's torch.save (zip format) into `model`:
/// every parameter and buffer of the model must be in the file with the same
/// shape. Throws std::runtime_error naming the file and the first mismatch.
void load_state_dict(torch::nn::Module& model, const std::string& path);

}  // namespace mexa::engine
