// SPDX-License-Identifier: Apache-2.0
// Reference quantization arithmetic: the one scalar definition every int8 kernel and every test
// is checked against.
//
// Conventions (the TensorRT/ONNX ones):
//   quantize(x)   = clamp(round_half_to_even(x / scale) + zero_point, qmin, qmax)
//   dequantize(q) = (q - zero_point) * scale
// x / scale and (q - zero_point) * scale are computed in float (as ONNX QuantizeLinear and
// DequantizeLinear specify). Rounding is half-to-even (std::nearbyint in the default
// FE_TONEAREST mode), as ONNX QuantizeLinear specifies. Saturation clamps to [qmin, qmax] before
// the conversion to an integer, so ±inf saturates; NaN quantizes to zero_point. Int8 weights use
// the symmetric range [-127, 127] so that -128 never appears (VNNI u8×s8 products then cannot
// overflow the int16 intermediate of the AVX2 path; see oneDNN's int8 notes).
#pragma once

#include <cstdint>

#include "base/status.h"
#include "base/tensor.h"
#include "ir/qparams.h"

namespace yq::quant {

// The smallest scale the helpers below produce. An all-zero (or empty) tensor has no range, so
// any positive scale represents it exactly; a tiny one keeps QParams::validate() happy and makes
// any later non-zero value saturate rather than silently fit. Chosen so that products of three
// scales (requantization multipliers s_in * s_w / s_out) stay normal floats.
inline constexpr float kMinScale = 1e-8f;

int32_t quantize_value(float x, float scale, int32_t zero_point, int32_t qmin, int32_t qmax);
float dequantize_value(int32_t q, float scale, int32_t zero_point);
// x -> dequantize(quantize(x)): the float simulation of a quantized tensor.
float fake_quantize_value(float x, float scale, int32_t zero_point, int32_t qmin, int32_t qmax);

// Bad input check for the tensor functions below: `qp` validates, `x` has dtype `expected`, and
// for per-channel params axis < rank and x.dim(axis) == qp.scales.size(). The message names what
// was expected and what was found. Callers holding user-provided params call this first.
Status check_qparams_for(const Tensor& x, const ir::QParams& qp, DType expected);

// Whole tensors. Per-channel params apply along qp.axis. `out` has the same shape as `x`:
// qp.dtype (i8 or u8) for quantize_tensor, f32 for the others. Preconditions (those of
// check_qparams_for, with f32 input for quantize/fake-quantize and qp.dtype input for dequantize)
// are internal invariants here (YQ_CHECK).
Tensor quantize_tensor(const Tensor& x, const ir::QParams& qp);
Tensor dequantize_tensor(const Tensor& q, const ir::QParams& qp);
void fake_quantize_inplace(Tensor& x, const ir::QParams& qp);

// Symmetric params from an absolute threshold T > 0: scale = max(T / 127, kMinScale), zero
// point 0. int8 activations use [-128, 127] (qmax 127); weights [-127, 127]. T <= 0 or
// non-finite (an all-zero tensor, or no data) gives kMinScale instead of dividing by zero.
ir::QParams symmetric_qparams(float threshold, bool weights = false);
// Asymmetric u8 params covering [lo, hi]: the range is widened to include 0 (so 0 is exact),
// scale = (hi - lo) / 255 (at least kMinScale), zero_point = clamp(round_half_to_even(-lo /
// scale), 0, 255). A constant or all-zero tensor (hi == lo after widening) or a non-finite bound
// gives kMinScale with zero point 0.
ir::QParams asymmetric_u8_qparams(float lo, float hi);
// Per-output-channel symmetric int8 weights along `axis` (0 for Conv OIHW; negative counts from
// the back), threshold = max|w| per channel, range [-127, 127]. An all-zero channel gets
// kMinScale. Preconditions (YQ_CHECK): w is f32, rank >= 1, axis in range.
ir::QParams per_channel_weight_qparams(const Tensor& w, int axis = 0);

}  // namespace yq::quant
