// SPDX-License-Identifier: Apache-2.0
// Unary activations (eltwise primitive) and Add/Sub/Mul/Div (binary primitive). Both read the
// producer's layout as is and write the same layout.
#include <cmath>
#include <limits>

#include "runtime/kernels/fp32/onednn_kernel.h"

namespace yq::runtime::fp32 {

using dnnl::algorithm;
using dnnl::memory;

namespace {

// Reads a scalar f32 constant input (Clip's min/max); false if absent or not a constant scalar.
bool constant_scalar(const ir::Graph& g, const ir::Node& n, size_t i, float* out) {
  if (n.input(i) == ir::kNoValue) return false;
  const ir::Value& v = g.value(n.input(i));
  if (!v.is_constant() || v.dtype != DType::kF32 || v.constant->numel() != 1) return false;
  *out = v.constant->data<float>()[0];
  return true;
}

bool near(float a, float b) { return std::fabs(a - b) <= 1e-6f * std::max(1.f, std::fabs(b)); }

}  // namespace

bool append_activation(const ir::Node& n, dnnl::post_ops& po, float scale) {
  const std::string act = n.attrs.get_string("activation", "");
  if (act.empty()) return true;
  if (act == "relu") {
    po.append_eltwise(scale, algorithm::eltwise_relu, 0.f, 0.f);
  } else if (act == "leaky_relu") {
    po.append_eltwise(scale, algorithm::eltwise_relu, n.attrs.get_float("activation_alpha", 0.01f), 0.f);
  } else if (act == "sigmoid") {
    po.append_eltwise(scale, algorithm::eltwise_logistic, 0.f, 0.f);
  } else if (act == "silu") {
    po.append_eltwise(scale, algorithm::eltwise_swish, 1.f, 0.f);
  } else if (act == "tanh") {
    po.append_eltwise(scale, algorithm::eltwise_tanh, 0.f, 0.f);
  } else if (act == "clip") {
    po.append_eltwise(scale, algorithm::eltwise_clip, n.attrs.get_float("activation_alpha", -INFINITY),
                      n.attrs.get_float("activation_beta", INFINITY));
  } else if (act == "hardsigmoid") {
    // max(0, min(1, a*x + b)) = clip(linear(x), 0, 1); 2.6 has no hardsigmoid algorithm.
    po.append_eltwise(1.f, algorithm::eltwise_linear, n.attrs.get_float("activation_alpha", 0.2f),
                      n.attrs.get_float("activation_beta", 0.5f));
    po.append_eltwise(scale, algorithm::eltwise_clip, 0.f, 1.f);
  } else if (act == "hardswish") {
    // oneDNN 2.6 hardswish is fixed at x*relu6(x+3)/6, i.e. alpha 1/6, beta 1/2 only.
    if (!near(n.attrs.get_float("activation_alpha", 1.f / 6), 1.f / 6) ||
        !near(n.attrs.get_float("activation_beta", 0.5f), 0.5f))
      return false;
    po.append_eltwise(scale, algorithm::eltwise_hardswish, 0.f, 0.f);
  } else {
    return false;
  }
  return true;
}

Expected<std::unique_ptr<DnnlKernel>> make_unary(const ir::Graph& g, const ir::Node& n,
                                                 std::span<const memory::desc> in, const dnnl::engine& eng) {
  if (n.inputs().empty() || n.outputs().size() != 1 || in[0].is_zero()) return decline();
  if (g.value(n.output(0)).dtype != DType::kF32) return decline();
  algorithm alg;
  float alpha = 0.f, beta = 0.f;
  bool hardsigmoid = false;
  dnnl::post_ops activation_ops;  // yq Activation: an identity eltwise followed by these
  const std::string& op = n.op_type;
  if (op == "Activation") {
    // One eltwise algorithm when the activation is one (the common case: jit kernels); an
    // identity eltwise with the post-op chain otherwise (hardsigmoid: linear then clip).
    if (!append_activation(n, activation_ops)) return decline();
    if (activation_ops.len() == 1) {
      float scale = 1.f;
      activation_ops.get_params_eltwise(0, scale, alg, alpha, beta);
      activation_ops = dnnl::post_ops();
    } else {
      alg = algorithm::eltwise_linear;
      alpha = 1.f;
    }
  } else if (op == "Relu") {
    alg = algorithm::eltwise_relu;
  } else if (op == "LeakyRelu") {
    alg = algorithm::eltwise_relu;
    alpha = n.attrs.get_float("alpha", 0.01f);
  } else if (op == "Sigmoid") {
    alg = algorithm::eltwise_logistic;
  } else if (op == "Tanh") {
    alg = algorithm::eltwise_tanh;
  } else if (op == "Exp") {
    alg = algorithm::eltwise_exp;
  } else if (op == "HardSwish") {
    alg = algorithm::eltwise_hardswish;  // ONNX HardSwish is fixed at alpha 1/6, beta 1/2, as oneDNN 2.6's
  } else if (op == "HardSigmoid") {
    // max(0, min(1, a*x + b)) as linear followed by a clip post-op (2.6 has no hardsigmoid).
    alg = algorithm::eltwise_linear;
    alpha = n.attrs.get_float("alpha", 0.2f);
    beta = n.attrs.get_float("beta", 0.5f);
    hardsigmoid = true;
  } else if (op == "Clip") {
    alg = algorithm::eltwise_clip;
    alpha = -std::numeric_limits<float>::infinity();
    beta = std::numeric_limits<float>::infinity();
    if (n.inputs().size() > 1) {
      // opset >= 11: min/max are optional inputs and must be constants for a fixed primitive.
      if (n.input(1) != ir::kNoValue && !constant_scalar(g, n, 1, &alpha)) return decline();
      if (n.input(2) != ir::kNoValue && !constant_scalar(g, n, 2, &beta)) return decline();
    } else {
      alpha = n.attrs.get_float("min", alpha);
      beta = n.attrs.get_float("max", beta);
    }
  } else {
    return decline();
  }
  dnnl::primitive_attr attr = base_attr();
  if (activation_ops.len() > 0) attr.set_post_ops(activation_ops);
  if (hardsigmoid) {
    dnnl::post_ops po;
    po.append_eltwise(1.f, algorithm::eltwise_clip, 0.f, 1.f);
    attr.set_post_ops(po);
  }
  dnnl::eltwise_forward::desc d(dnnl::prop_kind::forward_inference, alg, in[0], alpha, beta);
  dnnl::eltwise_forward::primitive_desc pd(d, attr, eng);
  auto k = std::make_unique<DnnlKernel>();
  k->impl = std::string("onednn:eltwise(") + pd.impl_info_str() + ")";
  k->prim = dnnl::eltwise_forward(pd);
  k->input_descs.resize(n.inputs().size());
  k->input_descs[0] = in[0];
  k->input_args = {{DNNL_ARG_SRC, 0}};
  k->output_descs = {pd.dst_desc()};
  k->output_args = {{DNNL_ARG_DST, 0}};
  k->scratchpad_desc = pd.scratchpad_desc();
  return k;
}

Expected<std::unique_ptr<DnnlKernel>> make_binary(const ir::Graph& g, const ir::Node& n,
                                                  std::span<const memory::desc> in, const dnnl::engine& eng) {
  if (n.inputs().size() != 2 || n.outputs().size() != 1 || in[0].is_zero() || in[1].is_zero()) return decline();
  const ir::Value& y = g.value(n.output(0));
  if (y.dtype != DType::kF32) return decline();
  algorithm alg;
  bool commutative = true;
  if (n.op_type == "Add") {
    alg = algorithm::binary_add;
  } else if (n.op_type == "Mul") {
    alg = algorithm::binary_mul;
  } else if (n.op_type == "Sub") {
    alg = algorithm::binary_sub;
    commutative = false;
  } else if (n.op_type == "Div") {
    alg = algorithm::binary_div;
    commutative = false;
  } else {
    return decline();
  }
  // oneDNN broadcasts src1 only: src0 must already have the output shape.
  int a = 0, b = 1;
  if (g.value(n.input(0)).shape != y.shape) {
    if (!commutative || g.value(n.input(1)).shape != y.shape) return decline();
    std::swap(a, b);
  }
  const Shape& sa = g.value(n.input(a)).shape;
  Shape sb = g.value(n.input(b)).shape;
  if (sb.size() > sa.size()) return decline();
  sb.insert(sb.begin(), sa.size() - sb.size(), 1);  // numpy broadcasting aligns trailing dims
  for (size_t i = 0; i < sa.size(); ++i)
    if (sb[i] != sa[i] && sb[i] != 1) return decline();
  memory::desc src0 = in[a];
  // Same shape: src1 in src0's layout (the planner reorders if needed). Broadcast: plain.
  memory::desc src1 = sb == sa ? in[a] : plain_desc(sb);
  if (sa.empty()) src1 = src0;
  dnnl::binary::desc d(alg, src0, src1, src0);
  dnnl::binary::primitive_desc pd(d, base_attr(), eng);
  auto k = std::make_unique<DnnlKernel>();
  k->impl = std::string("onednn:binary(") + pd.impl_info_str() + ")";
  k->prim = dnnl::binary(pd);
  k->input_descs.resize(2);
  k->input_descs[a] = src0;
  k->input_descs[b] = src1;
  k->input_args = {{DNNL_ARG_SRC_0, a}, {DNNL_ARG_SRC_1, b}};
  k->output_descs = {pd.dst_desc()};
  k->output_args = {{DNNL_ARG_DST, 0}};
  k->scratchpad_desc = pd.scratchpad_desc();
  return k;
}

}  // namespace yq::runtime::fp32
