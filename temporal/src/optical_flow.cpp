#include "mexa/temporal/optical_flow.h"

#include <opencv2/imgproc.hpp>
#include <opencv2/optflow.hpp>
#include <opencv2/video/tracking.hpp>

#include <stdexcept>

#include "mexa/enum_names.h"

namespace mexa::temporal {
namespace {

cv::Mat to_gray8(const cv::Mat& image) {
  if (image.type() == CV_8UC1) return image;
  cv::Mat out;
  if (image.channels() == 3)
    cv::cvtColor(image, out, cv::COLOR_BGR2GRAY);
  else
    out = image;
  if (out.depth() != CV_8U) out.convertTo(out, CV_8U);
  return out;
}

}  // namespace

static const EnumNames<FlowMethod>& flow_method_names() {
  static const EnumNames<FlowMethod> names(
      "flow method", {{FlowMethod::TvL1, "tvl1"}, {FlowMethod::Farneback, "farneback"}, {FlowMethod::Dis, "dis"}});
  return names;
}

FlowMethod parse_flow_method(const std::string& name) { return flow_method_names().parse(name); }
std::string flow_method_name(FlowMethod method) { return flow_method_names().name(method); }

cv::Mat dense_flow(const cv::Mat& from, const cv::Mat& to, FlowMethod method) {
  if (from.size() != to.size() || from.empty()) throw std::invalid_argument("flow needs two images of the same size");
  const cv::Mat a = to_gray8(from), b = to_gray8(to);
  cv::Mat flow;
  switch (method) {
    case FlowMethod::TvL1: cv::optflow::DualTVL1OpticalFlow::create()->calc(a, b, flow); break;
    case FlowMethod::Farneback:
      cv::calcOpticalFlowFarneback(a, b, flow, /*pyr_scale=*/0.5, /*levels=*/3, /*winsize=*/9, /*iterations=*/3,
                                   /*poly_n=*/5, /*poly_sigma=*/1.1, 0);
      break;
    case FlowMethod::Dis: cv::DISOpticalFlow::create(cv::DISOpticalFlow::PRESET_MEDIUM)->calc(a, b, flow); break;
  }
  return flow;
}

cv::Mat optical_strain(const cv::Mat& flow) {
  cv::Mat uv[2];
  cv::split(flow, uv);
  cv::Mat ux, uy, vx, vy;
  // ksize 1 is the [-1 0 1] kernel; 0.5 makes it a central difference.
  cv::Sobel(uv[0], ux, CV_32F, 1, 0, 1, 0.5);
  cv::Sobel(uv[0], uy, CV_32F, 0, 1, 1, 0.5);
  cv::Sobel(uv[1], vx, CV_32F, 1, 0, 1, 0.5);
  cv::Sobel(uv[1], vy, CV_32F, 0, 1, 1, 0.5);
  cv::Mat shear = uy + vx;
  cv::Mat strain = ux.mul(ux) + vy.mul(vy) + 0.5 * shear.mul(shear);
  cv::sqrt(strain, strain);
  return strain;
}

FlowFeatures flow_features(const cv::Mat& onset, const cv::Mat& apex, FlowMethod method, cv::Size size, FlowNorm norm) {
  const cv::Mat flow = dense_flow(onset, apex, method);
  const cv::Mat strain = optical_strain(flow);
  cv::Mat uv[2];
  cv::split(flow, uv);
  FlowFeatures f;
  double u_max = 0, v_max = 0, s_max = 0;
  cv::minMaxLoc(cv::abs(uv[0]), nullptr, &u_max);
  cv::minMaxLoc(cv::abs(uv[1]), nullptr, &v_max);
  cv::minMaxLoc(strain, nullptr, &s_max);
  f.max_flow = static_cast<float>(std::max(u_max, v_max));
  f.max_strain = static_cast<float>(s_max);
  // INTER_AREA averages when shrinking: no aliasing of the fine flow.
  cv::Mat channels[3];
  cv::resize(uv[0], channels[0], size, 0, 0, cv::INTER_AREA);
  cv::resize(uv[1], channels[1], size, 0, 0, cv::INTER_AREA);
  cv::resize(strain, channels[2], size, 0, 0, cv::INTER_AREA);
  if (norm == FlowNorm::MinMax) {
    for (cv::Mat& c : channels) {
      double low = 0, high = 0;
      cv::minMaxLoc(c, &low, &high);
      if (high > low)
        c = (c - low) / (high - low);
      else
        c.setTo(0);
    }
  } else {
    if (f.max_flow > 0) {
      channels[0] /= f.max_flow;
      channels[1] /= f.max_flow;
    }
    if (f.max_strain > 0) channels[2] /= f.max_strain;
  }
  cv::merge(channels, 3, f.stacked);
  return f;
}

}  // namespace mexa::temporal
