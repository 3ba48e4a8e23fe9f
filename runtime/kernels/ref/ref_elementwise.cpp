// SPDX-License-Identifier: Apache-2.0
// Element-wise kernels: numpy-broadcast binary ops (Add, Sub, Mul, Div, Pow, Equal, Where),
// unary math and activations (the activation math itself lives in activation.h), Clip, Cast,
// Identity and Dropout (inference: a copy).
#include <cmath>
#include <limits>

#include "runtime/kernels/ref/activation.h"
#include "runtime/kernels/ref/ref_ops.h"
#include "runtime/kernels/ref/ref_util.h"

namespace yq::runtime::ref {
namespace {

Status check_io(const ir::Node& node, std::span<const Tensor* const> inputs, std::span<Tensor> outputs,
                size_t n_in) {
  YQ_RETURN_IF_ERROR(require_inputs(node, inputs, n_in));
  if (outputs.empty()) return node_invalid(node, "expected 1 output, found 0");
  return ok_status();
}

enum class BinOp { kAdd, kSub, kMul, kDiv };

template <typename T>
T apply_bin(BinOp op, T a, T b) {
  switch (op) {
    case BinOp::kAdd: return a + b;
    case BinOp::kSub: return a - b;
    case BinOp::kMul: return a * b;
    case BinOp::kDiv: return a / b;  // integers: truncates toward zero, as ONNX and C++
  }
  return a;
}

template <typename T, typename OutT, typename Fn>
void broadcast_binary(const Tensor& a, const Tensor& b, Tensor& y, Fn fn) {
  const std::array<std::vector<int64_t>, 2> st{broadcast_strides(a.shape(), y.shape()),
                                               broadcast_strides(b.shape(), y.shape())};
  const T* ap = static_cast<const T*>(a.raw());
  const T* bp = static_cast<const T*>(b.raw());
  OutT* yp = static_cast<OutT*>(y.raw());
  for_each_broadcast<2>(y.shape(), st, [&](int64_t o, const std::array<int64_t, 2>& off) {
    yp[o] = fn(ap[off[0]], bp[off[1]]);
  });
}

Status check_binary(const ir::Node& node, std::span<const Tensor* const> inputs, std::span<Tensor> outputs) {
  YQ_RETURN_IF_ERROR(check_io(node, inputs, outputs, 2));
  YQ_RETURN_IF_ERROR(check_broadcastable(node, inputs[0]->shape(), outputs[0].shape(), "input A"));
  YQ_RETURN_IF_ERROR(check_broadcastable(node, inputs[1]->shape(), outputs[0].shape(), "input B"));
  return ok_status();
}

Status arith(BinOp op, const ir::Node& node, std::span<const Tensor* const> inputs, std::span<Tensor> outputs) {
  YQ_RETURN_IF_ERROR(check_binary(node, inputs, outputs));
  const Tensor& a = *inputs[0];
  const Tensor& b = *inputs[1];
  Tensor& y = outputs[0];
  if (a.dtype() != b.dtype() || y.dtype() != a.dtype()) {
    return node_invalid(node, std::string("inputs and output must share a dtype, found ") + dtype_name(a.dtype()) +
                                  ", " + dtype_name(b.dtype()) + " -> " + dtype_name(y.dtype()));
  }
  switch (a.dtype()) {
    case DType::kF32:
      broadcast_binary<float, float>(a, b, y, [op](float u, float v) { return apply_bin(op, u, v); });
      return ok_status();
    case DType::kI64:
    case DType::kI32: {
      if (op == BinOp::kDiv) {
        for (int64_t i = 0; i < b.numel(); ++i) {
          if (element_as_double(b, i) == 0.0) return node_invalid(node, "integer division by zero (divisor element " +
                                                                          std::to_string(i) + ")");
        }
      }
      if (a.dtype() == DType::kI64) {
        broadcast_binary<int64_t, int64_t>(a, b, y, [op](int64_t u, int64_t v) { return apply_bin(op, u, v); });
      } else {
        broadcast_binary<int32_t, int32_t>(a, b, y, [op](int32_t u, int32_t v) { return apply_bin(op, u, v); });
      }
      return ok_status();
    }
    default:
      return node_unsupported(node, std::string("dtype ") + dtype_name(a.dtype()) + " (expected f32, i64 or i32)");
  }
}

template <typename Fn>
Status unary_f32(const ir::Node& node, std::span<const Tensor* const> inputs, std::span<Tensor> outputs, Fn fn) {
  YQ_RETURN_IF_ERROR(check_io(node, inputs, outputs, 1));
  const Tensor& x = *inputs[0];
  Tensor& y = outputs[0];
  YQ_RETURN_IF_ERROR(require_dtype(node, x, DType::kF32, "input X"));
  YQ_RETURN_IF_ERROR(require_dtype(node, y, DType::kF32, "output Y"));
  if (x.numel() != y.numel()) {
    return node_invalid(node, "output shape " + shape_str(y.shape()) + " differs from input " + shape_str(x.shape()));
  }
  const float* xp = x.data<float>();
  float* yp = y.data<float>();
  for (int64_t i = 0; i < x.numel(); ++i) yp[i] = fn(xp[i]);
  return ok_status();
}

// Optional scalar input i (Clip min/max); `def` when omitted.
Expected<float> optional_scalar(const ir::Node& node, std::span<const Tensor* const> inputs, size_t i, float def) {
  if (inputs.size() <= i || !inputs[i]) return def;
  const Tensor& t = *inputs[i];
  if (t.numel() != 1) {
    return node_invalid(node, "input " + std::to_string(i) + " must be a scalar, found shape " + shape_str(t.shape()));
  }
  return static_cast<float>(element_as_double(t, 0));
}

}  // namespace

Status ref_add(const ir::Node& n, std::span<const Tensor* const> in, std::span<Tensor> out) {
  return arith(BinOp::kAdd, n, in, out);
}
Status ref_sub(const ir::Node& n, std::span<const Tensor* const> in, std::span<Tensor> out) {
  return arith(BinOp::kSub, n, in, out);
}
Status ref_mul(const ir::Node& n, std::span<const Tensor* const> in, std::span<Tensor> out) {
  return arith(BinOp::kMul, n, in, out);
}
Status ref_div(const ir::Node& n, std::span<const Tensor* const> in, std::span<Tensor> out) {
  return arith(BinOp::kDiv, n, in, out);
}

// Pow: f32 base; the exponent may be any numeric dtype (ONNX allows mixed types). Computed in
// double and rounded once, so x^2 and x^0.5 are exact to the float.
Status ref_pow(const ir::Node& node, std::span<const Tensor* const> inputs, std::span<Tensor> outputs) {
  YQ_RETURN_IF_ERROR(check_binary(node, inputs, outputs));
  const Tensor& a = *inputs[0];
  YQ_RETURN_IF_ERROR(require_dtype(node, a, DType::kF32, "base X"));
  YQ_RETURN_IF_ERROR(require_dtype(node, outputs[0], DType::kF32, "output Z"));
  const Tensor& b = *inputs[1];
  if (b.dtype() == DType::kF16) return node_unsupported(node, "exponent dtype f16");
  const std::array<std::vector<int64_t>, 2> st{broadcast_strides(a.shape(), outputs[0].shape()),
                                               broadcast_strides(b.shape(), outputs[0].shape())};
  const float* ap = a.data<float>();
  float* yp = outputs[0].data<float>();
  for_each_broadcast<2>(outputs[0].shape(), st, [&](int64_t o, const std::array<int64_t, 2>& off) {
    yp[o] = static_cast<float>(std::pow(static_cast<double>(ap[off[0]]), element_as_double(b, off[1])));
  });
  return ok_status();
}

Status ref_equal(const ir::Node& node, std::span<const Tensor* const> inputs, std::span<Tensor> outputs) {
  YQ_RETURN_IF_ERROR(check_binary(node, inputs, outputs));
  const Tensor& a = *inputs[0];
  const Tensor& b = *inputs[1];
  YQ_RETURN_IF_ERROR(require_dtype(node, outputs[0], DType::kBool, "output C"));
  if (a.dtype() != b.dtype()) {
    return node_invalid(node, std::string("inputs differ in dtype: ") + dtype_name(a.dtype()) + " vs " +
                                  dtype_name(b.dtype()));
  }
  const bool known = visit_dtype(a.dtype(), [&]<typename T>() {
    broadcast_binary<T, bool>(a, b, outputs[0], [](T u, T v) { return u == v; });
  });
  if (!known) return node_unsupported(node, std::string("dtype ") + dtype_name(a.dtype()));
  return ok_status();
}

// Where(cond, X, Y): bytewise on any dtype, all three broadcast to the output.
Status ref_where(const ir::Node& node, std::span<const Tensor* const> inputs, std::span<Tensor> outputs) {
  YQ_RETURN_IF_ERROR(check_io(node, inputs, outputs, 3));
  const Tensor& c = *inputs[0];
  const Tensor& x = *inputs[1];
  const Tensor& y = *inputs[2];
  Tensor& z = outputs[0];
  YQ_RETURN_IF_ERROR(require_dtype(node, c, DType::kBool, "condition"));
  if (x.dtype() != y.dtype() || z.dtype() != x.dtype()) {
    return node_invalid(node, std::string("X, Y and output must share a dtype, found ") + dtype_name(x.dtype()) +
                                  ", " + dtype_name(y.dtype()) + " -> " + dtype_name(z.dtype()));
  }
  YQ_RETURN_IF_ERROR(check_broadcastable(node, c.shape(), z.shape(), "condition"));
  YQ_RETURN_IF_ERROR(check_broadcastable(node, x.shape(), z.shape(), "input X"));
  YQ_RETURN_IF_ERROR(check_broadcastable(node, y.shape(), z.shape(), "input Y"));
  const std::array<std::vector<int64_t>, 3> st{broadcast_strides(c.shape(), z.shape()),
                                               broadcast_strides(x.shape(), z.shape()),
                                               broadcast_strides(y.shape(), z.shape())};
  const bool* cp = c.data<bool>();
  const size_t es = dtype_size(z.dtype());
  const auto* xp = static_cast<const uint8_t*>(x.raw());
  const auto* yp = static_cast<const uint8_t*>(y.raw());
  auto* zp = static_cast<uint8_t*>(z.raw());
  for_each_broadcast<3>(z.shape(), st, [&](int64_t o, const std::array<int64_t, 3>& off) {
    const uint8_t* src = cp[off[0]] ? xp + off[1] * es : yp + off[2] * es;
    std::memcpy(zp + o * es, src, es);
  });
  return ok_status();
}

Status ref_sqrt(const ir::Node& n, std::span<const Tensor* const> in, std::span<Tensor> out) {
  return unary_f32(n, in, out, [](float x) { return std::sqrt(x); });
}
Status ref_exp(const ir::Node& n, std::span<const Tensor* const> in, std::span<Tensor> out) {
  return unary_f32(n, in, out, [](float x) { return std::exp(x); });
}
Status ref_floor(const ir::Node& n, std::span<const Tensor* const> in, std::span<Tensor> out) {
  return unary_f32(n, in, out, [](float x) { return std::floor(x); });
}
Status ref_tanh(const ir::Node& n, std::span<const Tensor* const> in, std::span<Tensor> out) {
  return unary_f32(n, in, out, tanh_act);
}
Status ref_sigmoid(const ir::Node& n, std::span<const Tensor* const> in, std::span<Tensor> out) {
  return unary_f32(n, in, out, sigmoid);
}
Status ref_relu(const ir::Node& n, std::span<const Tensor* const> in, std::span<Tensor> out) {
  return unary_f32(n, in, out, relu);
}
Status ref_leaky_relu(const ir::Node& n, std::span<const Tensor* const> in, std::span<Tensor> out) {
  const float alpha = n.attrs.get_float("alpha", kLeakyReluAlpha);
  return unary_f32(n, in, out, [alpha](float x) { return leaky_relu(x, alpha); });
}
Status ref_hard_sigmoid(const ir::Node& n, std::span<const Tensor* const> in, std::span<Tensor> out) {
  const float alpha = n.attrs.get_float("alpha", kHardSigmoidAlpha);
  const float beta = n.attrs.get_float("beta", kHardSigmoidBeta);
  return unary_f32(n, in, out, [alpha, beta](float x) { return hard_sigmoid(x, alpha, beta); });
}
Status ref_hard_swish(const ir::Node& n, std::span<const Tensor* const> in, std::span<Tensor> out) {
  return unary_f32(n, in, out, [](float x) { return hard_swish(x, kHardSwishAlpha, kHardSwishBeta); });
}
Status ref_activation(const ir::Node& n, std::span<const Tensor* const> in, std::span<Tensor> out) {
  Expected<Activation> act = node_activation(n);
  if (!act.ok()) return node_unsupported(n, act.status().message());
  return unary_f32(n, in, out, *act);
}

// Neg: f32, i64 and i32.
Status ref_neg(const ir::Node& node, std::span<const Tensor* const> inputs, std::span<Tensor> outputs) {
  YQ_RETURN_IF_ERROR(check_io(node, inputs, outputs, 1));
  const Tensor& x = *inputs[0];
  Tensor& y = outputs[0];
  if (x.dtype() != y.dtype() || x.numel() != y.numel()) {
    return node_invalid(node, "output " + std::string(dtype_name(y.dtype())) + shape_str(y.shape()) +
                                  " does not match input " + dtype_name(x.dtype()) + shape_str(x.shape()));
  }
  switch (x.dtype()) {
    case DType::kF32: return unary_f32(node, inputs, outputs, [](float v) { return -v; });
    case DType::kI64:
      for (int64_t i = 0; i < x.numel(); ++i) y.data<int64_t>()[i] = -x.data<int64_t>()[i];
      return ok_status();
    case DType::kI32:
      for (int64_t i = 0; i < x.numel(); ++i) y.data<int32_t>()[i] = -x.data<int32_t>()[i];
      return ok_status();
    default: return node_unsupported(node, std::string("dtype ") + dtype_name(x.dtype()));
  }
}

// Clip: min/max are optional inputs from opset 11 and attributes before it.
Status ref_clip(const ir::Node& node, std::span<const Tensor* const> inputs, std::span<Tensor> outputs) {
  constexpr float kInf = std::numeric_limits<float>::infinity();
  YQ_ASSIGN_OR_RETURN(float lo, optional_scalar(node, inputs, 1, node.attrs.get_float("min", -kInf)));
  YQ_ASSIGN_OR_RETURN(float hi, optional_scalar(node, inputs, 2, node.attrs.get_float("max", kInf)));
  return unary_f32(node, inputs, outputs, [lo, hi](float x) { return clip(x, lo, hi); });
}

Status ref_identity(const ir::Node& node, std::span<const Tensor* const> inputs, std::span<Tensor> outputs) {
  YQ_RETURN_IF_ERROR(check_io(node, inputs, outputs, 1));
  return copy_bytes(node, *inputs[0], outputs[0]);
}

// Dropout at inference is the identity; the optional mask output is all true.
Status ref_dropout(const ir::Node& node, std::span<const Tensor* const> inputs, std::span<Tensor> outputs) {
  YQ_RETURN_IF_ERROR(check_io(node, inputs, outputs, 1));
  YQ_RETURN_IF_ERROR(copy_bytes(node, *inputs[0], outputs[0]));
  if (outputs.size() > 1 && outputs[1].numel() > 0) {
    YQ_RETURN_IF_ERROR(require_dtype(node, outputs[1], DType::kBool, "mask output"));
    std::fill(outputs[1].data<bool>(), outputs[1].data<bool>() + outputs[1].numel(), true);
  }
  return ok_status();
}

// Cast: the target dtype is the pre-allocated output's. f32 -> integer truncates toward zero
// (static_cast, like ORT); anything -> bool is "!= 0".
Status ref_cast(const ir::Node& node, std::span<const Tensor* const> inputs, std::span<Tensor> outputs) {
  YQ_RETURN_IF_ERROR(check_io(node, inputs, outputs, 1));
  const Tensor& x = *inputs[0];
  Tensor& y = outputs[0];
  if (x.numel() != y.numel()) {
    return node_invalid(node, "output shape " + shape_str(y.shape()) + " differs from input " + shape_str(x.shape()));
  }
  bool known_out = false;
  const bool known_in = visit_dtype(x.dtype(), [&]<typename S>() {
    const S* xp = static_cast<const S*>(x.raw());
    known_out = visit_dtype(y.dtype(), [&]<typename D>() {
      D* yp = static_cast<D*>(y.raw());
      for (int64_t i = 0; i < x.numel(); ++i) {
        if constexpr (std::is_same_v<D, bool>) {
          yp[i] = xp[i] != S{};
        } else {
          yp[i] = static_cast<D>(xp[i]);
        }
      }
    });
  });
  if (!known_in || !known_out) {
    return node_unsupported(node, std::string("cast ") + dtype_name(x.dtype()) + " -> " + dtype_name(y.dtype()));
  }
  return ok_status();
}

}  // namespace yq::runtime::ref
