#include "mexa/temporal/alignment.h"

#include <opencv2/imgproc.hpp>

#include <stdexcept>

#include "mexa/temporal/face_tracker.h"

namespace mexa::temporal {

cv::Mat FaceAlignment::to(cv::Size size) const {
  if (!face) return {};
  cv::Mat scaled = unit.clone();
  scaled.row(0) *= static_cast<double>(size.width);
  scaled.row(1) *= static_cast<double>(size.height);
  return scaled;
}

cv::Mat FaceAlignment::cut(const cv::Mat& image, cv::Size size) const {
  cv::Mat out;
  if (face)
    cv::warpAffine(image, out, to(size), size, cv::INTER_LINEAR, cv::BORDER_REPLICATE);
  else
    cv::resize(image, out, size, 0, 0, cv::INTER_AREA);
  return out;
}

FaceAlignment align_on(FaceTracker& tracker, const cv::Mat& rgb, int64_t frame) {
  FaceAlignment a;
  a.frame = frame;
  cv::Mat bgr;
  cv::cvtColor(rgb, bgr, cv::COLOR_RGB2BGR);
  const auto faces = tracker.detect(bgr);
  if (faces.empty()) return a;
  a.face = true;
  a.unit = tracker.unit_alignment(faces[0]);
  return a;
}

cv::Mat fit_similarity(const std::vector<cv::Point2f>& from, const std::vector<cv::Point2f>& to) {
  if (from.size() != to.size() || from.size() < 2) throw std::invalid_argument("fit_similarity needs >= 2 point pairs");
  const double n = static_cast<double>(from.size());
  double fx = 0, fy = 0, tx = 0, ty = 0;
  for (size_t i = 0; i < from.size(); ++i) fx += from[i].x, fy += from[i].y, tx += to[i].x, ty += to[i].y;
  fx /= n, fy /= n, tx /= n, ty /= n;
  // x' = a x - b y + c, y' = b x + a y + d minimising the squared error.
  double norm = 0, dot = 0, cross = 0;
  for (size_t i = 0; i < from.size(); ++i) {
    const double px = from[i].x - fx, py = from[i].y - fy, qx = to[i].x - tx, qy = to[i].y - ty;
    norm += px * px + py * py;
    dot += px * qx + py * qy;
    cross += px * qy - py * qx;
  }
  if (!(norm > 0)) throw std::runtime_error("cannot fit a similarity transform to coincident points");
  const double a = dot / norm, b = cross / norm;
  return (cv::Mat_<double>(2, 3) << a, -b, tx - (a * fx - b * fy), b, a, ty - (b * fx + a * fy));
}

}  // namespace mexa::temporal
