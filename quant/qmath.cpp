// SPDX-License-Identifier: Apache-2.0
#include "quant/qmath.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>

#include "base/check.h"

namespace yq::quant {
namespace {

// Number of consecutive elements sharing one channel index (the product of dims after axis) and
// the channel count; per-tensor params are one channel spanning everything.
struct ChannelLayout {
  int64_t inner = 1;
  int64_t channels = 1;
};

ChannelLayout channel_layout(const Tensor& x, const ir::QParams& qp) {
  ChannelLayout l;
  if (!qp.per_channel()) {
    l.inner = std::max<int64_t>(x.numel(), 1);
    return l;
  }
  l.channels = x.dim(qp.axis);
  for (int d = qp.axis + 1; d < x.rank(); ++d) l.inner *= x.dim(d);
  return l;
}

// Channel of flat element i: elements are C-ordered, so i / inner counts blocks of `inner`
// elements and the channel cycles through them with period `channels`.
inline size_t channel_of(int64_t i, const ChannelLayout& l) {
  return static_cast<size_t>((i / l.inner) % l.channels);
}

template <typename Q>
void quantize_loop(const float* x, Q* out, int64_t n, const ir::QParams& qp, const ChannelLayout& l) {
  for (int64_t i = 0; i < n; ++i) {
    const size_t c = qp.per_channel() ? channel_of(i, l) : 0;
    out[i] = static_cast<Q>(quantize_value(x[i], qp.scales[c], qp.zero_points[c], qp.qmin, qp.qmax));
  }
}

template <typename Q>
void dequantize_loop(const Q* q, float* out, int64_t n, const ir::QParams& qp, const ChannelLayout& l) {
  for (int64_t i = 0; i < n; ++i) {
    const size_t c = qp.per_channel() ? channel_of(i, l) : 0;
    out[i] = dequantize_value(static_cast<int32_t>(q[i]), qp.scales[c], qp.zero_points[c]);
  }
}

void check_or_die(const Tensor& x, const ir::QParams& qp, DType expected) {
  const Status s = check_qparams_for(x, qp, expected);
  YQ_CHECK(s.ok()) << s.message();
}

}  // namespace

int32_t quantize_value(float x, float scale, int32_t zero_point, int32_t qmin, int32_t qmax) {
  if (std::isnan(x)) return zero_point;
  // Clamp in float before converting: x / scale may be far outside int32 (or ±inf), and the
  // clamp bounds are exactly representable, so clamping first changes no in-range result.
  const float r = std::nearbyint(x / scale) + static_cast<float>(zero_point);
  const float c = std::clamp(r, static_cast<float>(qmin), static_cast<float>(qmax));
  return static_cast<int32_t>(c);
}

float dequantize_value(int32_t q, float scale, int32_t zero_point) {
  return static_cast<float>(q - zero_point) * scale;
}

float fake_quantize_value(float x, float scale, int32_t zero_point, int32_t qmin, int32_t qmax) {
  return dequantize_value(quantize_value(x, scale, zero_point, qmin, qmax), scale, zero_point);
}

Status check_qparams_for(const Tensor& x, const ir::QParams& qp, DType expected) {
  YQ_RETURN_IF_ERROR(qp.validate());
  if (x.dtype() != expected) {
    return invalid_argument(std::string("quantization: expected a ") + dtype_name(expected) + " tensor, found " +
                            dtype_name(x.dtype()));
  }
  if (qp.per_channel()) {
    if (qp.axis >= x.rank()) {
      return invalid_argument("quantization: per-channel axis " + std::to_string(qp.axis) + " but tensor " +
                              shape_str(x.shape()) + " has rank " + std::to_string(x.rank()));
    }
    if (x.dim(qp.axis) != static_cast<int64_t>(qp.scales.size())) {
      return invalid_argument("quantization: axis " + std::to_string(qp.axis) + " of " + shape_str(x.shape()) +
                              " has " + std::to_string(x.dim(qp.axis)) + " channels, qparams have " +
                              std::to_string(qp.scales.size()) + " scales");
    }
  }
  return ok_status();
}

Tensor quantize_tensor(const Tensor& x, const ir::QParams& qp) {
  check_or_die(x, qp, DType::kF32);
  Tensor out = Tensor::empty(qp.dtype, x.shape());
  const ChannelLayout l = channel_layout(x, qp);
  if (qp.dtype == DType::kI8) {
    quantize_loop(x.data<float>(), out.data<int8_t>(), x.numel(), qp, l);
  } else {
    quantize_loop(x.data<float>(), out.data<uint8_t>(), x.numel(), qp, l);
  }
  return out;
}

Tensor dequantize_tensor(const Tensor& q, const ir::QParams& qp) {
  check_or_die(q, qp, qp.dtype);
  Tensor out = Tensor::empty(DType::kF32, q.shape());
  const ChannelLayout l = channel_layout(q, qp);
  if (qp.dtype == DType::kI8) {
    dequantize_loop(q.data<int8_t>(), out.data<float>(), q.numel(), qp, l);
  } else {
    dequantize_loop(q.data<uint8_t>(), out.data<float>(), q.numel(), qp, l);
  }
  return out;
}

void fake_quantize_inplace(Tensor& x, const ir::QParams& qp) {
  check_or_die(x, qp, DType::kF32);
  const ChannelLayout l = channel_layout(x, qp);
  float* p = x.data<float>();
  for (int64_t i = 0; i < x.numel(); ++i) {
    const size_t c = qp.per_channel() ? channel_of(i, l) : 0;
    p[i] = fake_quantize_value(p[i], qp.scales[c], qp.zero_points[c], qp.qmin, qp.qmax);
  }
}

namespace {
// scale = T / qmax with the degenerate cases mapped to kMinScale (see the header).
float symmetric_scale(float threshold, int32_t qmax) {
  if (!std::isfinite(threshold) || threshold <= 0.f) return kMinScale;
  return std::max(threshold / static_cast<float>(qmax), kMinScale);
}
}  // namespace

ir::QParams symmetric_qparams(float threshold, bool weights) {
  ir::QParams qp;
  qp.dtype = DType::kI8;
  qp.qmin = weights ? -127 : -128;
  qp.qmax = 127;
  qp.scales = {symmetric_scale(threshold, qp.qmax)};
  qp.zero_points = {0};
  return qp;
}

ir::QParams asymmetric_u8_qparams(float lo, float hi) {
  ir::QParams qp;
  qp.dtype = DType::kU8;
  qp.qmin = 0;
  qp.qmax = 255;
  qp.scales = {kMinScale};
  qp.zero_points = {0};
  if (!std::isfinite(lo) || !std::isfinite(hi)) return qp;
  // Widen to include 0 so that zero (padding, ReLU output) is exactly representable.
  const float rmin = std::min(lo, 0.f), rmax = std::max(hi, 0.f);
  // The width in double: rmax - rmin can overflow float for ranges near ±FLT_MAX.
  const double width = static_cast<double>(rmax) - static_cast<double>(rmin);
  if (!(width > 0.0)) return qp;
  const double s = std::min(width / 255.0, static_cast<double>(std::numeric_limits<float>::max()));
  const float scale = std::max(static_cast<float>(s), kMinScale);
  // zero_point = qmin - rmin / scale, rounded half-to-even and clamped (XNNPACK does the same):
  // rounding keeps 0 exact, clamping keeps the zero point a valid u8 when rounding of the scale
  // pushes it one step out.
  const float zp = std::nearbyint(-rmin / scale);
  qp.scales = {scale};
  qp.zero_points = {static_cast<int32_t>(std::clamp(zp, 0.f, 255.f))};
  return qp;
}

ir::QParams per_channel_weight_qparams(const Tensor& w, int axis) {
  YQ_CHECK(w.dtype() == DType::kF32) << "per_channel_weight_qparams: weight is " << dtype_name(w.dtype());
  YQ_CHECK(w.rank() >= 1) << "per_channel_weight_qparams: scalar weight";
  if (axis < 0) axis += w.rank();
  YQ_CHECK(axis >= 0 && axis < w.rank()) << "per_channel_weight_qparams: axis " << axis << " for "
                                         << shape_str(w.shape());
  ir::QParams qp = symmetric_qparams(0.f, /*weights=*/true);
  qp.axis = axis;
  const int64_t channels = w.dim(axis);
  std::vector<float> amax(static_cast<size_t>(channels), 0.f);
  ChannelLayout l;
  l.channels = channels;
  for (int d = axis + 1; d < w.rank(); ++d) l.inner *= w.dim(d);
  const float* p = w.data<float>();
  for (int64_t i = 0; i < w.numel(); ++i) {
    float& m = amax[channel_of(i, l)];
    m = std::max(m, std::fabs(p[i]));
  }
  qp.scales.resize(amax.size());
  qp.zero_points.assign(amax.size(), 0);
  for (size_t c = 0; c < amax.size(); ++c) qp.scales[c] = symmetric_scale(amax[c], qp.qmax);
  return qp;
}

}  // namespace yq::quant
