// Training-step time and inference throughput of each engine model on the CPU
// (LibTorch), printed as JSON lines for bench/model_speed.py to compare with
// the same models in Python PyTorch.
//
//   build/bench/model_speed [--threads 2] [--quick]
//   build/bench/model_speed --infer-only MODEL C,T,H,W BATCH [--repeats 5] [--threads 2]
//       inference only, one case (the model-only rate beside `mexa score`, bench/score_vs_python.py)
//       [--clips N]: first, N clips' forward passes from a cold start (ceil(N / BATCH) batches, the
//       first one included, as a process scoring N clips runs them), reported as forward_s
#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <functional>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "mexa/engine/malloc_tuning.h"
#include "mexa/engine/models.h"

namespace {

struct Case {
  std::string model;
  std::vector<int64_t> shape;  // one clip [C, T, H, W]
  int batch;
  int repeats;
};

double median_seconds(int repeats, const std::function<void()>& step) {
  step();  // warm-up (allocator, kernels)
  std::vector<double> s;
  for (int i = 0; i < repeats; ++i) {
    const auto t0 = std::chrono::steady_clock::now();
    step();
    s.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  }
  std::sort(s.begin(), s.end());
  return s[s.size() / 2];
}

/// The case's model (7 classes) and one random input batch.
std::pair<std::shared_ptr<mexa::engine::VideoModel>, torch::Tensor> model_and_batch(const Case& c) {
  auto model = mexa::engine::make_model(c.model, {.num_classes = 7, .in_channels = static_cast<int>(c.shape[0])});
  std::vector<int64_t> shape{c.batch};
  shape.insert(shape.end(), c.shape.begin(), c.shape.end());
  return {model, torch::randn(shape)};
}

}  // namespace

int main(int argc, char** argv) {
  mexa::engine::tune_malloc();  // as mexa-torch does
  int threads = 2, repeats = 5, clips = 0;
  bool quick = false;
  std::optional<Case> infer_only;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--threads" && i + 1 < argc) threads = std::stoi(argv[++i]);
    if (a == "--repeats" && i + 1 < argc) repeats = std::max(1, std::stoi(argv[++i]));
    if (a == "--quick") quick = true;
    if (a == "--clips" && i + 1 < argc) clips = std::max(0, std::stoi(argv[++i]));
    if (a == "--infer-only") {
      if (i + 3 >= argc) {
        std::fprintf(stderr, "model_speed: --infer-only wants MODEL C,T,H,W BATCH\n");
        return 2;
      }
      Case c{argv[i + 1], {}, std::stoi(argv[i + 3]), 0};
      std::stringstream dims(argv[i + 2]);
      for (std::string d; std::getline(dims, d, ',');) c.shape.push_back(std::stoll(d));
      if (c.shape.size() != 4) {
        std::fprintf(stderr, "model_speed: --infer-only wants MODEL C,T,H,W BATCH\n");
        return 2;
      }
      infer_only = c;
      i += 3;
    }
  }
  torch::set_num_threads(threads);
  torch::manual_seed(0);
  if (infer_only) {
    const Case& c = *infer_only;
    const auto [model, x] = model_and_batch(c);
    model->eval();
    double forward_s = 0;  // N clips from a cold start: batches of BATCH, the last one partial
    if (clips > 0) {
      std::vector<torch::Tensor> batches;
      for (int left = clips; left > 0; left -= c.batch)
        batches.push_back(torch::randn_like(x).narrow(0, 0, std::min(left, c.batch)).contiguous());
      const auto t0 = std::chrono::steady_clock::now();
      for (const auto& b : batches) {
        c10::InferenceMode guard;
        model->forward(b);
      }
      forward_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    }
    const double infer = median_seconds(repeats, [&] {
      c10::InferenceMode guard;
      model->forward(x);
    });
    std::printf("{\"impl\": \"cpp\", \"model\": \"%s\", \"batch\": %d, \"infer_clips_per_s\": %.3f, \"clips\": %d, "
                "\"forward_s\": %.3f}\n",
                c.model.c_str(), c.batch, c.batch / infer, clips, forward_s);
    return 0;
  }
  std::vector<Case> cases{{"small3d", {1, 16, 64, 64}, 16, 7},
                          {"ststnet", {3, 1, 28, 28}, 64, 15},
                          {"r3d_18", {3, 8, 112, 112}, 2, 3},
                          {"mc3_18", {3, 8, 112, 112}, 2, 3},
                          {"r2plus1d_18", {3, 8, 112, 112}, 2, 3}};
  if (quick) cases.resize(2);
  for (const Case& c : cases) {
    const auto [model, x] = model_and_batch(c);
    const torch::Tensor y = torch::randint(0, 7, {c.batch}, torch::kLong);
    torch::optim::SGD optimizer(model->parameters(), torch::optim::SGDOptions(0.01).momentum(0.9));
    model->train();
    const double train = median_seconds(c.repeats, [&] {
      optimizer.zero_grad();
      torch::nn::functional::cross_entropy(model->forward(x), y).backward();
      optimizer.step();
    });
    model->eval();
    const double infer = median_seconds(c.repeats, [&] {
      c10::InferenceMode guard;
      model->forward(x);
    });
    std::printf("{\"impl\": \"cpp\", \"model\": \"%s\", \"batch\": %d, \"train_step_s\": %.6f, \"infer_clips_per_s\": %.3f}\n",
                c.model.c_str(), c.batch, train, c.batch / infer);
    std::fflush(stdout);
  }
  return 0;
}
