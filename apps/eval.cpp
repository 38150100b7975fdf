// `mexa eval --model CKPT --data annotations.csv [--json FILE]`: scores a
// checkpoint on the clips of a manifest with MEGC's metrics. The input is
// rebuilt from the checkpoint (frames, size, sampling, face, normalisation),
// so nothing about preprocessing has to be repeated on the command line.
#include <spdlog/spdlog.h>

#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>

#include "cli.h"
#include "mexa/pipeline/manifest_clip_source.h"
#include "mexa/pipeline/model_input.h"
#include "commands.h"
#include "manifest_flags.h"
#include "mexa/engine/device.h"
#include "mexa/engine/metrics.h"
#include "mexa/engine/trainer.h"
#include "mexa/io/csv.h"
#include "mexa/io/errors.h"
#include "mexa/training/predictions.h"

namespace mexa::cli {

int run_eval(const std::vector<std::string>& args) {
  static const Command command{
      "eval",
      "Score a checkpoint from `mexa train` on a manifest: ACC, UF1 (macro F1), UAR (macro recall), per-class "
      "precision / recall / F1 and the confusion matrix. Unreadable clips are listed and left out (exit 1).",
      "mexa eval --model CKPT --data annotations.csv [--json FILE] [options]", run_eval};
  std::string model, data, json_path, predictions_path, device = "auto", cache = "none";
  int batch = 16, workers = 2, threads = 0;
  double logit_adjust = 0;
  ManifestFlags manifest_flags;
  po::options_description options("Eval options");
  options.add_options()("model", po::value(&model)->required(), "checkpoint (best.pt / last.pt of a run)")(
      "data", po::value(&data)->required(), "annotation CSV (manifest)")(
      "json", po::value(&json_path), "also write the metrics as JSON to this file ('-': stdout)")(
      "predictions", po::value(&predictions_path), "write per-clip predictions (CSV) to this file")(
      "device", po::value(&device)->default_value(device), "auto, cpu, cuda or cuda:N")(
      "batch", po::value(&batch)->default_value(batch), "clips per forward pass")(
      "workers", po::value(&workers)->default_value(workers), "data loading threads")(
      "threads", po::value(&threads)->default_value(threads), "LibTorch CPU threads (0: all cores)")(
      "cache", po::value(&cache)->default_value(cache), "HDF5 clip cache path, or 'none'")(
      "logit-adjust", po::value(&logit_adjust)->default_value(0.0, "0"),
      "post-hoc logit adjustment: probabilities from logits - TAU log(training class prior) (0: off)");
  add_manifest_flags(options, manifest_flags);
  po::variables_map vm;
  if (!parse(args, command, options, {}, vm)) return kOk;
  if (batch < 1 || workers < 0) throw UsageError("--batch must be >= 1 and --workers >= 0");
  try {
    pipeline::apply_compute_options(threads, device);
  } catch (const std::invalid_argument& e) {
    throw UsageError(e.what());
  }
  auto [predictor, spec] = pipeline::load_model(model, device);
  const auto& info = predictor->info();
  try {
    predictor->set_logit_adjustment(logit_adjust);
  } catch (const std::invalid_argument& e) {
    throw UsageError(std::string("--logit-adjust: ") + e.what());
  }
  const auto manifest = io::read_manifest(data, manifest_options_for(manifest_flags, info.classes));
  for (const auto& problem : manifest.skipped) spdlog::warn("{}", problem.message);
  if (manifest.rows.empty()) throw DataError(data, "no usable rows for the model's classes");
  spdlog::info("{}: {} (epoch {}), {} classes, input {}x{}x{}x{}, on {}", model, info.model, info.epoch,
               info.classes.size(), spec.channels, spec.frames, spec.height, spec.width, predictor->device_name());

  pipeline::ManifestClipSource source(manifest.rows, spec, cache == "none" ? "" : cache, std::max(1, workers),
                            /*record_failures=*/true);
  std::vector<int64_t> indices(manifest.rows.size());
  for (size_t i = 0; i < indices.size(); ++i) indices[i] = static_cast<int64_t>(i);
  Progress progress("eval", static_cast<int64_t>(indices.size()), "clips");
  const auto outputs =
      predictor->predict_all(source, indices, batch, workers, [&](int64_t done, int64_t) { progress.update(done); });
  progress.finish();

  std::vector<training::PredictionRow> scored;
  for (size_t i = 0; i < outputs.size(); ++i) {
    if (!outputs[i].ok) continue;
    const auto& row = manifest.rows[i];
    scored.push_back({row.id, row.subject, "", row.label, engine::predicted_class(outputs[i].probs), outputs[i].probs});
  }
  const auto failures = source.failures();
  for (const auto& [index, message] : failures) spdlog::error("{}", message);
  if (scored.empty()) throw DataError(data, "no clip could be read");

  const auto report = training::report_of(scored, static_cast<int>(info.classes.size()));
  auto json = training::report_json(report, info.classes);
  json["model"] = model;
  json["data"] = data;
  json["failed"] = nlohmann::json::array();
  for (const auto& [index, message] : failures)
    json["failed"].push_back({{"id", manifest.rows[static_cast<size_t>(index)].id}, {"error", message}});
  if (json_path == "-") {
    std::cout << json.dump(2) << "\n";
  } else {
    std::fputs(training::report_text(report, info.classes).c_str(), stdout);
    if (!json_path.empty()) io::write_text_file(json_path, json.dump(2) + "\n");
  }
  if (!predictions_path.empty())
    io::write_text_file(predictions_path, training::predictions_csv(scored, info.classes, /*with_fold=*/false));
  if (!failures.empty())
    std::fprintf(stderr, "%zu of %zu clips could not be read (listed above)\n", failures.size(), manifest.rows.size());
  return failures.empty() ? kOk : kInputsFailed;
}

}  // namespace mexa::cli
