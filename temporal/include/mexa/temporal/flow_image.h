// Flow images: one 8-bit RGB image per clip holding onset -> apex optical
// flow, R = u, G = v, B = optical strain, each channel min-max scaled to
// 0-255 on its own. This is the form the MEGC 2019 composite circulates in
// (28x28 PNGs read by STSTNet, OFF-ApexNet, HTNet); `mexa flow` writes it and
// `--input flow-image` reads it.
//
// Stateless functions, thread-safe.
//
//   auto f = mexa::temporal::flow_features(onset, apex, FlowMethod::TvL1, {28, 28}, FlowNorm::MinMax);
//   mexa::temporal::write_flow_image("out/sub01_EP02_01f.png", f.stacked);
//   cv::Mat rgb = mexa::temporal::read_flow_image("out/sub01_EP02_01f.png");  // CV_8UC3, u v strain
#pragma once

#include <opencv2/core.hpp>

#include <string>

namespace mexa::temporal {

/// Flow features scaled to [0, 1] (FlowNorm::MinMax; CV_32FC3, u v strain)
/// as the 8-bit image the composite holds: round(255 x), saturated. The Mat
/// is in OpenCV's BGR order (B strain, G v, R u), ready for cv::imwrite.
cv::Mat flow_image_bgr(const cv::Mat& stacked);

/// Writes flow_image_bgr(stacked) to `path` (its extension picks the format;
/// PNG is lossless). Throws DecodeError naming the file when it cannot be written.
void write_flow_image(const std::string& path, const cv::Mat& stacked);

/// The image at `path` as CV_8UC3 in the order u, v, strain (RGB). A grey
/// image is refused: a flow image has three channels. Throws DecodeError
/// naming the file when it is missing or not a readable image.
cv::Mat read_flow_image(const std::string& path);

}  // namespace mexa::temporal
