// SPDX-License-Identifier: Apache-2.0
// QuantizeLinear / DequantizeLinear reference kernels, with the arithmetic of quant/qmath.h
// (the ONNX definition):
//   quantize(x)   = clamp(round_half_to_even(x / scale) + zero_point, qmin, qmax)   (f32 division)
//   dequantize(q) = (q - zero_point) * scale                                        (f32)
// qmin/qmax are the output dtype's full range ([-128, 127] or [0, 255]). The formulas are spelled
// out here rather than calling quant/ so that the reference kernels (and constant folding) stay
// independent of the quantization library; tests/runtime_int8 checks the two agree.
#include <cmath>

#include "runtime/kernels/ref/ref_ops.h"
#include "runtime/kernels/ref/ref_util.h"

namespace yq::runtime::ref {
namespace {

// Per-axis geometry: element i uses parameter (i / inner) % channels.
struct AxisParams {
  std::vector<float> scale;
  std::vector<int32_t> zero_point;
  int64_t inner = 1;  // elements after the axis
  int64_t channels = 1;
};

Expected<AxisParams> read_params(const ir::Node& node, const Tensor& x, const Tensor& scale, const Tensor* zp) {
  AxisParams p;
  const int64_t n = scale.numel();
  if (n < 1) return node_invalid(node, "scale is empty");
  if (zp != nullptr && zp->numel() != n)
    return node_invalid(node, "zero point has " + std::to_string(zp->numel()) + " values, expected " +
                                  std::to_string(n) + " (as many as the scale)");
  for (int64_t i = 0; i < n; ++i) {
    const float s = scale.data<float>()[i];
    if (!(s > 0.f) || !std::isfinite(s))
      return node_invalid(node, "scale must be finite and > 0, found " + std::to_string(s));
    p.scale.push_back(s);
    p.zero_point.push_back(zp != nullptr ? static_cast<int32_t>(element_as_double(*zp, i)) : 0);
  }
  if (n > 1) {
    YQ_ASSIGN_OR_RETURN(int axis, normalize_axis(node, node.attrs.get_int("axis", 1), x.rank()));
    if (x.dim(axis) != n)
      return node_invalid(node, "scale has " + std::to_string(n) + " values, expected " + std::to_string(x.dim(axis)) +
                                    " (input dim at axis " + std::to_string(axis) + ")");
    p.channels = n;
    for (int d = axis + 1; d < x.rank(); ++d) p.inner *= x.dim(d);
  }
  return p;
}

template <class Q>
void quantize_loop(const float* x, Q* y, int64_t count, const AxisParams& p, int32_t qmin, int32_t qmax) {
  for (int64_t i = 0; i < count; ++i) {
    const int64_t c = (i / p.inner) % p.channels;
    // nearbyint rounds half to even in the default FE_TONEAREST mode, as ONNX requires.
    // NaN maps to the zero point (as quant::quantize_value does).
    if (std::isnan(x[i])) {
      y[i] = static_cast<Q>(p.zero_point[c]);
      continue;
    }
    // Clamp in float before converting: the quotient may be far outside int32.
    float v = std::nearbyint(x[i] / p.scale[c]) + static_cast<float>(p.zero_point[c]);
    v = std::fmin(std::fmax(v, static_cast<float>(qmin)), static_cast<float>(qmax));
    y[i] = static_cast<Q>(static_cast<int32_t>(v));
  }
}

}  // namespace

Status ref_quantize_linear(const ir::Node& node, std::span<const Tensor* const> inputs, std::span<Tensor> outputs) {
  YQ_RETURN_IF_ERROR(require_inputs(node, inputs, 2));
  const Tensor& x = *inputs[0];
  YQ_RETURN_IF_ERROR(require_dtype(node, x, DType::kF32, "input x"));
  YQ_RETURN_IF_ERROR(require_dtype(node, *inputs[1], DType::kF32, "y_scale"));
  const Tensor* zp = inputs.size() > 2 ? inputs[2] : nullptr;
  YQ_ASSIGN_OR_RETURN(AxisParams p, read_params(node, x, *inputs[1], zp));
  Tensor& y = outputs[0];
  if (y.dtype() == DType::kI8) {
    quantize_loop(x.data<float>(), y.data<int8_t>(), x.numel(), p, -128, 127);
  } else if (y.dtype() == DType::kU8) {
    quantize_loop(x.data<float>(), y.data<uint8_t>(), x.numel(), p, 0, 255);
  } else {
    return node_invalid(node, std::string("output must be int8 or uint8, found ") + dtype_name(y.dtype()));
  }
  return ok_status();
}

Status ref_dequantize_linear(const ir::Node& node, std::span<const Tensor* const> inputs, std::span<Tensor> outputs) {
  YQ_RETURN_IF_ERROR(require_inputs(node, inputs, 2));
  const Tensor& x = *inputs[0];
  YQ_RETURN_IF_ERROR(require_dtype(node, *inputs[1], DType::kF32, "x_scale"));
  const Tensor* zp = inputs.size() > 2 ? inputs[2] : nullptr;
  YQ_ASSIGN_OR_RETURN(AxisParams p, read_params(node, x, *inputs[1], zp));
  float* y = outputs[0].data<float>();
  auto loop = [&](const auto* q) {
    for (int64_t i = 0; i < x.numel(); ++i) {
      const int64_t c = (i / p.inner) % p.channels;
      y[i] = static_cast<float>(static_cast<int32_t>(q[i]) - p.zero_point[c]) * p.scale[c];
    }
  };
  switch (x.dtype()) {
    case DType::kI8: loop(x.data<int8_t>()); break;
    case DType::kU8: loop(x.data<uint8_t>()); break;
    case DType::kI32: loop(x.data<int32_t>()); break;
    default:
      return node_invalid(node, std::string("input x must be int8, uint8 or int32, found ") + dtype_name(x.dtype()));
  }
  return ok_status();
}

}  // namespace yq::runtime::ref
