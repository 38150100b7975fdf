// `mexa flow`: the composite's missing preprocessing as a library call. For
// each clip of a manifest it writes the onset -> apex flow image in the MEGC
// 2019 composite's form (aligned face as the spec says, the chosen flow
// method, u v strain each min-max scaled to 0-255, --size), and a mexa
// manifest naming the images (trainable with --input flow-image); with the
// composite's three classes also the composite-form CSV
// (dataset,sub,filename_o,label,apex,imagename).
//
// The image of a clip is the same ClipLoader output that `--input flow
// --flow-norm minmax` trains on, rounded to 8 bits: training on the images
// and on the clips differs only by that rounding (at most 1/510 per value).
// A clip without an annotated apex (SMIC) takes the middle of its span, as
// --input flow does.
//
// Resumable: an image already written is kept (writes are atomic: a temp file
// renamed). A clip that fails is listed; the others go on.
//
//   mexa::temporal::FlowExportOptions o;  o.out_dir = "flow";  o.classes = manifest_classes;
//   auto r = mexa::temporal::export_flow_images(manifest.rows, o, nullptr);
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "mexa/io/manifest.h"
#include "mexa/temporal/clip_loader.h"

namespace mexa::temporal {

struct FlowExportOptions {
  /// The flow's input spec: kind Flow and FlowNorm::MinMax are forced; size,
  /// face detector, flow method and folder fps come from here (28x28 TV-L1,
  /// no face detector by default, as `mexa train --input flow`).
  ClipSpec input = [] {
    ClipSpec s;
    s.kind = InputKind::Flow;
    s.flow_norm = FlowNorm::MinMax;
    s.channels = 3;
    s.frames = 1;
    s.height = s.width = 28;
    return s;
  }();
  std::string out_dir;                 ///< images/, manifest.csv, failed.csv (and megc2019.csv) go here
  std::vector<std::string> classes;    ///< the manifest's class set (row.label indexes it)
  std::string dataset;                 ///< the composite CSV's dataset for rows without a dataset column
  int workers = 2;
};

struct FlowExportResult {
  int64_t written = 0;  ///< images written by this run
  int64_t kept = 0;     ///< images found from an earlier run
  std::map<int64_t, std::string> failures;  ///< row index -> "file: why"
  std::string manifest;   ///< the manifest written (paths name the images)
  std::string composite;  ///< the composite-form CSV, "" unless the classes are MEGC's three
  std::string failed;     ///< failed.csv ("" when none failed)
};

/// The image file name of a row: "{sub}_{clip}.png", the subject without a
/// dataset prefix ("casme2/sub01" -> "sub01"), '/' and '\' as '_'.
std::string flow_image_name(const io::ManifestRow& row);

/// Writes every row's flow image and the files above. `on_done(done, total)`
/// after each clip. Throws DecodeError/DataError only for the output folder.
FlowExportResult export_flow_images(const std::vector<io::ManifestRow>& rows, const FlowExportOptions& options,
                                    const std::function<void(int64_t, int64_t)>& on_done);

}  // namespace mexa::temporal
