// engine models: shapes for any T/H/W, and torchvision compatibility — a
// torchvision state_dict loads and gives torchvision's output (<= 1e-4).
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <set>

#include "mexa/engine/models.h"

namespace mexa::engine {
namespace {

torch::Dict<torch::IValue, torch::IValue> load_dict(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  const std::vector<char> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return torch::pickle_load(bytes).toGenericDict();
}

class TorchvisionParity : public ::testing::TestWithParam<std::string> {};

TEST_P(TorchvisionParity, StateDictLoadsAndOutputsMatch) {
  const std::string dir = MEXA_TORCHVISION_REFERENCE;
  const std::string weights = dir + "/" + GetParam() + ".pt";
  if (!std::filesystem::exists(weights)) GTEST_SKIP() << "no reference data (torchvision not installed)";
  auto model = make_model(GetParam(), {.num_classes = 7});
  load_state_dict(*model, weights);
  model->eval();
  torch::NoGradGuard no_grad;
  const auto io = load_dict(dir + "/" + GetParam() + "_io.pt");
  const torch::Tensor input = io.at("input").toTensor();
  const torch::Tensor expected = io.at("output").toTensor();
  const torch::Tensor got = model->forward(input);
  ASSERT_EQ(got.sizes(), expected.sizes());
  const float diff = (got - expected).abs().max().item<float>();
  std::cout << "[ PARITY   ] " << GetParam() << ": max |mexa - torchvision| = " << diff << "\n";
  EXPECT_LE(diff, 1e-4f);
}

INSTANTIATE_TEST_SUITE_P(VideoResNets, TorchvisionParity, ::testing::Values("r3d_18", "mc3_18", "r2plus1d_18"),
                         [](const auto& info) { return info.param; });

TEST(Models, AnyClipShapeGivesLogitsAndFeatures) {
  torch::NoGradGuard no_grad;
  const std::vector<std::pair<std::string, std::vector<int64_t>>> cases{
      {"small3d", {2, 1, 16, 64, 64}}, {"small3d", {1, 1, 5, 40, 48}}, {"r3d_18", {1, 3, 4, 32, 32}},
      {"mc3_18", {1, 3, 8, 48, 40}},   {"r2plus1d_18", {1, 3, 6, 32, 32}}, {"ststnet", {4, 3, 1, 28, 28}},
      {"ststnet", {1, 3, 1, 42, 42}},  {"ststnet", {2, 3, 3, 28, 28}}, {"small3d", {2, 3, 3, 28, 28}},
      {"small3d", {1, 3, 1, 28, 28}}};  // several flow fields; one field
  for (const bool cbam : {false, true})
    for (const auto& [name, shape] : cases) {
      auto model = make_model(name, {.num_classes = 7, .in_channels = static_cast<int>(shape[1]), .cbam = cbam});
      model->eval();
      const torch::Tensor x = torch::randn(shape);
      EXPECT_EQ(model->forward(x).sizes(), (std::vector<int64_t>{shape[0], 7})) << name << " cbam " << cbam;
      EXPECT_EQ(model->features(x).size(1), model->feature_dim()) << name;
    }
  EXPECT_THROW(make_model("resnet50", {}), std::invalid_argument);
}

TEST(Models, CbamAddsItsOwnParametersOnly) {
  auto plain = make_model("r3d_18", {});
  auto with = make_model("r3d_18", {.cbam = true});
  const auto names = [](const std::shared_ptr<VideoModel>& m) {
    std::set<std::string> out;
    for (const auto& p : m->named_parameters()) out.insert(p.key());
    return out;
  };
  const auto a = names(plain), b = names(with);
  for (const auto& n : a) EXPECT_TRUE(b.count(n)) << n;  // torchvision's names unchanged
  int extra = 0;
  for (const auto& n : b) extra += !a.count(n) && n.rfind("cbam", 0) == 0;
  EXPECT_EQ(extra + a.size(), b.size());
  EXPECT_GT(extra, 0);
}

TEST(Models, InitialiseFalseKeepsLibTorchsDefaultsAndTheSameParameters) {
  // torchvision draws the classifier from N(0, 0.01); LibTorch's Linear is
  // uniform in +-1/sqrt(512) (std 0.0255). The Predictor skips the former.
  torch::manual_seed(0);
  auto torchvision = make_model("r3d_18", {});
  auto bare = make_model("r3d_18", {.initialise = false});
  const auto fc_std = [](const std::shared_ptr<VideoModel>& m) {
    return m->named_parameters()["fc.weight"].std().item<double>();
  };
  EXPECT_NEAR(fc_std(torchvision), 0.01, 0.001);
  EXPECT_NEAR(fc_std(bare), 1.0 / std::sqrt(512.0) / std::sqrt(3.0), 0.002);
  EXPECT_EQ(torchvision->named_parameters().keys(), bare->named_parameters().keys());
  EXPECT_EQ(torchvision->named_buffers().keys(), bare->named_buffers().keys());
}

TEST(Models, SmallModelsTrainOnATinyProblem) {
  // Two classes told apart by the sign of a blob: a few steps of SGD must cut the loss.
  torch::manual_seed(3);
  auto model = make_model("small3d", {.num_classes = 2, .in_channels = 1});
  torch::optim::SGD optimizer(model->parameters(), torch::optim::SGDOptions(0.05).momentum(0.9));
  const torch::Tensor x = torch::randn({8, 1, 4, 16, 16});
  torch::Tensor y = torch::tensor({0, 1, 0, 1, 0, 1, 0, 1}, torch::kLong);
  torch::Tensor inputs = x.clone();
  inputs.index_put_({torch::indexing::Slice(1, torch::indexing::None, 2)}, x.index({torch::indexing::Slice(1, torch::indexing::None, 2)}) + 2.0);
  model->train();
  float first = 0, last = 0;
  for (int step = 0; step < 30; ++step) {
    optimizer.zero_grad();
    const torch::Tensor loss = torch::nn::functional::cross_entropy(model->forward(inputs), y);
    loss.backward();
    optimizer.step();
    if (step == 0) first = loss.item<float>();
    last = loss.item<float>();
  }
  EXPECT_LT(last, 0.5f * first);
}

TEST(Models, LoadingNamesTheFileAndTheMismatch) {
  auto model = make_model("small3d", {.num_classes = 7, .in_channels = 1});
  EXPECT_THROW(load_state_dict(*model, "/nonexistent/weights.pt"), std::runtime_error);
  const std::string weights = std::string(MEXA_TORCHVISION_REFERENCE) + "/r3d_18.pt";
  if (!std::filesystem::exists(weights)) GTEST_SKIP() << "no reference data (torchvision not installed)";
  try {
    load_state_dict(*model, std::string(MEXA_TORCHVISION_REFERENCE) + "/r3d_18_ordereddict.pth");
    FAIL() << "a raw OrderedDict cannot be read";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("convert_state_dict.py"), std::string::npos) << e.what();
  }
  try {
    load_state_dict(*model, weights);  // small3d's names are not r3d_18's
    FAIL();
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("r3d_18.pt: missing 'body.0.weight'"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace mexa::engine
