// `mexa flow --data SPEC... --out DIR`: the flow images of a dataset in the
// MEGC 2019 composite's form (temporal/flow_export.h), as one command.
//
// DIR/
//   images/SUB_CLIP.png   one onset -> apex flow image per clip (R u, G v, B strain, each 0-255)
//   manifest.csv          mexa's manifest naming the images (mexa train --input flow-image --data DIR/manifest.csv)
//   megc2019.csv          with --classes megc3: the composite's CSV (mexa train --data megc2019=DIR/images,DIR/megc2019.csv)
//   failed.csv            clips that could not be read (exit 1)
//   clips.csv             the clips read, when --data names datasets
#include <spdlog/spdlog.h>

#include <cstdio>
#include <filesystem>

#include "cli.h"
#include "commands.h"
#include "data_sources.h"
#include "manifest_flags.h"
#include "mexa/io/csv.h"
#include "mexa/io/errors.h"
#include "mexa/io/text.h"
#include "mexa/temporal/flow_export.h"

namespace mexa::cli {

namespace fs = std::filesystem;

int run_flow(const std::vector<std::string>& args) {
  static const Command command{
      "flow",
      "Write each clip's onset -> apex optical flow as an image in the MEGC 2019 composite's form: aligned face "
      "(--face), TV-L1 (--flow), u, v and optical strain each min-max scaled to 0-255, --size (28x28). Writes "
      "DIR/images/, a manifest naming them (train with --input flow-image) and, with --classes megc3, the "
      "composite's CSV. Resumable: images already written are kept. A clip without an annotated apex takes the "
      "middle of its span, as --input flow does.",
      "mexa flow --data SPEC... --out DIR [--size 28x28] [--face none|hog|haar] [--classes megc3]", run_flow};
  temporal::FlowExportOptions o;
  std::vector<std::string> data_specs;
  std::string out, size = "28x28", face = "none", flow = "tvl1";
  ManifestFlags manifest_flags;
  po::options_description options("Flow options");
  options.add_options()(
      "data", po::value(&data_specs)->multitoken(),
      "a mexa manifest, or datasets as [STYLE=]PATH[,ANNOTATIONS] (several: their composite, --classes megc3 by default)")(
      "out", po::value(&out)->required(), "output folder")(
      "size", po::value(&size)->default_value(size), "image WxH")(
      "flow", po::value(&flow)->default_value(flow), "tvl1, farneback or dis")(
      "face", po::value(&face)->default_value(face), "face alignment: none (pre-cropped), hog or haar")(
      "min-face", po::value(&o.input.min_face)->default_value(0),
      "smallest face side in pixels (0: the detector's own, hog 80, haar 40)")(
      "folder-fps", po::value(&o.input.folder_fps)->default_value(0.0, "0"), "frame rate of frame folders")(
      "workers", po::value(&o.workers)->default_value(o.workers), "threads");
  add_manifest_flags(options, manifest_flags);
  po::variables_map vm;
  if (!parse(args, command, options, {}, vm)) return kOk;
  if (data_specs.empty()) throw UsageError("the option '--data' is required but missing");
  try {
    parse_size(size, o.input.width, o.input.height);
    o.input.flow_method = temporal::parse_flow_method(flow);
    o.input.face = temporal::parse_face_detector(face);
    (void)temporal::ClipLoader(o.input);  // a missing face model file fails now
  } catch (const std::invalid_argument& e) {
    throw UsageError(e.what());
  }
  if (o.input.min_face < 0 || (o.input.min_face > 0 && o.input.min_face < temporal::kMinFaceLimit))
    throw UsageError("--min-face must be 0 (the detector's own) or at least " + std::to_string(temporal::kMinFaceLimit));
  if (o.workers < 1) throw UsageError("--workers must be at least 1");
  fs::create_directories(out);
  o.out_dir = out;

  // The clips: a manifest as it is, or datasets read with their own styles.
  std::string manifest_path;
  io::ManifestOptions read_options;
  const bool from_datasets = data_specs.size() > 1 || names_a_dataset(data_specs.front());
  if (from_datasets) {
    const BuiltManifest built = build_manifest(data_specs, manifest_flags, fs::absolute(out).string());
    if (built.images) throw UsageError("--data names flow images already: there is no video to compute flow from");
    manifest_path = (fs::path(out) / "clips.csv").string();
    io::write_text_file(manifest_path, built.csv);
    read_options = io::with_classes(io::ManifestOptions{}, built.classes);
    if (built.datasets == 1) {
      const DataSource source = parse_data_source(data_specs.front(), manifest_flags);
      o.dataset = io::style_info(source.options.style).name;
    }
  } else {
    manifest_path = data_specs.front();
    read_options = manifest_options(manifest_flags);
  }
  const auto manifest = io::read_manifest(manifest_path, read_options);
  if (manifest.rows.empty()) throw DataError(manifest_path, "no usable rows");
  o.classes = read_options.class_names;
  if (o.dataset.empty()) o.dataset = io::style_info(read_options.style).name;  // the composite CSV's dataset column

  Progress progress("flow images", static_cast<int64_t>(manifest.rows.size()), "clips");
  const auto r = temporal::export_flow_images(manifest.rows, o, [&](int64_t done, int64_t) { progress.update(done); });
  progress.finish();
  for (const auto& [index, message] : r.failures) spdlog::error("{}", message);
  std::printf("%s: %lld flow images written, %lld kept from an earlier run, %zu clips failed%s; manifest %s%s%s\n",
              (fs::path(out) / "images").c_str(), static_cast<long long>(r.written), static_cast<long long>(r.kept),
              r.failures.size(), r.failed.empty() ? "" : (" (" + r.failed + ")").c_str(), r.manifest.c_str(),
              r.composite.empty() ? "" : ", composite CSV ", r.composite.c_str());
  return r.failures.empty() && manifest.skipped.empty() ? kOk : kInputsFailed;
}

}  // namespace mexa::cli
