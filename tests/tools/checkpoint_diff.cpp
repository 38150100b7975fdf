// checkpoint_diff A.pt B.pt: the largest absolute difference between the
// weights and buffers of two mexa checkpoints of the same model (one line:
// "max_abs_diff X over N tensors"); exit 2 when they are not comparable.
// Used by the data-parallel test (1 process vs 2 ranks).
#include <torch/torch.h>

#include <cstdio>

#include "checkpoint.h"

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: checkpoint_diff A.pt B.pt\n");
    return 2;
  }
  using namespace mexa::engine;
  std::vector<std::shared_ptr<VideoModel>> models;
  for (int i = 1; i <= 2; ++i) {
    auto archive = open_archive(argv[i], torch::kCPU);
    const auto info = info_from_archive(archive, argv[i]);
    auto model = build_model(info.model, static_cast<int>(info.classes.size()), info.in_channels, info.cbam, info.head,
                             heads_of(info));
    torch::serialize::InputArchive weights;
    archive.read("model", weights);
    model->load(weights);
    models.push_back(model);
  }
  const auto a = models[0]->named_parameters(), b = models[1]->named_parameters();
  const auto ab = models[0]->named_buffers(), bb = models[1]->named_buffers();
  if (a.size() != b.size() || ab.size() != bb.size()) {
    std::fprintf(stderr, "the checkpoints hold different models\n");
    return 2;
  }
  double worst = 0;
  size_t n = 0;
  for (const auto* pair : {&a, &ab}) {
    const auto& other = pair == &a ? b : bb;
    for (const auto& item : *pair) {
      const auto x = item.value().to(torch::kFloat64), y = other[item.key()].to(torch::kFloat64);
      worst = std::max(worst, (x - y).abs().max().item<double>());
      ++n;
    }
  }
  std::printf("max_abs_diff %.3g over %zu tensors\n", worst, n);
  return 0;
}
