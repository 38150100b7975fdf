#include "mexa/engine/trainer.h"

#include "augment.h"

#include <ATen/autocast_mode.h>
#include <torch/torch.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <exception>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <numbers>
#include <random>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "mexa/engine/device.h"
#include "mexa/engine/losses.h"
#include "mexa/engine/metrics.h"
#include "mexa/engine/models.h"

namespace mexa::engine {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

constexpr const char* kFormat = "mexa-checkpoint-1";

double seconds_since(Clock::time_point start) { return std::chrono::duration<double>(Clock::now() - start).count(); }

/// SplitMix64: independent, well-mixed seeds from (seed, epoch, index).
uint64_t mix(uint64_t x) {
  x += 0x9E3779B97F4A7C15ULL;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
  return x ^ (x >> 31);
}
uint64_t sample_seed(uint64_t seed, int epoch, int64_t index) {
  return mix(mix(mix(seed) ^ static_cast<uint64_t>(epoch + 1)) ^ static_cast<uint64_t>(index)) | 1;  // never 0
}

torch::Tensor to_tensor(ClipArray clip) {
  if (clip.shape.size() != 4) throw std::runtime_error("a clip must be [C, T, H, W]");
  auto owned = std::make_shared<std::vector<float>>(std::move(clip.data));
  int64_t n = 1;
  for (int64_t d : clip.shape) n *= d;
  if (static_cast<int64_t>(owned->size()) != n) throw std::runtime_error("clip data does not match its shape");
  return torch::from_blob(owned->data(), clip.shape, [owned](void*) {}, torch::kFloat32);
}

/// Loads batches ahead in worker threads. Batch b is handed out only when all
/// of its clips are loaded, in the order given, so the data a step sees does
/// not depend on thread timing. At most `depth` batches are in flight.
class Prefetcher {
 public:
  using Loader = std::function<torch::Tensor(int64_t index, int worker)>;

  Prefetcher(std::vector<std::vector<int64_t>> batches, Loader loader, int workers, int depth)
      : batches_(std::move(batches)), loader_(std::move(loader)), depth_(std::max(1, depth)) {
    slots_.resize(batches_.size());
    for (size_t b = 0; b < batches_.size(); ++b) {
      slots_[b].items.resize(batches_[b].size());
      slots_[b].remaining = static_cast<int>(batches_[b].size());
      for (size_t i = 0; i < batches_[b].size(); ++i) jobs_.push_back({b, i});
    }
    for (int w = 0; w < workers; ++w) threads_.emplace_back([this, w] { work(w); });
  }
  ~Prefetcher() {
    {
      std::lock_guard lock(mutex_);
      stop_ = true;
    }
    wake_workers_.notify_all();
    for (auto& t : threads_) t.join();
  }
  Prefetcher(const Prefetcher&) = delete;
  Prefetcher& operator=(const Prefetcher&) = delete;

  size_t size() const { return batches_.size(); }

  /// The next batch's clips (stacked); rethrows a worker's error.
  std::vector<torch::Tensor> next() {
    const size_t b = consumed_;
    if (b >= batches_.size()) throw std::logic_error("no batch left");
    if (threads_.empty()) {  // no workers: load here
      for (size_t i = 0; i < batches_[b].size(); ++i) slots_[b].items[i] = loader_(batches_[b][i], 0);
      ++consumed_;
      return std::move(slots_[b].items);
    }
    std::unique_lock lock(mutex_);
    batch_ready_.wait(lock, [&] { return slots_[b].remaining == 0; });
    Slot slot = std::move(slots_[b]);
    ++consumed_;
    lock.unlock();
    wake_workers_.notify_all();
    if (slot.error) std::rethrow_exception(slot.error);
    return std::move(slot.items);
  }

 private:
  struct Slot {
    std::vector<torch::Tensor> items;
    int remaining = 0;
    std::exception_ptr error;
  };
  struct Job {
    size_t batch, position;
  };

  void work(int worker) {
    for (;;) {
      Job job{};
      {
        std::unique_lock lock(mutex_);
        wake_workers_.wait(lock, [&] {
          return stop_ || next_job_ >= jobs_.size() || jobs_[next_job_].batch < consumed_ + static_cast<size_t>(depth_);
        });
        if (stop_ || next_job_ >= jobs_.size()) return;
        job = jobs_[next_job_++];
      }
      torch::Tensor value;
      std::exception_ptr error;
      try {
        value = loader_(batches_[job.batch][job.position], worker);
      } catch (...) {
        error = std::current_exception();
      }
      {
        std::lock_guard lock(mutex_);
        Slot& slot = slots_[job.batch];
        slot.items[job.position] = std::move(value);
        if (error && !slot.error) slot.error = error;
        if (--slot.remaining == 0) batch_ready_.notify_all();
      }
    }
  }

  std::vector<std::vector<int64_t>> batches_;
  Loader loader_;
  int depth_;
  std::vector<Slot> slots_;
  std::vector<Job> jobs_;
  size_t next_job_ = 0;
  size_t consumed_ = 0;
  bool stop_ = false;
  std::mutex mutex_;
  std::condition_variable wake_workers_, batch_ready_;
  std::vector<std::thread> threads_;
};

std::vector<std::vector<int64_t>> chunk(const std::vector<int64_t>& order, int batch_size) {
  std::vector<std::vector<int64_t>> batches;
  for (size_t i = 0; i < order.size(); i += static_cast<size_t>(batch_size))
    batches.emplace_back(order.begin() + static_cast<std::ptrdiff_t>(i),
                         order.begin() + static_cast<std::ptrdiff_t>(std::min(order.size(), i + batch_size)));
  return batches;
}

/// bfloat16 autocast on CUDA for the scope: no gradient scaling needed (unlike float16).
class AutocastScope {
 public:
  explicit AutocastScope(bool enabled) : enabled_(enabled) {
    if (!enabled_) return;
    at::autocast::set_autocast_dtype(at::kCUDA, at::kBFloat16);
    at::autocast::set_autocast_enabled(at::kCUDA, true);
  }
  ~AutocastScope() {
    if (!enabled_) return;
    at::autocast::set_autocast_enabled(at::kCUDA, false);
    at::autocast::clear_cache();
  }
  AutocastScope(const AutocastScope&) = delete;
  AutocastScope& operator=(const AutocastScope&) = delete;

 private:
  bool enabled_;
};

// ------------------------------------------------------------ text fields

/// key=value lines; values must not hold newlines.
std::string encode_map(const std::map<std::string, std::string>& map) {
  std::string text;
  for (const auto& [key, value] : map) {
    if (key.find_first_of("=\n") != std::string::npos || value.find('\n') != std::string::npos)
      throw std::invalid_argument("checkpoint metadata '" + key + "' holds '=' or a newline");
    text += key + "=" + value + "\n";
  }
  return text;
}
std::map<std::string, std::string> decode_map(const std::string& text) {
  std::map<std::string, std::string> map;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    const auto eq = line.find('=');
    if (eq != std::string::npos) map[line.substr(0, eq)] = line.substr(eq + 1);
  }
  return map;
}
std::string join_lines(const std::vector<std::string>& items) {
  std::string text;
  for (const auto& s : items) text += s + "\n";
  return text;
}
std::vector<std::string> split_lines(const std::string& text) {
  std::vector<std::string> items;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) items.push_back(line);
  return items;
}

std::string format_double(double v) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.17g", v);
  return buffer;
}

/// The training settings a resumed run must share with the checkpoint.
std::map<std::string, std::string> training_fields(const TrainConfig& c, const std::string& head) {
  std::string milestones;
  for (int m : c.schedule.milestones) {
    if (!milestones.empty()) milestones += ',';
    milestones += std::to_string(m);
  }
  const auto& l = c.loss;
  return {
      {"model", c.model},
      {"head", head},
      {"cbam", c.cbam ? "1" : "0"},
      {"loss", loss_name(l.kind)},
      {"loss.gamma", format_double(l.gamma)},
      {"loss.beta", format_double(l.beta)},
      {"loss.max_m", format_double(l.max_m)},
      {"loss.s", format_double(l.s)},
      {"loss.drw_epoch", std::to_string(l.drw_epoch)},
      {"loss.tau", format_double(l.tau)},
      {"loss.smoothing", format_double(l.smoothing)},
      {"loss.lambda", format_double(l.lambda)},
      {"sampling", std::to_string(static_cast<int>(c.sampling))},
      {"representation_epochs", std::to_string(c.representation_epochs)},
      {"optimizer", c.optimizer},
      {"momentum", format_double(c.momentum)},
      {"weight_decay", format_double(c.weight_decay)},
      {"lr", format_double(c.schedule.base)},
      {"lr.schedule", c.schedule.kind == LrSchedule::Kind::Cosine ? "cosine" : "step"},
      {"lr.warmup_epochs", std::to_string(c.schedule.warmup_epochs)},
      {"lr.min", format_double(c.schedule.min_lr)},
      {"lr.milestones", milestones},
      {"lr.gamma", format_double(c.schedule.gamma)},
      {"epochs", std::to_string(c.schedule.epochs)},
      {"batch_size", std::to_string(c.batch_size)},
      {"seed", std::to_string(c.seed)},
      {"augment", c.augment_enabled ? "1" : "0"},
      {"augment.flip", format_double(c.augment.flip)},
      {"augment.flow_field", c.augment.flow_field ? "1" : "0"},
      {"augment.shift", format_double(c.augment.shift)},
      {"augment.rotation", format_double(c.augment.rotation)},
      {"augment.scale", format_double(c.augment.scale)},
  };
}

// ------------------------------------------------------------ metrics files

void write_atomically(const fs::path& path, const std::string& text) {
  const fs::path tmp = path.string() + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out << text;
    if (!out.flush()) throw std::runtime_error(tmp.string() + ": cannot write");
  }
  fs::rename(tmp, path);
}

/// The columns of metrics.csv / keys of metrics.json, in EpochRecord's order.
constexpr std::array<const char*, 10> kHistoryColumns{"epoch",   "lr",      "train_loss", "train_acc",        "val_acc",
                                                      "val_uf1", "val_uar", "seconds",    "clips_per_second", "busy_fraction"};

std::string history_csv(const std::vector<EpochRecord>& history) {
  std::string text;
  for (const char* name : kHistoryColumns) {
    if (!text.empty()) text += ',';
    text += name;
  }
  text += "\n";
  for (const auto& r : history) {
    text += std::to_string(r.epoch);
    for (double v : {r.lr, r.train_loss, r.train_acc, r.val_acc, r.val_uf1, r.val_uar, r.seconds, r.clips_per_second,
                     r.busy_fraction}) {
      text += ',';
      text += format_double(v);
    }
    text += "\n";
  }
  return text;
}

std::vector<EpochRecord> parse_history(const std::string& text) {
  std::vector<EpochRecord> history;
  auto lines = split_lines(text);
  for (size_t i = 1; i < lines.size(); ++i) {
    std::istringstream in(lines[i]);
    std::string field;
    std::vector<double> v;
    while (std::getline(in, field, ',')) v.push_back(std::stod(field));
    if (v.size() != kHistoryColumns.size()) throw std::runtime_error("checkpoint history row has " + std::to_string(v.size()) + " fields");
    history.push_back({static_cast<int>(v[0]), v[1], v[2], v[3], v[4], v[5], v[6], v[7], v[8], v[9]});
  }
  return history;
}

std::string history_json(const std::vector<EpochRecord>& history) {
  std::string text = "[\n";
  for (size_t i = 0; i < history.size(); ++i) {
    const auto& r = history[i];
    const double values[] = {static_cast<double>(r.epoch), r.lr, r.train_loss, r.train_acc, r.val_acc, r.val_uf1,
                             r.val_uar, r.seconds, r.clips_per_second, r.busy_fraction};
    text += "  {";
    for (size_t k = 0; k < kHistoryColumns.size(); ++k) {
      // -1 marks "no validation set": JSON null says so without a magic number.
      const bool missing = k >= 4 && k <= 6 && values[k] < 0;
      text += k ? ", \"" : "\"";
      text += kHistoryColumns[k];
      text += "\": ";
      text += missing ? "null" : k == 0 ? std::to_string(r.epoch) : format_double(values[k]);
    }
    text += i + 1 < history.size() ? "},\n" : "}\n";
  }
  return text + "]\n";
}

// ------------------------------------------------------------ checkpoints

struct TrainState {
  int epoch = 0;  // epochs done
  int best_epoch = 0;
  double best_uf1 = -1;
  std::vector<EpochRecord> history;
};

void save_checkpoint(const fs::path& path, VideoModel& model, torch::optim::Optimizer& optimizer,
                     const TrainConfig& config, const std::string& head, int in_channels,
                     const std::vector<int64_t>& class_counts, const TrainState& state) {
  torch::serialize::OutputArchive archive;
  archive.write("format", c10::IValue(std::string(kFormat)));
  torch::serialize::OutputArchive model_archive;
  model.save(model_archive);
  archive.write("model", model_archive);
  torch::serialize::OutputArchive optimizer_archive;
  optimizer.save(optimizer_archive);
  archive.write("optimizer", optimizer_archive);
  archive.write("training", c10::IValue(encode_map(training_fields(config, head))));
  archive.write("metadata", c10::IValue(encode_map(config.metadata)));
  archive.write("classes", c10::IValue(join_lines(config.classes)));
  {
    std::vector<std::string> counts;
    for (int64_t n : class_counts) counts.push_back(std::to_string(n));
    archive.write("class_counts", c10::IValue(join_lines(counts)));  // post-hoc logit adjustment's prior
  }
  archive.write("in_channels", c10::IValue(static_cast<int64_t>(in_channels)));
  archive.write("feature_dim", c10::IValue(model.feature_dim()));
  archive.write("epoch", c10::IValue(static_cast<int64_t>(state.epoch)));
  archive.write("best_epoch", c10::IValue(static_cast<int64_t>(state.best_epoch)));
  archive.write("best_uf1", c10::IValue(state.best_uf1));
  archive.write("history", c10::IValue(history_csv(state.history)));
  {
    auto generator = at::detail::getDefaultCPUGenerator();
    std::lock_guard lock(generator.mutex());
    archive.write("cpu_rng", generator.get_state(), /*is_buffer=*/true);
  }
  const fs::path tmp = path.string() + ".tmp";
  archive.save_to(tmp.string());
  fs::rename(tmp, path);
}

std::string read_string(torch::serialize::InputArchive& archive, const std::string& key) {
  c10::IValue value;
  archive.read(key, value);
  return value.toStringRef();
}
int64_t read_int(torch::serialize::InputArchive& archive, const std::string& key) {
  c10::IValue value;
  archive.read(key, value);
  return value.toInt();
}

CheckpointInfo info_from_archive(torch::serialize::InputArchive& archive, const std::string& path) {
  CheckpointInfo info;
  info.path = path;
  try {
    if (read_string(archive, "format") != kFormat) throw std::runtime_error("unknown checkpoint format");
    const auto training = decode_map(read_string(archive, "training"));
    info.model = training.at("model");
    info.head = training.at("head");
    info.cbam = training.at("cbam") == "1";
    info.in_channels = static_cast<int>(read_int(archive, "in_channels"));
    info.feature_dim = read_int(archive, "feature_dim");
    info.epoch = static_cast<int>(read_int(archive, "epoch"));
    info.classes = split_lines(read_string(archive, "classes"));
    info.metadata = decode_map(read_string(archive, "metadata"));
    for (const auto& [key, value] : training) info.metadata.emplace("train." + key, value);
    // A cosine head's logits are cosines; training scales them by the loss's s.
    info.logit_scale = info.head == "cosine" ? std::stod(training.at("loss.s")) : 1.0;
  } catch (const std::exception& e) {
    throw std::runtime_error(path + ": not a mexa checkpoint (" + std::string(e.what()).substr(0, 200) + ")");
  }
  if (c10::IValue counts; archive.try_read("class_counts", counts))  // checkpoints from before it was stored lack it
    for (const auto& n : split_lines(counts.toStringRef())) info.class_counts.push_back(std::stoll(n));
  return info;
}

torch::serialize::InputArchive open_archive(const std::string& path, const torch::Device& device) {
  if (!fs::is_regular_file(path)) throw std::runtime_error(path + ": no such checkpoint file");
  torch::serialize::InputArchive archive;
  try {
    archive.load_from(path, device);
  } catch (const std::exception& e) {
    const std::string what = e.what();
    throw std::runtime_error(path + ": cannot read the checkpoint (" + what.substr(0, what.find('\n')) + ")");
  }
  return archive;
}

std::shared_ptr<VideoModel> build_model(const std::string& name, int classes, int in_channels, bool cbam,
                                        const std::string& head) {
  ModelSpec spec;
  spec.num_classes = classes;
  spec.in_channels = in_channels;
  spec.cbam = cbam;
  spec.cosine_head = head == "cosine";
  return make_model(name, spec);
}

std::unique_ptr<torch::optim::Optimizer> make_optimizer(const TrainConfig& c, VideoModel& model) {
  if (c.optimizer == "sgd")
    return std::make_unique<torch::optim::SGD>(
        model.parameters(),
        torch::optim::SGDOptions(c.schedule.base).momentum(c.momentum).weight_decay(c.weight_decay));
  if (c.optimizer == "adamw")
    return std::make_unique<torch::optim::AdamW>(model.parameters(),
                                                 torch::optim::AdamWOptions(c.schedule.base).weight_decay(c.weight_decay));
  throw std::invalid_argument("optimizer must be sgd or adamw (got '" + c.optimizer + "')");
}

void set_learning_rate(torch::optim::Optimizer& optimizer, double lr) {
  for (auto& group : optimizer.param_groups()) group.options().set_lr(lr);
}

std::string resolve_head(const TrainConfig& c) {
  if (c.head == "linear" || c.head == "cosine") return c.head;
  if (c.head != "auto") throw std::invalid_argument("head must be linear, cosine or auto (got '" + c.head + "')");
  return c.loss.kind == LossKind::Ldam || c.loss.kind == LossKind::Coupling ? "cosine" : "linear";
}

/// Predictions (argmax) of `model` on `indices`, no augmentation.
std::vector<int> predict_labels(VideoModel& model, ClipSource& source, const std::vector<int64_t>& indices,
                                const torch::Device& device, const TrainConfig& c) {
  model.eval();
  torch::NoGradGuard no_grad;
  Prefetcher prefetcher(
      chunk(indices, c.batch_size),
      [&](int64_t index, int worker) {
        auto clip = source.load(index, 0, worker);
        if (clip.data.empty()) throw std::runtime_error("clip " + std::to_string(index) + " failed to load");
        return to_tensor(std::move(clip));
      },
      c.workers, c.prefetch);
  std::vector<int> predictions;
  for (size_t b = 0; b < prefetcher.size(); ++b) {
    const auto x = torch::stack(prefetcher.next()).to(device);
    torch::Tensor logits;
    {
      AutocastScope autocast(c.amp && device.is_cuda());
      logits = model.forward(x);
    }
    const auto argmax = logits.argmax(1).to(torch::kCPU, torch::kInt64).contiguous();
    const int64_t* classes = argmax.data_ptr<int64_t>();
    predictions.insert(predictions.end(), classes, classes + argmax.numel());
  }
  return predictions;
}

}  // namespace

void check_config(const TrainConfig& config, const std::vector<int64_t>& clip_shape) {
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
  if (config.amp && !resolve_device(config.device).cuda)
    throw std::invalid_argument("--amp (bfloat16 autocast) needs a CUDA device; --device " + config.device +
                                " resolves to the CPU");
  if (clip_shape.size() == 4 && config.classes.size() >= 2) {
    auto model = build_model(config.model, static_cast<int>(config.classes.size()), static_cast<int>(clip_shape[0]),
                             config.cbam, resolve_head(config));
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

FitResult fit(const TrainConfig& config, ClipSource& source, const std::vector<int>& labels,
              const std::vector<int64_t>& train, const std::vector<int64_t>& val, const std::string& dir, bool resume,
              const FitCallbacks& callbacks) {
  check_config(config);
  const int num_classes = static_cast<int>(config.classes.size());
  if (num_classes < 2) throw std::invalid_argument("training needs at least 2 classes");
  if (train.empty()) throw std::invalid_argument("the training set is empty");
  if (config.batch_size < 1) throw std::invalid_argument("batch size must be at least 1");
  const int epochs = config.schedule.epochs;
  if (epochs < 1) throw std::invalid_argument("epochs must be at least 1");
  for (int64_t i : train)
    if (i < 0 || i >= static_cast<int64_t>(labels.size()) || labels[static_cast<size_t>(i)] < 0 ||
        labels[static_cast<size_t>(i)] >= num_classes)
      throw std::invalid_argument("training clip " + std::to_string(i) + " has no valid label");
  const std::string head = resolve_head(config);
  const auto device_choice = resolve_device(config.device);
  const torch::Device device(device_choice.name);
  if (config.amp && !device.is_cuda()) throw std::invalid_argument("AMP needs a CUDA device");

  // Training labels and class counts (a class missing from this fold's training
  // set counts as 1 so that the re-weighting losses stay finite).
  std::vector<int> train_labels;
  std::vector<int64_t> counts(static_cast<size_t>(num_classes), 0);
  for (int64_t i : train) {
    train_labels.push_back(labels[static_cast<size_t>(i)]);
    ++counts[static_cast<size_t>(labels[static_cast<size_t>(i)])];
  }
  for (auto& n : counts) n = std::max<int64_t>(n, 1);
  const ImbalanceLoss loss_fn(config.loss, counts);

  // The input's channel count comes from the data.
  const ClipArray probe = source.load(train.front(), 0, 0);
  if (probe.shape.size() != 4 || probe.data.empty())
    throw std::runtime_error("training clip " + std::to_string(train.front()) + " did not load");
  const int in_channels = static_cast<int>(probe.shape[0]);

  fs::create_directories(dir);
  const fs::path last_path = fs::path(dir) / "last.pt", best_path = fs::path(dir) / "best.pt";

  torch::manual_seed(config.seed);
  auto model = build_model(config.model, num_classes, in_channels, config.cbam, head);
  model->to(device);
  auto optimizer = make_optimizer(config, *model);
  TrainState state;
  FitResult result;

  if (resume && fs::exists(last_path)) {
    auto archive = open_archive(last_path.string(), device);
    const auto info = info_from_archive(archive, last_path.string());
    const auto saved = decode_map(read_string(archive, "training"));
    const auto wanted = training_fields(config, head);
    for (const auto& [key, value] : wanted)
      if (!saved.count(key) || saved.at(key) != value)
        throw std::runtime_error(last_path.string() + ": the run was started with " + key + " = " +
                                 (saved.count(key) ? saved.at(key) : "(unset)") + ", now " + value +
                                 "; resume with the same settings or start a new run");
    if (info.classes != config.classes) throw std::runtime_error(last_path.string() + ": other class names");
    torch::serialize::InputArchive model_archive, optimizer_archive;
    archive.read("model", model_archive);
    model->load(model_archive);
    archive.read("optimizer", optimizer_archive);
    optimizer->load(optimizer_archive);
    torch::Tensor rng;
    archive.read("cpu_rng", rng, /*is_buffer=*/true);
    {
      auto generator = at::detail::getDefaultCPUGenerator();
      std::lock_guard lock(generator.mutex());
      generator.set_state(rng.to(torch::kCPU));
    }
    state.epoch = info.epoch;
    state.best_epoch = static_cast<int>(read_int(archive, "best_epoch"));
    c10::IValue best;
    archive.read("best_uf1", best);
    state.best_uf1 = best.toDouble();
    state.history = parse_history(read_string(archive, "history"));
    result.resumed_from = state.epoch;
  }

  const int stop_at = config.stop_after_epoch > 0 ? std::min(epochs, config.stop_after_epoch) : epochs;
  for (int epoch = state.epoch; epoch < stop_at; ++epoch) {
    const auto epoch_start = Clock::now();
    const ClassSampling sampling = epoch < config.representation_epochs ? ClassSampling::Instance : config.sampling;
    std::vector<int64_t> order;
    for (int64_t local : epoch_indices(sampling, train_labels, epoch, epochs, config.seed))
      order.push_back(train[static_cast<size_t>(local)]);
    Prefetcher prefetcher(
        chunk(order, config.batch_size),
        [&](int64_t index, int worker) {
          const uint64_t seed = sample_seed(config.seed, epoch, index);
          auto clip = source.load(index, seed, worker);
          if (clip.data.empty()) throw std::runtime_error("training clip " + std::to_string(index) + " failed to load");
          auto x = to_tensor(std::move(clip));
          return config.augment_enabled ? augment_clip(x, config.augment, seed) : x.clone();
        },
        config.workers, config.prefetch);

    model->train();
    const int steps = static_cast<int>(prefetcher.size());
    double loss_sum = 0, model_seconds = 0, lr = 0;
    int64_t seen = 0, correct = 0;
    size_t position = 0;
    for (int step = 0; step < steps; ++step) {
      auto clips = prefetcher.next();
      const auto step_start = Clock::now();
      std::vector<int64_t> batch_labels;
      for (size_t i = 0; i < clips.size(); ++i) batch_labels.push_back(labels[static_cast<size_t>(order[position++])]);
      const auto x = torch::stack(clips).to(device);
      const auto y = torch::tensor(batch_labels, torch::kInt64).to(device);
      lr = learning_rate(config.schedule, epoch, step, steps);
      set_learning_rate(*optimizer, lr);
      optimizer->zero_grad();
      torch::Tensor logits;
      {
        AutocastScope autocast(config.amp);
        logits = model->forward(x);
      }
      const auto loss = loss_fn(logits.to(torch::kFloat32), y, epoch);
      loss.backward();
      optimizer->step();
      const double batch_loss = loss.item<double>();  // waits for the device: the step is done
      correct += (logits.argmax(1) == y).sum().item<int64_t>();
      model_seconds += seconds_since(step_start);
      loss_sum += batch_loss * static_cast<double>(clips.size());
      seen += static_cast<int64_t>(clips.size());
      if (callbacks.on_step) callbacks.on_step(epoch + 1, step + 1, steps, loss_sum / static_cast<double>(seen));
    }
    const double train_seconds = seconds_since(epoch_start);

    EpochRecord record;
    record.epoch = epoch + 1;
    record.lr = lr;
    record.train_loss = loss_sum / static_cast<double>(seen);
    record.train_acc = static_cast<double>(correct) / static_cast<double>(seen);
    record.clips_per_second = static_cast<double>(seen) / train_seconds;
    record.busy_fraction = model_seconds / train_seconds;
    if (!val.empty()) {
      std::vector<int> val_labels;
      for (int64_t i : val) val_labels.push_back(labels[static_cast<size_t>(i)]);
      const auto report = classification_report(val_labels, predict_labels(*model, source, val, device, config), num_classes);
      record.val_acc = report.acc;
      record.val_uf1 = report.uf1;
      record.val_uar = report.uar;
    }
    record.seconds = seconds_since(epoch_start);
    state.history.push_back(record);
    state.epoch = epoch + 1;
    const bool improved = !val.empty() && record.val_uf1 > state.best_uf1;
    if (improved) {
      state.best_uf1 = record.val_uf1;
      state.best_epoch = record.epoch;
    }
    if (val.empty()) state.best_epoch = record.epoch;
    save_checkpoint(last_path, *model, *optimizer, config, head, in_channels, counts, state);
    if (improved) save_checkpoint(best_path, *model, *optimizer, config, head, in_channels, counts, state);
    write_atomically(fs::path(dir) / "metrics.csv", history_csv(state.history));
    write_atomically(fs::path(dir) / "metrics.json", history_json(state.history));
    if (callbacks.on_epoch) callbacks.on_epoch(record);
  }

  result.history = state.history;
  result.best_epoch = state.best_epoch;
  result.selected_checkpoint = (!val.empty() && fs::exists(best_path) ? best_path : last_path).string();
  return result;
}

// ------------------------------------------------------------ Predictor

struct Predictor::Impl {
  CheckpointInfo info;
  torch::Device device{torch::kCPU};
  std::shared_ptr<VideoModel> model;
  torch::Tensor logit_offset;  ///< post-hoc logit adjustment (tau log prior); undefined: none
};

Predictor::Predictor(const std::string& checkpoint, const std::string& device) : impl_(std::make_unique<Impl>()) {
  impl_->device = torch::Device(resolve_device(device).name);
  auto archive = open_archive(checkpoint, impl_->device);
  impl_->info = info_from_archive(archive, checkpoint);
  const auto& info = impl_->info;
  impl_->model = build_model(info.model, static_cast<int>(info.classes.size()), info.in_channels, info.cbam, info.head);
  impl_->model->to(impl_->device);
  torch::serialize::InputArchive model_archive;
  archive.read("model", model_archive);
  try {
    impl_->model->load(model_archive);
  } catch (const std::exception& e) {
    throw std::runtime_error(checkpoint + ": weights do not fit the model (" +
                             std::string(e.what()).substr(0, std::string(e.what()).find('\n')) + ")");
  }
  impl_->model->eval();
}

Predictor::~Predictor() = default;
Predictor::Predictor(Predictor&&) noexcept = default;
Predictor& Predictor::operator=(Predictor&&) noexcept = default;
const CheckpointInfo& Predictor::info() const { return impl_->info; }
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
std::vector<Predictor::Output> predict_tensors(Predictor::Impl& impl, const std::vector<torch::Tensor>& inputs) {
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
  const auto features = impl.model->features(x);
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
  }
  return outputs;
}

std::vector<Predictor::Output> Predictor::predict(const std::vector<ClipArray>& clips) {
  std::vector<torch::Tensor> inputs;
  for (const auto& clip : clips) inputs.push_back(clip.data.empty() ? torch::Tensor() : to_tensor(clip));
  return predict_tensors(*impl_, inputs);
}

std::vector<Predictor::Output> Predictor::predict_all(ClipSource& source, const std::vector<int64_t>& indices,
                                                      int batch_size, int workers,
                                                      const std::function<void(int64_t, int64_t)>& on_batch) {
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

CheckpointInfo read_checkpoint_info(const std::string& checkpoint) {
  auto archive = open_archive(checkpoint, torch::kCPU);
  return info_from_archive(archive, checkpoint);
}

}  // namespace mexa::engine
