#include "mexa/temporal/global_shift.h"

#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <vector>

namespace mexa::temporal {
namespace {

// ECC's warps read at most a few pixels beyond the frame; larger shifts pad on demand.
constexpr int kPad = 8;
constexpr int kEccIterations = 30;
constexpr double kEccEps = 1e-4;

/// A translation as cv::warpAffine applies it (WARP_INVERSE_MAP, bilinear):
/// the offset is rounded to 1/32 pixel, then split into a whole part and the
/// four tap weights. `nearest` is the whole offset INTER_NEAREST would use.
struct Taps {
  int ix, iy, nx, ny;
  float w00, w01, w10, w11;
};

Taps taps_for(Shift s) {
  const int qx = (cvRound(static_cast<double>(s.x) * 1024) + 16) >> 5;
  const int qy = (cvRound(static_cast<double>(s.y) * 1024) + 16) >> 5;
  const float ax = static_cast<float>(qx & 31) / 32.0f, ay = static_cast<float>(qy & 31) / 32.0f;
  return {qx >> 5,
          qy >> 5,
          (cvRound(static_cast<double>(s.x) * 1024) + 512) >> 10,
          (cvRound(static_cast<double>(s.y) * 1024) + 512) >> 10,
          (1 - ax) * (1 - ay),
          ax * (1 - ay),
          (1 - ax) * ay,
          ax * ay};
}

/// `padded` (pad pixels each side), or a copy padded enough for taps `t`.
cv::Mat reach(const cv::Mat& padded, int pad, const Taps& t, int border, int& used_pad, double value) {
  const int need = std::max({-t.ix, t.ix + 1, -t.iy, t.iy + 1});
  used_pad = pad;
  if (need <= pad) return padded;
  used_pad = need + kPad;
  const cv::Mat inner = padded(cv::Rect(pad, pad, padded.cols - 2 * pad, padded.rows - 2 * pad));
  cv::Mat out;
  cv::copyMakeBorder(inner, out, used_pad, used_pad, used_pad, used_pad, border, cv::Scalar(value));
  return out;
}

/// Pointer to the top-left tap of output row y in a padded image.
const float* tap_row(const cv::Mat& padded, int pad, const Taps& t, int y) {
  return padded.ptr<float>(y + t.iy + pad) + t.ix + pad;
}

cv::Mat padded(const cv::Mat& image, int border, double value = 0) {
  cv::Mat out;
  cv::copyMakeBorder(image, out, kPad, kPad, kPad, kPad, border, cv::Scalar(value));
  return out;
}

/// Sums over one ECC iteration's warped image v, warped gradients gx, gy and
/// template t, all centred on their frame's mean (v' = v - mean of the frame,
/// t' likewise) so that float row sums lose nothing to cancellation. "in":
/// over the warped mask; "all": over every pixel.
struct EccSums {
  double n = 0, v = 0, vv = 0, t = 0, tt = 0, tv = 0;
  double gx_t = 0, gy_t = 0, gx_v = 0, gy_v = 0, gx = 0, gy = 0;
  double gxx = 0, gxy = 0, gyy = 0, gx_v_all = 0, gy_v_all = 0, gx_all = 0, gy_all = 0;
};

/// One row of warped values: the three channels sampled at the row's taps.
void sample_row(const float* r0, const float* r1, const Taps& t, int w, float* out) {
#pragma omp simd
  for (int x = 0; x < w; ++x) out[x] = r0[x] * t.w00 + r0[x + 1] * t.w01 + r1[x] * t.w10 + r1[x + 1] * t.w11;
}

void add_all(const float* v, const float* gx, const float* gy, int w, EccSums& s) {
  float gxx = 0, gxy = 0, gyy = 0, gxv = 0, gyv = 0, sx = 0, sy = 0;
#pragma omp simd reduction(+ : gxx, gxy, gyy, gxv, gyv, sx, sy)
  for (int x = 0; x < w; ++x) {
    gxx += gx[x] * gx[x], gxy += gx[x] * gy[x], gyy += gy[x] * gy[x];
    gxv += gx[x] * v[x], gyv += gy[x] * v[x], sx += gx[x], sy += gy[x];
  }
  s.gxx += gxx, s.gxy += gxy, s.gyy += gyy, s.gx_v_all += gxv, s.gy_v_all += gyv, s.gx_all += sx, s.gy_all += sy;
}

void add_masked(const float* v, const float* gx, const float* gy, const float* t, int lo, int hi, EccSums& s) {
  float sv = 0, vv = 0, st = 0, tt = 0, tv = 0, gxt = 0, gyt = 0, gxv = 0, gyv = 0, sx = 0, sy = 0;
#pragma omp simd reduction(+ : sv, vv, st, tt, tv, gxt, gyt, gxv, gyv, sx, sy)
  for (int x = lo; x < hi; ++x) {
    sv += v[x], vv += v[x] * v[x], st += t[x], tt += t[x] * t[x], tv += t[x] * v[x];
    gxt += gx[x] * t[x], gyt += gy[x] * t[x], gxv += gx[x] * v[x], gyv += gy[x] * v[x], sx += gx[x], sy += gy[x];
  }
  s.n += hi - lo, s.v += sv, s.vv += vv, s.t += st, s.tt += tt, s.tv += tv;
  s.gx_t += gxt, s.gy_t += gyt, s.gx_v += gxv, s.gy_v += gyv, s.gx += sx, s.gy += sy;
}

EccSums ecc_sums(const ShiftFrame& reference, const ShiftFrame& frame, const Taps& t) {
  int pi = 0, pgx = 0, pgy = 0;
  const cv::Mat img = reach(frame.zero_padded(), frame.pad(), t, cv::BORDER_CONSTANT, pi, -frame.mean());
  const cv::Mat gx = reach(frame.gx_padded(), frame.pad(), t, cv::BORDER_CONSTANT, pgx, 0);
  const cv::Mat gy = reach(frame.gy_padded(), frame.pad(), t, cv::BORDER_CONSTANT, pgy, 0);
  const cv::Mat& tmpl = reference.centred();
  const int w = tmpl.cols, h = tmpl.rows;
  // The mask: pixels whose nearest source pixel lies inside the frame.
  const int x_lo = std::max(0, -t.nx), x_hi = std::min(w, w - t.nx);
  std::vector<float> rows(3 * static_cast<size_t>(w));
  float *v = rows.data(), *dx = v + w, *dy = dx + w;
  EccSums s;
  for (int y = 0; y < h; ++y) {
    const float* i0 = tap_row(img, pi, t, y);
    const float* gx0 = tap_row(gx, pgx, t, y);
    const float* gy0 = tap_row(gy, pgy, t, y);
    sample_row(i0, i0 + img.step1(), t, w, v);
    sample_row(gx0, gx0 + gx.step1(), t, w, dx);
    sample_row(gy0, gy0 + gy.step1(), t, w, dy);
    add_all(v, dx, dy, w, s);
    if (y + t.ny >= 0 && y + t.ny < h && x_lo < x_hi) add_masked(v, dx, dy, tmpl.ptr<float>(y), x_lo, x_hi, s);
  }
  return s;
}

/// cv::phaseCorrelate's normalisation of a packed (CCS) cross-power
/// spectrum: each complex entry divided by its magnitude (in float, plus
/// FLT_EPSILON); the few real-only entries (DC and Nyquist) become their sign.
void normalise_packed(cv::Mat& p) {
  CV_Assert(p.type() == CV_32FC1 && p.isContinuous());
  const int rows = p.rows, cols = p.cols;
  const auto unit = [](float& re, float& im) {
    const float mag = std::sqrt(re * re + im * im);
    const float k = mag / (mag * mag + FLT_EPSILON);
    re *= k, im *= k;
  };
  const auto real_only = [](float& x) { x = x > 0 ? 1.0f : x < 0 ? -1.0f : 0.0f; };
  // Columns 0 and (even widths) cols - 1 pack their complex entries down the column.
  for (int c : cols % 2 == 0 ? std::vector<int>{0, cols - 1} : std::vector<int>{0}) {
    real_only(p.at<float>(0, c));
    if (rows % 2 == 0) real_only(p.at<float>(rows - 1, c));
    for (int r = 1; r + 1 < rows; r += 2) unit(p.at<float>(r, c), p.at<float>(r + 1, c));
  }
  const int last = cols - (cols % 2 == 0 ? 1 : 0);
  for (int r = 0; r < rows; ++r) {
    float* row = p.ptr<float>(r);
    for (int c = 1; c < last; c += 2) unit(row[c], row[c + 1]);
  }
}

}  // namespace

cv::Mat hann_window(cv::Size size) {
  cv::Mat window;
  cv::createHanningWindow(window, size, CV_32F);
  return window;
}

ShiftFrame::ShiftFrame(cv::Mat smoothed, const cv::Mat& window) : image_(std::move(smoothed)) {
  CV_Assert(image_.type() == CV_32FC1);
  pad_ = kPad;
  edge_padded_ = padded(image_, cv::BORDER_REPLICATE);
  if (window.empty()) return;
  CV_Assert(window.size() == image_.size());
  // Phase correlation: windowed, zero-padded to a DFT-friendly size.
  cv::Mat windowed = image_.mul(window);
  const int rows = cv::getOptimalDFTSize(image_.rows), cols = cv::getOptimalDFTSize(image_.cols);
  if (rows != image_.rows || cols != image_.cols)
    cv::copyMakeBorder(windowed, windowed, 0, rows - image_.rows, 0, cols - image_.cols, cv::BORDER_CONSTANT,
                       cv::Scalar(0));
  cv::dft(windowed, spectrum_, cv::DFT_REAL_OUTPUT);  // packed (CCS)
  // ECC: the centred image and its central-difference gradients, zero on the
  // outermost rows and columns (cv::filter2D with [-0.5, 0, 0.5] and its
  // reflected border), each padded with zeros.
  mean_ = cv::mean(image_)[0];
  cv::Mat centred;
  cv::subtract(image_, cv::Scalar(mean_), centred);
  zero_padded_ = padded(centred, cv::BORDER_CONSTANT, -mean_);
  const cv::Rect inner(kPad, kPad, image_.cols, image_.rows);
  centred_ = zero_padded_(inner);
  gx_padded_ = cv::Mat::zeros(zero_padded_.size(), CV_32F);
  gy_padded_ = cv::Mat::zeros(zero_padded_.size(), CV_32F);
  cv::Mat gx = gx_padded_(inner), gy = gy_padded_(inner);
  for (int y = 0; y < image_.rows; ++y) {
    const float* row = image_.ptr<float>(y);
    float* out = gx.ptr<float>(y);
    for (int x = 1; x + 1 < image_.cols; ++x) out[x] = 0.5f * (row[x + 1] - row[x - 1]);
  }
  for (int y = 1; y + 1 < image_.rows; ++y) {
    const float *up = image_.ptr<float>(y - 1), *down = image_.ptr<float>(y + 1);
    float* out = gy.ptr<float>(y);
    for (int x = 0; x < image_.cols; ++x) out[x] = 0.5f * (down[x] - up[x]);
  }
}

Shift phase_shift(const ShiftFrame& reference, const ShiftFrame& frame) {
  // Cross-power spectrum normalised to unit magnitude, back to space.
  cv::Mat cross;
  cv::mulSpectrums(reference.spectrum(), frame.spectrum(), cross, 0, /*conjB=*/true);
  normalise_packed(cross);
  cv::Mat surface;
  cv::dft(cross, surface, cv::DFT_INVERSE | cv::DFT_REAL_OUTPUT);
  // Peak of the centred surface (the maximum; the quadrants of the raw
  // surface swapped), then the centroid of the 5x5 box around it, clipped to
  // the centred surface.
  const int rows = surface.rows, cols = surface.cols;
  cv::Point raw;
  cv::minMaxLoc(surface, nullptr, nullptr, nullptr, &raw);
  const int py = (raw.y + rows - rows / 2) % rows, px = (raw.x + cols - cols / 2) % cols;
  const auto at = [&](int y, int x) { return surface.at<float>((y + rows / 2) % rows, (x + cols / 2) % cols); };
  double sum = 0, sx = 0, sy = 0;
  for (int y = std::max(0, py - 2); y <= std::min(rows - 1, py + 2); ++y)
    for (int x = std::max(0, px - 2); x <= std::min(cols - 1, px + 2); ++x) {
      const double v = at(y, x);
      sum += v, sx += x * v, sy += y * v;
    }
  return {static_cast<float>(cols / 2.0 - sx / sum), static_cast<float>(rows / 2.0 - sy / sum)};
}

bool refine_shift(const ShiftFrame& reference, const ShiftFrame& frame, Shift& shift) {
  double rho = -1, last_rho = -kEccEps;
  for (int i = 1; i <= kEccIterations && std::fabs(rho - last_rho) >= kEccEps; ++i) {
    const EccSums s = ecc_sums(reference, frame, taps_for(shift));
    if (s.n == 0) return false;
    const double v_mean = s.v / s.n, t_mean = s.t / s.n;  // of the centred values
    const double v_var = std::max(0.0, s.vv / s.n - v_mean * v_mean);
    const double t_var = std::max(0.0, s.tt / s.n - t_mean * t_mean);
    const double t_norm = std::sqrt(s.n * t_var), v_norm = std::sqrt(s.n * v_var);
    // As in OpenCV, the warped image is made zero-mean inside the mask and
    // left as warped outside it (its uncentred value is v' + the frame's
    // mean); the template is zero-mean inside and zero outside.
    const double correlation = s.tv - s.n * t_mean * v_mean;
    const double c = frame.mean();
    const double ip_x = s.gx_v - v_mean * s.gx + (s.gx_v_all - s.gx_v) + c * (s.gx_all - s.gx);
    const double ip_y = s.gy_v - v_mean * s.gy + (s.gy_v_all - s.gy_v) + c * (s.gy_all - s.gy);
    const double tp_x = s.gx_t - t_mean * s.gx, tp_y = s.gy_t - t_mean * s.gy;
    const double det = s.gxx * s.gyy - s.gxy * s.gxy;
    if (det == 0) return false;
    const double hxx = s.gyy / det, hxy = -s.gxy / det, hyy = s.gxx / det;  // Hessian inverse
    last_rho = rho;
    rho = correlation / (v_norm * t_norm);
    if (std::isnan(rho)) return false;
    const double hip_x = hxx * ip_x + hxy * ip_y, hip_y = hxy * ip_x + hyy * ip_y;
    const double lambda_n = v_norm * v_norm - (ip_x * hip_x + ip_y * hip_y);
    const double lambda_d = correlation - (tp_x * hip_x + tp_y * hip_y);
    if (lambda_d <= 0) return false;
    const double lambda = lambda_n / lambda_d;
    const double ep_x = lambda * tp_x - ip_x, ep_y = lambda * tp_y - ip_y;
    shift.x += static_cast<float>(hxx * ep_x + hxy * ep_y);
    shift.y += static_cast<float>(hxy * ep_x + hyy * ep_y);
  }
  return true;
}

Shift estimate_shift(const ShiftFrame& reference, const ShiftFrame& frame, bool* aligned) {
  if (aligned) *aligned = false;
  if (reference.spectrum().empty() || frame.spectrum().empty()) return {};
  Shift shift = phase_shift(reference, frame);
  // Small global shifts only: larger ones are not drift but real motion.
  if (!(std::abs(shift.x) < 3 && std::abs(shift.y) < 3)) return {};
  // Phase correlation's sub-pixel peak is biased by ~0.3 px; ECC refines it.
  // When ECC stops early its last estimate is kept.
  refine_shift(reference, frame, shift);
  if (aligned) *aligned = true;
  return shift;
}

float aligned_mse(const ShiftFrame& reference, const ShiftFrame& frame, Shift shift, const cv::Mat& weights) {
  const cv::Mat& ref = reference.image();
  CV_Assert(frame.image().size() == ref.size());
  CV_Assert(weights.empty() || (weights.size() == ref.size() && weights.type() == CV_32FC1));
  const Taps t = taps_for(shift);
  int pad = 0;
  const cv::Mat edge = reach(frame.edge_padded(), frame.pad(), t, cv::BORDER_REPLICATE, pad, 0);
  std::vector<float> row(static_cast<size_t>(ref.cols));
  double sum = 0;
  for (int y = 0; y < ref.rows; ++y) {
    const float* r0 = tap_row(edge, pad, t, y);
    sample_row(r0, r0 + edge.step1(), t, ref.cols, row.data());
    const float* a = row.data();
    const float* b = ref.ptr<float>(y);
    float part = 0;
    if (weights.empty()) {
#pragma omp simd reduction(+ : part)
      for (int x = 0; x < ref.cols; ++x) part += (a[x] - b[x]) * (a[x] - b[x]);
    } else {
      const float* w = weights.ptr<float>(y);
#pragma omp simd reduction(+ : part)
      for (int x = 0; x < ref.cols; ++x) part += (a[x] - b[x]) * (a[x] - b[x]) * w[x];
    }
    sum += part;
  }
  return static_cast<float>(sum / static_cast<double>(ref.total()));
}

}  // namespace mexa::temporal
