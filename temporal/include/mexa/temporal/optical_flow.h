// Onset -> apex optical flow features, the input of STSTNet-style networks:
// horizontal flow u, vertical flow v and optical strain
//   strain = sqrt(u_x^2 + v_y^2 + 0.5 * (u_y + v_x)^2),
// resized to a small square (28x28 by default).
//
// Normalisation (documented contract of flow_features), FlowNorm:
// - SharedMax (mexa's default): u and v are divided by the largest |u| or |v|
//   of the sample (so they lie in [-1, 1] and keep their direction ratio);
//   strain is divided by its own maximum ([0, 1]). A sample without motion
//   stays all zeros.
// - MinMax (the MEGC 2019 composite's images): each channel, at the output
//   size, becomes (x - min) / (max - min) in [0, 1]; a flat channel is 0.
// The raw pixel magnitudes are kept in FlowFeatures::max_flow and max_strain.
//
// Stateless functions; thread-safe (each call builds its own OpenCV solver).
//
//   auto f = mexa::temporal::flow_features(onset_gray, apex_gray, mexa::temporal::FlowMethod::TvL1);
//   // f.stacked: CV_32FC3 28x28 (u, v, strain)
#pragma once

#include <opencv2/core.hpp>

#include <string>

#include "mexa/temporal/input_kind.h"  // FlowNorm

namespace mexa::temporal {

enum class FlowMethod {
  TvL1,       ///< Dual TV-L1 (OpenCV contrib optflow): the reference in ME papers
  Farneback,  ///< polynomial expansion: fast
  Dis,        ///< dense inverse search (medium preset): fastest
};

/// Parses "tvl1", "farneback", "dis"; throws std::invalid_argument.
FlowMethod parse_flow_method(const std::string& name);
std::string flow_method_name(FlowMethod method);

/// Dense flow from `from` to `to` (8-bit or float grey, same size): CV_32FC2, pixels.
cv::Mat dense_flow(const cv::Mat& from, const cv::Mat& to, FlowMethod method);

/// Optical strain of a flow field (CV_32F), central differences.
cv::Mat optical_strain(const cv::Mat& flow);

struct FlowFeatures {
  cv::Mat stacked;        ///< CV_32FC3 (u, v, strain) at the output size, normalised as above
  float max_flow = 0;     ///< pixels, before normalisation
  float max_strain = 0;
};

FlowFeatures flow_features(const cv::Mat& onset, const cv::Mat& apex, FlowMethod method,
                           cv::Size size = cv::Size(28, 28), FlowNorm norm = FlowNorm::SharedMax);

}  // namespace mexa::temporal
