// SPDX-License-Identifier: Apache-2.0
// Convolutions, BatchNormalization and the matrix products.
#include <set>

#include "ir/ops/schema_util.h"

namespace yq::ir {
namespace {

std::string ints_str(const std::vector<int64_t>& v) { return shape_str(v); }

// Reads a per-spatial-dim attribute (strides, dilations) with default 1, checking its length
// and that each value is >= 1.
Expected<std::vector<int64_t>> spatial_attr(const Node& node, const char* name, size_t n) {
  std::vector<int64_t> v = node.attrs.get_ints(name, std::vector<int64_t>(n, 1));
  if (v.size() != n) {
    return invalid_model(std::string(name) + " has " + std::to_string(v.size()) + " values, expected " +
                         std::to_string(n) + " (one per spatial dim)");
  }
  for (int64_t x : v) {
    if (x < 1 || x > kMaxDim) return invalid_model(std::string(name) + " must be in [1, 2^31], found " + ints_str(v));
  }
  return v;
}

// pads = [x1_begin, x2_begin, ..., x1_end, x2_end, ...]; default all zero.
Expected<std::vector<int64_t>> pads_attr(const Node& node, size_t n) {
  std::vector<int64_t> p = node.attrs.get_ints("pads", std::vector<int64_t>(2 * n, 0));
  if (p.size() != 2 * n) {
    return invalid_model("pads has " + std::to_string(p.size()) + " values, expected " + std::to_string(2 * n));
  }
  for (int64_t x : p) {
    if (x < 0 || x > kMaxDim) return invalid_model("pads must be in [0, 2^31], found " + ints_str(p));
  }
  return p;
}

Expected<std::string> auto_pad_attr(const Node& node) {
  std::string ap = node.attrs.get_string("auto_pad", "NOTSET");
  if (ap != "NOTSET" && ap != "SAME_UPPER" && ap != "SAME_LOWER" && ap != "VALID") {
    return invalid_model("auto_pad '" + ap + "' is not one of NOTSET, SAME_UPPER, SAME_LOWER, VALID");
  }
  return ap;
}

// Conv / FusedConv: X [N, C, d...], W [M, C/group, k...], B [M].
Status infer_conv_core(const Node& node, Inputs in, TensorInfo& out) {
  const TensorInfo& x = *in[0];
  const TensorInfo& w = *in[1];
  YQ_RETURN_IF_ERROR(expect_dtype(x, DType::kF32, "input X"));
  YQ_RETURN_IF_ERROR(expect_dtype(w, DType::kF32, "weight W"));
  if (x.shape.size() < 3)
    return invalid_model("input X must have rank >= 3 (N, C, spatial...), found " + shape_str(x.shape));
  if (w.shape.size() != x.shape.size()) {
    return invalid_model("weight rank " + std::to_string(w.shape.size()) + " does not match input rank " +
                         std::to_string(x.shape.size()) + " (X " + shape_str(x.shape) + ", W " + shape_str(w.shape) +
                         ")");
  }
  const size_t ns = x.shape.size() - 2;
  const int64_t group = node.attrs.get_int("group", 1);
  if (group < 1) return invalid_model("group must be >= 1, found " + std::to_string(group));
  const int64_t c = x.shape[1], m = w.shape[0];
  if (c != w.shape[1] * group) {
    return invalid_model("input has " + std::to_string(c) + " channels, weight expects " +
                         std::to_string(w.shape[1] * group) + " (group " + std::to_string(group) + ")");
  }
  if (m % group != 0) {
    return invalid_model("weight has " + std::to_string(m) + " output channels, not divisible by group " +
                         std::to_string(group));
  }
  std::vector<int64_t> kernel(w.shape.begin() + 2, w.shape.end());
  for (int64_t k : kernel) {
    if (k < 1) return invalid_model("weight " + shape_str(w.shape) + " has an empty kernel");
  }
  if (node.attrs.has("kernel_shape") && node.attrs.get_ints("kernel_shape") != kernel) {
    return invalid_model("kernel_shape " + ints_str(node.attrs.get_ints("kernel_shape")) +
                         " does not match the weight's spatial dims " + ints_str(kernel));
  }
  if (in.size() > 2 && in[2] != nullptr) {
    YQ_RETURN_IF_ERROR(expect_dtype(*in[2], DType::kF32, "bias B"));
    if (in[2]->shape != Shape{m}) {
      return invalid_model("bias has shape " + shape_str(in[2]->shape) + ", expected [" + std::to_string(m) + "]");
    }
  }
  YQ_ASSIGN_OR_RETURN(auto strides, spatial_attr(node, "strides", ns));
  YQ_ASSIGN_OR_RETURN(auto dilations, spatial_attr(node, "dilations", ns));
  YQ_ASSIGN_OR_RETURN(auto pads, pads_attr(node, ns));
  YQ_ASSIGN_OR_RETURN(std::string auto_pad, auto_pad_attr(node));
  Shape y = {x.shape[0], m};
  for (size_t i = 0; i < ns; ++i) {
    const int64_t in_d = x.shape[2 + i];
    const int64_t eff_k = (kernel[i] - 1) * dilations[i] + 1;
    int64_t o;
    if (auto_pad == "SAME_UPPER" || auto_pad == "SAME_LOWER") {
      o = (in_d + strides[i] - 1) / strides[i];  // ceil(in / stride); pads are derived from it
    } else {
      const int64_t padded = auto_pad == "VALID" ? in_d : in_d + pads[i] + pads[i + ns];
      if (padded < eff_k) {
        return invalid_model("spatial dim " + std::to_string(i) + ": padded input " + std::to_string(padded) +
                             " is smaller than the dilated kernel " + std::to_string(eff_k));
      }
      o = (padded - eff_k) / strides[i] + 1;
    }
    y.push_back(o);
  }
  set_output(out, DType::kF32, std::move(y));
  return ok_status();
}

Status infer_conv(const Node& node, Inputs in, Outputs out) { return infer_conv_core(node, in, out[0]); }

Status infer_fused_conv(const Node& node, Inputs in, Outputs out) {
  static const std::set<std::string> kActivations = {"",          "relu",        "leaky_relu", "sigmoid", "silu",
                                                     "hardswish", "hardsigmoid", "clip",       "tanh"};
  const std::string act = node.attrs.get_string("activation", "");
  if (!kActivations.count(act)) return invalid_model("unknown activation '" + act + "'");
  YQ_RETURN_IF_ERROR(infer_conv_core(node, in, out[0]));
  if (in.size() > 3 && in[3] != nullptr) {
    YQ_RETURN_IF_ERROR(expect_dtype(*in[3], DType::kF32, "residual R"));
    if (in[3]->shape != out[0].shape) {
      return invalid_model("residual R has shape " + shape_str(in[3]->shape) + ", expected the output shape " +
                           shape_str(out[0].shape));
    }
  }
  if (in.size() > 4 && in[4] != nullptr) {
    YQ_RETURN_IF_ERROR(expect_dtype(*in[4], DType::kF32, "channel scale S"));
    const int64_t m = out[0].shape.size() > 1 ? out[0].shape[1] : -1;
    if (in[4]->shape != Shape{m})
      return invalid_model("channel scale S has shape " + shape_str(in[4]->shape) + ", expected [" + std::to_string(m) +
                           "] (one per output channel)");
  }
  return ok_status();
}

// ConvTranspose: X [N, C, d...], W [C, M/group, k...]; output channels M = W[1] * group.
Status infer_conv_transpose(const Node& node, Inputs in, Outputs out) {
  const TensorInfo& x = *in[0];
  const TensorInfo& w = *in[1];
  YQ_RETURN_IF_ERROR(expect_dtype(x, DType::kF32, "input X"));
  YQ_RETURN_IF_ERROR(expect_dtype(w, DType::kF32, "weight W"));
  if (x.shape.size() < 3)
    return invalid_model("input X must have rank >= 3 (N, C, spatial...), found " + shape_str(x.shape));
  if (w.shape.size() != x.shape.size()) {
    return invalid_model("weight rank " + std::to_string(w.shape.size()) + " does not match input rank " +
                         std::to_string(x.shape.size()));
  }
  const size_t ns = x.shape.size() - 2;
  const int64_t group = node.attrs.get_int("group", 1);
  if (group < 1) return invalid_model("group must be >= 1, found " + std::to_string(group));
  if (x.shape[1] != w.shape[0]) {
    return invalid_model("input has " + std::to_string(x.shape[1]) + " channels, weight expects " +
                         std::to_string(w.shape[0]));
  }
  if (w.shape[0] % group != 0) {
    return invalid_model("weight input channels " + std::to_string(w.shape[0]) + " not divisible by group " +
                         std::to_string(group));
  }
  const int64_t m = w.shape[1] * group;
  std::vector<int64_t> kernel(w.shape.begin() + 2, w.shape.end());
  for (int64_t k : kernel) {
    if (k < 1) return invalid_model("weight " + shape_str(w.shape) + " has an empty kernel");
  }
  if (node.attrs.has("kernel_shape") && node.attrs.get_ints("kernel_shape") != kernel) {
    return invalid_model("kernel_shape " + ints_str(node.attrs.get_ints("kernel_shape")) +
                         " does not match the weight's spatial dims " + ints_str(kernel));
  }
  if (in.size() > 2 && in[2] != nullptr && in[2]->shape != Shape{m}) {
    return invalid_model("bias has shape " + shape_str(in[2]->shape) + ", expected [" + std::to_string(m) + "]");
  }
  YQ_ASSIGN_OR_RETURN(auto strides, spatial_attr(node, "strides", ns));
  YQ_ASSIGN_OR_RETURN(auto dilations, spatial_attr(node, "dilations", ns));
  YQ_ASSIGN_OR_RETURN(auto pads, pads_attr(node, ns));
  YQ_ASSIGN_OR_RETURN(std::string auto_pad, auto_pad_attr(node));
  std::vector<int64_t> out_pad = node.attrs.get_ints("output_padding", std::vector<int64_t>(ns, 0));
  if (out_pad.size() != ns) {
    return invalid_model("output_padding has " + std::to_string(out_pad.size()) + " values, expected " +
                         std::to_string(ns));
  }
  for (size_t i = 0; i < ns; ++i) {
    // A padding as large as the stride would describe a different input size.
    if (out_pad[i] < 0 || out_pad[i] >= std::max(strides[i], dilations[i])) {
      return invalid_model("output_padding " + ints_str(out_pad) + " must be in [0, max(stride, dilation))");
    }
  }
  Shape y = {x.shape[0], m};
  if (node.attrs.has("output_shape")) {
    std::vector<int64_t> os = node.attrs.get_ints("output_shape");
    // Some exporters write the full N, C, spatial shape; the spec's form is spatial only.
    if (os.size() == ns + 2) os.erase(os.begin(), os.begin() + 2);
    if (os.size() != ns) {
      return invalid_model("output_shape " + ints_str(os) + " must have " + std::to_string(ns) + " spatial dims");
    }
    y.insert(y.end(), os.begin(), os.end());
  } else {
    for (size_t i = 0; i < ns; ++i) {
      const int64_t in_d = x.shape[2 + i];
      int64_t o;
      if (auto_pad == "SAME_UPPER" || auto_pad == "SAME_LOWER") {
        o = in_d * strides[i];
      } else {
        const int64_t pb = auto_pad == "VALID" ? 0 : pads[i];
        const int64_t pe = auto_pad == "VALID" ? 0 : pads[i + ns];
        // ONNX: stride * (in - 1) + output_padding + ((k - 1) * dilation + 1) - pad_begin - pad_end.
        o = strides[i] * (in_d - 1) + out_pad[i] + (kernel[i] - 1) * dilations[i] + 1 - pb - pe;
      }
      if (o < 1) {
        return invalid_model("spatial dim " + std::to_string(i) + " of the output is " + std::to_string(o) +
                             " (pads larger than the output)");
      }
      y.push_back(o);
    }
  }
  set_output(out[0], DType::kF32, std::move(y));
  return ok_status();
}

// Inference mode only: Y has X's shape. The optional training outputs (opsets < 14) are [C].
Status infer_batch_norm(const Node& node, Inputs in, Outputs out) {
  const TensorInfo& x = *in[0];
  YQ_RETURN_IF_ERROR(expect_dtype(x, DType::kF32, "input X"));
  if (x.shape.size() < 2) return invalid_model("input X must have rank >= 2, found " + shape_str(x.shape));
  if (node.attrs.get_int("training_mode", 0) != 0) return unsupported("training_mode=1 is not supported");
  const int64_t c = x.shape[1];
  static const char* kNames[] = {"", "scale", "B", "mean", "var"};
  for (int i = 1; i < 5; ++i) {
    YQ_RETURN_IF_ERROR(expect_dtype(*in[i], DType::kF32, kNames[i]));
    if (in[i]->shape != Shape{c}) {
      return invalid_model(std::string(kNames[i]) + " has shape " + shape_str(in[i]->shape) + ", expected [" +
                           std::to_string(c) + "] (the input's channels)");
    }
  }
  set_output(out[0], DType::kF32, x.shape);
  for (size_t i = 1; i < out.size(); ++i) set_output(out[i], DType::kF32, {c});
  return ok_status();
}

Status infer_gemm(const Node& node, Inputs in, Outputs out) {
  const TensorInfo& a = *in[0];
  const TensorInfo& b = *in[1];
  YQ_RETURN_IF_ERROR(expect_dtype(a, DType::kF32, "input A"));
  YQ_RETURN_IF_ERROR(expect_dtype(b, DType::kF32, "input B"));
  if (a.shape.size() != 2 || b.shape.size() != 2) {
    return invalid_model("A and B must be 2-D, found " + shape_str(a.shape) + " and " + shape_str(b.shape));
  }
  const bool ta = node.attrs.get_int("transA", 0) != 0;
  const bool tb = node.attrs.get_int("transB", 0) != 0;
  const int64_t m = ta ? a.shape[1] : a.shape[0];
  const int64_t ka = ta ? a.shape[0] : a.shape[1];
  const int64_t kb = tb ? b.shape[1] : b.shape[0];
  const int64_t n = tb ? b.shape[0] : b.shape[1];
  if (ka != kb) {
    return invalid_model("inner dims differ: A gives K=" + std::to_string(ka) + ", B gives K=" + std::to_string(kb) +
                         " (transA " + std::to_string(ta) + ", transB " + std::to_string(tb) + ")");
  }
  if (in.size() > 2 && in[2] != nullptr) {
    // C broadcasts one way, onto [M, N].
    YQ_ASSIGN_OR_RETURN(Shape s, broadcast_shapes(Shape{m, n}, in[2]->shape, "C onto [M,N]"));
    if (s != Shape{m, n}) {
      return invalid_model("C of shape " + shape_str(in[2]->shape) + " does not broadcast onto [" + std::to_string(m) +
                           "," + std::to_string(n) + "]");
    }
  }
  set_output(out[0], DType::kF32, {m, n});
  return ok_status();
}

// numpy.matmul: 1-D operands are promoted and the promoted dim dropped; batch dims broadcast.
Status infer_matmul(const Node&, Inputs in, Outputs out) {
  YQ_RETURN_IF_ERROR(expect_dtype(*in[0], DType::kF32, "input A"));
  YQ_RETURN_IF_ERROR(expect_dtype(*in[1], DType::kF32, "input B"));
  Shape a = in[0]->shape, b = in[1]->shape;
  if (a.empty() || b.empty()) return invalid_model("MatMul operands must have rank >= 1");
  const bool a1 = a.size() == 1, b1 = b.size() == 1;
  if (a1) a.insert(a.begin(), 1);
  if (b1) b.push_back(1);
  const int64_t k_a = a.back(), k_b = b[b.size() - 2];
  if (k_a != k_b) {
    return invalid_model("inner dims differ: A " + shape_str(in[0]->shape) + " vs B " + shape_str(in[1]->shape));
  }
  YQ_ASSIGN_OR_RETURN(Shape batch, broadcast_shapes(Shape(a.begin(), a.end() - 2), Shape(b.begin(), b.end() - 2),
                                                    "batch dims of A and B"));
  Shape y = batch;
  if (!a1) y.push_back(a[a.size() - 2]);
  if (!b1) y.push_back(b.back());
  set_output(out[0], DType::kF32, std::move(y));
  return ok_status();
}

}  // namespace

void add_conv_schemas(SchemaMap& m) {
  add_schema(m, "Conv", 2, 3, 1, 1, infer_conv);
  add_schema(m, "FusedConv", 2, 5, 1, 1, infer_fused_conv);
  add_schema(m, "ConvTranspose", 2, 3, 1, 1, infer_conv_transpose);
  add_schema(m, "BatchNormalization", 5, 5, 1, 5, infer_batch_norm);
  add_schema(m, "Gemm", 2, 3, 1, 1, infer_gemm);
  add_schema(m, "MatMul", 2, 2, 1, 1, infer_matmul);
}

}  // namespace yq::ir
