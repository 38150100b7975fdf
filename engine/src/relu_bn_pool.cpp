#include "relu_bn_pool.h"

#include <ATen/Parallel.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <stdexcept>
#include <vector>

namespace mexa::engine {
namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

struct Shape {
  int64_t batch, channels, height, width, out_h, out_w;
  int64_t plane() const { return height * width; }
  int64_t out_plane() const { return out_h * out_w; }
  double count() const { return static_cast<double>(batch * plane()); }
};

Shape shape_of(const torch::Tensor& z, int64_t window, int64_t padding) {
  const int64_t h = z.size(2), w = z.size(3);
  return {z.size(0), z.size(1), h, w, max_pooled_size(h, window, padding), max_pooled_size(w, window, padding)};
}

/// NaN stays NaN, as LibTorch's relu (so a NaN spoils its channel's batch statistics there too).
inline float relu(float v) { return v > 0.f || v != v ? v : 0.f; }

/// Four float lanes (GCC/Clang vector extension, one SSE register): sums in
/// a fixed lane order the compiler keeps in SIMD registers, the same on every
/// x86-64 machine.
typedef float Lanes __attribute__((vector_size(16)));
constexpr int64_t kLanes = 4;

inline Lanes load(const float* p) {
  Lanes v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

inline Lanes relu(Lanes v) {
  const Lanes zero = {};
  return (v > zero) | (v != v) ? v : zero;
}

inline float lane_sum(Lanes v) { return (v[0] + v[1]) + (v[2] + v[3]); }

/// sum of relu(p[i]) over a plane.
float relu_sum(const float* p, int64_t n) {
  Lanes a = {}, b = {};
  int64_t i = 0;
  for (; i + 2 * kLanes <= n; i += 2 * kLanes) {
    a += relu(load(p + i));
    b += relu(load(p + i + kLanes));
  }
  float s = lane_sum(a + b);
  for (; i < n; ++i) s += relu(p[i]);
  return s;
}

/// Sums of d and d^2 for d = relu(p[i]) - centre over a plane.
std::pair<float, float> relu_moments(const float* p, int64_t n, float centre) {
  const Lanes c = Lanes{} + centre;
  Lanes s1 = {}, s2 = {};
  int64_t i = 0;
  for (; i + kLanes <= n; i += kLanes) {
    const Lanes d = relu(load(p + i)) - c;
    s1 += d;
    s2 += d * d;
  }
  float sum = lane_sum(s1), squares = lane_sum(s2);
  for (; i < n; ++i) {
    const float d = relu(p[i]) - centre;
    sum += d;
    squares += d * d;
  }
  return {sum, squares};
}

/// Batch mean and biased variance of relu(z) in channel c in one pass: the
/// moments about the first plane's mean (near the batch's, so the variance
/// loses no digits to cancellation), each plane summed in float, the planes in
/// double.
std::pair<double, double> channel_moments(const float* z, const Shape& s, int64_t c) {
  const float centre = relu_sum(z + c * s.plane(), s.plane()) / static_cast<float>(s.plane());
  double sum = 0, squares = 0;
  for (int64_t b = 0; b < s.batch; ++b) {
    const auto [s1, s2] = relu_moments(z + (b * s.channels + c) * s.plane(), s.plane(), centre);
    sum += s1;
    squares += s2;
  }
  const double shift = sum / s.count();
  return {centre + shift, std::max(squares / s.count() - shift * shift, 0.0)};
}

/// out[i] = a * z[i] + b where z[i] > 0, else 0.
void masked_affine(const float* z, int64_t n, float a, float b, float* out) {
  const Lanes zero = {}, av = zero + a, bv = zero + b;
  int64_t i = 0;
  for (; i + kLanes <= n; i += kLanes) {
    const Lanes v = load(z + i);
    const Lanes r = v > zero ? av * v + bv : zero;
    std::memcpy(out + i, &r, sizeof r);
  }
  for (; i < n; ++i) out[i] = z[i] > 0.f ? a * z[i] + b : 0.f;
}

/// a wins over b: the larger (the smaller when Min) or NaN, as LibTorch's max pooling.
template <bool Min>
inline bool wins(float a, float b) {
  return (Min ? a < b : a > b) || a != a;
}

typedef int32_t IntLanes __attribute__((vector_size(16)));

template <bool Min>
inline IntLanes wins(Lanes a, Lanes b) {
  if constexpr (Min)
    return (a < b) | (a != a);
  else
    return (a > b) | (a != a);
}

/// Each column's winner over rows [h0, h1) of a plane, and its row.
template <bool Min>
void column_winners(const float* z, int64_t width, int64_t h0, int64_t h1, float* best_out, int32_t* row_out) {
  int64_t w = 0;
  for (; w + kLanes <= width; w += kLanes) {
    Lanes best = load(z + h0 * width + w);
    IntLanes row = IntLanes{} + static_cast<int32_t>(h0);
    for (int64_t h = h0 + 1; h < h1; ++h) {
      const Lanes v = load(z + h * width + w);
      const IntLanes take = wins<Min>(v, best);
      best = take ? v : best;
      row = take ? IntLanes{} + static_cast<int32_t>(h) : row;
    }
    std::memcpy(best_out + w, &best, sizeof best);
    std::memcpy(row_out + w, &row, sizeof row);
  }
  for (; w < width; ++w) {
    float best = z[h0 * width + w];
    int32_t row = static_cast<int32_t>(h0);
    for (int64_t h = h0 + 1; h < h1; ++h) {
      if (wins<Min>(z[h * width + w], best)) {
        best = z[h * width + w];
        row = static_cast<int32_t>(h);
      }
    }
    best_out[w] = best;
    row_out[w] = row;
  }
}

/// Scratch for one channel's pooling. Column winners are written into
/// `padded` after `padding` cells; the cells around them hold a value that
/// never wins. `column` maps each window position (transposed: position j of
/// every window in one run of `stride`) to the nearest real column.
struct PoolScratch {
  int64_t stride;  ///< out_w rounded up to whole lanes
  std::vector<float> padded, value, out;
  std::vector<int32_t> column_row, column;
  PoolScratch(const Shape& s, int64_t window, int64_t padding, float loses)
      : stride((s.out_w + kLanes - 1) / kLanes * kLanes),
        padded(static_cast<size_t>(stride * window + s.width + padding), loses),
        value(static_cast<size_t>(stride * window)),
        out(static_cast<size_t>(stride)),
        column_row(static_cast<size_t>(s.width)),
        column(static_cast<size_t>(stride * window)) {
    for (int64_t j = 0; j < window; ++j)
      for (int64_t ow = 0; ow < stride; ++ow)
        column[j * stride + ow] = static_cast<int32_t>(std::clamp<int64_t>(ow * window + j - padding, 0, s.width - 1));
  }
};

inline IntLanes load_int(const int32_t* p) {
  IntLanes v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

/// One output row: each window's winner among the column winners, written as
/// scale * relu(winner) + shift, and where it is (row * width + column); the
/// windows compared several at a time. Ties go to the first row within a
/// column, then the first column (LibTorch scans row by row: an exact tie of
/// two positive values may send the gradient to the other element).
/// Lanes past the row's last window compute values nobody reads.
template <bool Min>
void window_winners(const Shape& s, int64_t window, float scale, float shift, PoolScratch& t, float* out,
                    int32_t* where) {
  for (int64_t j = 0; j < window; ++j)
    for (int64_t ow = 0; ow < t.stride; ++ow) t.value[j * t.stride + ow] = t.padded[ow * window + j];
  const Lanes a = Lanes{} + scale, b = Lanes{} + shift;
  for (int64_t ow = 0; ow < t.stride; ow += kLanes) {
    Lanes best = load(&t.value[ow]);
    IntLanes at = load_int(&t.column[ow]);
    for (int64_t j = 1; j < window; ++j) {
      const Lanes v = load(&t.value[j * t.stride + ow]);
      const IntLanes take = wins<Min>(v, best);
      best = take ? v : best;
      at = take ? load_int(&t.column[j * t.stride + ow]) : at;
    }
    const Lanes y = best != best ? best : a * relu(best) + b;
    std::memcpy(&t.out[ow], &y, sizeof y);
    for (int64_t k = 0; k < kLanes && ow + k < s.out_w; ++k)
      where[ow + k] = t.column_row[at[k]] * static_cast<int32_t>(s.width) + at[k];
  }
  std::memcpy(out, t.out.data(), sizeof(float) * s.out_w);
}

/// One plane: out = scale * relu(m) + shift for each window's maximum m of z
/// (its minimum when scale < 0: relu and the affine map are monotonic, so this
/// is the maximum of scale * relu(z) + shift), and where that element is.
/// Rows first: each column's winner over the window's rows, then the window's
/// over its columns.
template <bool Min>
void pool_plane(const float* z, const Shape& s, int64_t window, int64_t padding, float scale, float shift, float* out,
                int32_t* where, PoolScratch& scratch) {
  for (int64_t oh = 0; oh < s.out_h; ++oh) {
    const int64_t h0 = std::max<int64_t>(oh * window - padding, 0);
    const int64_t h1 = std::min(oh * window - padding + window, s.height);
    column_winners<Min>(z, s.width, h0, h1, scratch.padded.data() + padding, scratch.column_row.data());
    window_winners<Min>(s, window, scale, shift, scratch, out + oh * s.out_w, where + oh * s.out_w);
  }
}

/// Mean of each non-overlapping a x a block of x [B, C, H, W] (H, W multiples of a).
/// Written out rather than at::avg_pool2d: LibTorch's generic kernels (and its
/// backward) took 8 % of a training step's samples on STSTNet's 10x10 maps.
torch::Tensor average_pool(const torch::Tensor& x, int64_t a) {
  const int64_t planes = x.size(0) * x.size(1), h = x.size(2), w = x.size(3);
  auto y = torch::empty({x.size(0), x.size(1), h / a, w / a}, x.options());
  const float* xp = x.data_ptr<float>();
  float* yp = y.data_ptr<float>();
  const auto count = static_cast<float>(a * a);
  for (int64_t p = 0; p < planes; ++p)
    for (int64_t i = 0; i < h / a; ++i)
      for (int64_t j = 0; j < w / a; ++j) {
        float sum = 0.f;
        for (int64_t u = 0; u < a; ++u)
          for (int64_t v = 0; v < a; ++v) sum += xp[(p * h + i * a + u) * w + j * a + v];
        yp[(p * (h / a) + i) * (w / a) + j] = sum / count;
      }
  return y;
}

/// The gradient of average_pool: each block's gradient shared equally, [B, C, H a, W a].
torch::Tensor average_pool_backward(const torch::Tensor& g, int64_t a) {
  const int64_t planes = g.size(0) * g.size(1), h = g.size(2) * a, w = g.size(3) * a;
  auto x = torch::empty({g.size(0), g.size(1), h, w}, g.options());
  const float* gp = g.data_ptr<float>();
  float* xp = x.data_ptr<float>();
  const auto count = static_cast<float>(a * a);
  for (int64_t p = 0; p < planes; ++p)
    for (int64_t r = 0; r < h; ++r) {
      const float* g_row = gp + (p * (h / a) + r / a) * (w / a);
      float* x_row = xp + (p * h + r) * w;
      for (int64_t j = 0; j < w / a; ++j) {
        const float v = g_row[j] / count;
        for (int64_t u = 0; u < a; ++u) x_row[j * a + u] = v;
      }
    }
  return x;
}

struct ReluBnPoolFunction : torch::autograd::Function<ReluBnPoolFunction> {
  static torch::Tensor forward(AutogradContext* ctx, torch::Tensor z, torch::Tensor gamma, torch::Tensor beta,
                               torch::Tensor running_mean, torch::Tensor running_var, int64_t window, int64_t padding,
                               int64_t average, double eps, double momentum, bool training) {
    z = z.contiguous();
    const Shape s = shape_of(z, window, padding);
    auto mean = torch::empty({s.channels}, torch::kDouble);
    auto invstd = torch::empty({s.channels}, torch::kDouble);
    auto out = torch::empty({s.batch, s.channels, s.out_h, s.out_w}, z.options());
    auto where = torch::empty({s.batch, s.channels, s.out_h, s.out_w}, z.options().dtype(torch::kInt));
    const auto g = gamma.detach().to(torch::kDouble).contiguous(), bt = beta.detach().to(torch::kDouble).contiguous();
    const auto rm = running_mean.to(torch::kDouble).contiguous(), rv = running_var.to(torch::kDouble).contiguous();
    const float* zp = z.data_ptr<float>();
    double *mp = mean.data_ptr<double>(), *ip = invstd.data_ptr<double>();
    const double *gp = g.data_ptr<double>(), *bp = bt.data_ptr<double>();
    const double *rmp = rm.data_ptr<double>(), *rvp = rv.data_ptr<double>();
    std::vector<double> var(static_cast<size_t>(s.channels));
    at::parallel_for(0, s.channels, 1, [&](int64_t begin, int64_t end) {
      for (int64_t c = begin; c < end; ++c) {
        if (training) {
          std::tie(mp[c], var[c]) = channel_moments(zp, s, c);
        } else {
          mp[c] = rmp[c];
          var[c] = rvp[c];
        }
        ip[c] = 1.0 / std::sqrt(var[c] + eps);
        const auto scale = static_cast<float>(gp[c] * ip[c]);
        const auto shift = static_cast<float>(bp[c] - mp[c] * gp[c] * ip[c]);
        const float loses = (scale < 0.f ? 1.f : -1.f) * std::numeric_limits<float>::infinity();
        PoolScratch scratch(s, window, padding, loses);
        for (int64_t b = 0; b < s.batch; ++b) {
          const int64_t plane = b * s.channels + c;
          float* o = out.data_ptr<float>() + plane * s.out_plane();
          int32_t* w = where.data_ptr<int32_t>() + plane * s.out_plane();
          if (scale < 0.f)
            pool_plane<true>(zp + plane * s.plane(), s, window, padding, scale, shift, o, w, scratch);
          else
            pool_plane<false>(zp + plane * s.plane(), s, window, padding, scale, shift, o, w, scratch);
        }
      }
    });
    if (training) {
      torch::NoGradGuard no_grad;
      const double n = s.count();
      const auto var_t = torch::from_blob(var.data(), {s.channels}, torch::kDouble);
      running_mean.mul_(1 - momentum).add_(mean.to(running_mean.scalar_type()), momentum);
      running_var.mul_(1 - momentum).add_((var_t * (n / std::max(n - 1, 1.0))).to(running_var.scalar_type()), momentum);
    }
    ctx->save_for_backward({z, gamma});
    ctx->saved_data["mean"] = mean;
    ctx->saved_data["invstd"] = invstd;
    ctx->saved_data["where"] = where;
    ctx->saved_data["window"] = window;
    ctx->saved_data["padding"] = padding;
    ctx->saved_data["training"] = training;
    ctx->saved_data["average"] = average;
    return average > 1 ? average_pool(out, average) : out;
  }

  static variable_list backward(AutogradContext* ctx, variable_list grads) {
    const auto saved = ctx->get_saved_variables();
    const auto& z = saved[0];
    const auto gamma = saved[1].detach().to(torch::kDouble).contiguous();
    const auto mean = ctx->saved_data["mean"].toTensor(), invstd = ctx->saved_data["invstd"].toTensor();
    const auto where = ctx->saved_data["where"].toTensor();
    const bool training = ctx->saved_data["training"].toBool();
    const Shape s = shape_of(z, ctx->saved_data["window"].toInt(), ctx->saved_data["padding"].toInt());
    const int64_t average = ctx->saved_data["average"].toInt();
    const auto gout = average > 1 ? average_pool_backward(grads[0].contiguous(), average) : grads[0].contiguous();
    auto dz = torch::empty_like(z);
    auto dgamma = torch::empty({s.channels}, torch::kDouble), dbeta = torch::empty({s.channels}, torch::kDouble);
    const float *zp = z.data_ptr<float>(), *gp = gout.data_ptr<float>();
    const int32_t* wp = where.data_ptr<int32_t>();
    float* dzp = dz.data_ptr<float>();
    at::parallel_for(0, s.channels, 1, [&](int64_t begin, int64_t end) {
      for (int64_t c = begin; c < end; ++c) {
        const double m = mean.data_ptr<double>()[c], is = invstd.data_ptr<double>()[c];
        // Only each window's maximum has a gradient from the pooling.
        double sum_g = 0, sum_gr = 0;  // sums of g and g relu(z) at the maxima, each plane's in float
        for (int64_t b = 0; b < s.batch; ++b) {
          const int64_t plane = b * s.channels + c;
          const float *g = gp + plane * s.out_plane(), *zq = zp + plane * s.plane();
          const int32_t* at = wp + plane * s.out_plane();
          float plane_g = 0.f, plane_gr = 0.f;
          for (int64_t o = 0; o < s.out_plane(); ++o) {
            plane_g += g[o];
            plane_gr += g[o] * relu(zq[at[o]]);
          }
          sum_g += plane_g;
          sum_gr += plane_gr;
        }
        const double sum_gx = (sum_gr - m * sum_g) * is;  // sum of g xhat
        dgamma.data_ptr<double>()[c] = sum_gx;
        dbeta.data_ptr<double>()[c] = sum_g;
        const double k = gamma.data_ptr<double>()[c] * is;
        // Batch norm's backward: k (dy - mean(dy) - xhat mean(dy xhat)); the
        // batch terms reach every element (none in evaluation), ReLU's mask after.
        const auto a = static_cast<float>(training ? -k * is * sum_gx / s.count() : 0.0);
        const auto b0 = static_cast<float>(training ? -k * (sum_g - m * is * sum_gx) / s.count() : 0.0);
        const auto kf = static_cast<float>(k);
        for (int64_t b = 0; b < s.batch; ++b) {
          const int64_t plane = b * s.channels + c;
          const float* zq = zp + plane * s.plane();
          float* dq = dzp + plane * s.plane();
          masked_affine(zq, s.plane(), a, b0, dq);
          for (int64_t o = 0; o < s.out_plane(); ++o) {
            const int32_t at = wp[plane * s.out_plane() + o];
            if (zq[at] > 0.f) dq[at] += kf * gp[plane * s.out_plane() + o];
          }
        }
      }
    });
    variable_list to_inputs(11);  // z, gamma, beta; nothing for the statistics and options
    to_inputs[0] = dz;
    to_inputs[1] = dgamma.to(saved[1].scalar_type());
    to_inputs[2] = dbeta.to(saved[1].scalar_type());
    return to_inputs;
  }
};

}  // namespace

int64_t max_pooled_size(int64_t size, int64_t window, int64_t padding) {
  return (size + 2 * padding - window) / window + 1;
}

torch::Tensor relu_bn_pool(const torch::Tensor& z, const torch::Tensor& gamma, const torch::Tensor& beta,
                           torch::Tensor running_mean, torch::Tensor running_var, const ReluBnPoolOptions& options) {
  if (!z.device().is_cpu() || z.scalar_type() != torch::kFloat || z.dim() != 4)
    throw std::invalid_argument("relu_bn_pool: wants a [B, C, H, W] float32 CPU tensor, got " + c10::str(z.sizes()) +
                                " " + c10::str(z.scalar_type()) + " on " + z.device().str());
  const auto fits = [&] {
    const int64_t b = z.size(0), h = z.size(2), w = z.size(3), window = options.window, padding = options.padding;
    if (window < 1 || padding < 0 || padding >= window || options.average < 1 || b < 1 || h < 1 || w < 1 ||
        h + 2 * padding < window || w + 2 * padding < window || h * w >= std::numeric_limits<int32_t>::max() ||
        (options.training && b * h * w < 2))
      return false;
    const Shape s = shape_of(z, window, padding);
    return s.out_h % options.average == 0 && s.out_w % options.average == 0;
  };
  if (!fits())
    throw std::invalid_argument("relu_bn_pool: window " + std::to_string(options.window) + ", padding " +
                                std::to_string(options.padding) + ", average " + std::to_string(options.average) +
                                (options.training ? ", training" : "") + " do not fit " + c10::str(z.sizes()));
  for (const torch::Tensor* t : {&gamma, &beta, static_cast<const torch::Tensor*>(&running_mean),
                                 static_cast<const torch::Tensor*>(&running_var)})
    if (t->numel() != z.size(1) || !t->device().is_cpu())
      throw std::invalid_argument("relu_bn_pool: batch norm's parameters and statistics want " +
                                  std::to_string(z.size(1)) + " values on the CPU, got " + c10::str(t->sizes()));
  return ReluBnPoolFunction::apply(z, gamma, beta, running_mean, running_var, options.window, options.padding,
                                   options.average, options.eps, options.momentum, options.training);
}

}  // namespace mexa::engine
