// SPDX-License-Identifier: Apache-2.0
// Pooling and reductions.
#include "ir/ops/schema_util.h"

namespace yq::ir {
namespace {

// MaxPool / AveragePool: X [N, C, d...] -> [N, C, o...].
Status infer_pool(const Node& node, Inputs in, Outputs out) {
  const TensorInfo& x = *in[0];
  YQ_RETURN_IF_ERROR(expect_dtype(x, DType::kF32, "input X"));
  if (x.shape.size() < 3)
    return invalid_model("input X must have rank >= 3 (N, C, spatial...), found " + shape_str(x.shape));
  const size_t ns = x.shape.size() - 2;
  if (!node.attrs.has("kernel_shape")) return invalid_model("attribute kernel_shape is missing");
  const std::vector<int64_t> kernel = node.attrs.get_ints("kernel_shape");
  auto check_len = [&](const char* name, const std::vector<int64_t>& v, size_t n, int64_t min) -> Status {
    if (v.size() != n) {
      return invalid_model(std::string(name) + " has " + std::to_string(v.size()) + " values, expected " +
                           std::to_string(n));
    }
    for (int64_t e : v) {
      if (e < min || e > kMaxDim) {
        return invalid_model(std::string(name) + " must be in [" + std::to_string(min) + ", 2^31], found " +
                             shape_str(v));
      }
    }
    return ok_status();
  };
  const std::vector<int64_t> strides = node.attrs.get_ints("strides", std::vector<int64_t>(ns, 1));
  const std::vector<int64_t> dilations = node.attrs.get_ints("dilations", std::vector<int64_t>(ns, 1));
  const std::vector<int64_t> pads = node.attrs.get_ints("pads", std::vector<int64_t>(2 * ns, 0));
  YQ_RETURN_IF_ERROR(check_len("kernel_shape", kernel, ns, 1));
  YQ_RETURN_IF_ERROR(check_len("strides", strides, ns, 1));
  YQ_RETURN_IF_ERROR(check_len("dilations", dilations, ns, 1));
  YQ_RETURN_IF_ERROR(check_len("pads", pads, 2 * ns, 0));
  const bool ceil_mode = node.attrs.get_int("ceil_mode", 0) != 0;
  const std::string auto_pad = node.attrs.get_string("auto_pad", "NOTSET");
  if (auto_pad != "NOTSET" && auto_pad != "SAME_UPPER" && auto_pad != "SAME_LOWER" && auto_pad != "VALID") {
    return invalid_model("auto_pad '" + auto_pad + "' is not one of NOTSET, SAME_UPPER, SAME_LOWER, VALID");
  }
  Shape y = {x.shape[0], x.shape[1]};
  for (size_t i = 0; i < ns; ++i) {
    const int64_t in_d = x.shape[2 + i];
    const int64_t eff_k = (kernel[i] - 1) * dilations[i] + 1;
    const int64_t s = strides[i];
    // A window lying wholly in the padding has no input element (ONNX Runtime refuses it too).
    if (pads[i] >= eff_k || pads[i + ns] >= eff_k) {
      return invalid_model("pads " + shape_str(pads) + " must be smaller than the kernel " + shape_str(kernel));
    }
    int64_t o;
    if (auto_pad == "SAME_UPPER" || auto_pad == "SAME_LOWER") {
      o = (in_d + s - 1) / s;
    } else {
      const int64_t pb = auto_pad == "VALID" ? 0 : pads[i];
      const int64_t padded = auto_pad == "VALID" ? in_d : in_d + pads[i] + pads[i + ns];
      if (padded < eff_k) {
        return invalid_model("spatial dim " + std::to_string(i) + ": padded input " + std::to_string(padded) +
                             " is smaller than the dilated kernel " + std::to_string(eff_k));
      }
      if (ceil_mode) {
        o = (padded - eff_k + s - 1) / s + 1;
        // A last window that would start inside the end padding is dropped (ONNX/PyTorch rule),
        // so every window covers at least one real element.
        if ((o - 1) * s >= in_d + pb) --o;
      } else {
        o = (padded - eff_k) / s + 1;
      }
    }
    y.push_back(o);
  }
  set_output(out[0], DType::kF32, y);
  if (out.size() > 1) {
    if (node.op_type != "MaxPool") return invalid_model("only MaxPool has a second (Indices) output");
    set_output(out[1], DType::kI64, y);
  }
  return ok_status();
}

Status infer_global_pool(const Node&, Inputs in, Outputs out) {
  const TensorInfo& x = *in[0];
  YQ_RETURN_IF_ERROR(expect_dtype(x, DType::kF32, "input X"));
  if (x.shape.size() < 3)
    return invalid_model("input X must have rank >= 3 (N, C, spatial...), found " + shape_str(x.shape));
  Shape y(x.shape.size(), 1);
  y[0] = x.shape[0];
  y[1] = x.shape[1];
  set_output(out[0], DType::kF32, std::move(y));
  return ok_status();
}

// ReduceMean: axes is an attribute up to opset 17 (an input from 18, also accepted here).
// No axes means all axes.
Status infer_reduce_mean(const Node& node, Inputs in, Outputs out) {
  const TensorInfo& x = *in[0];
  YQ_RETURN_IF_ERROR(expect_dtype(x, DType::kF32, "input data"));
  const int64_t r = static_cast<int64_t>(x.shape.size());
  std::vector<int64_t> axes;
  if (in.size() > 1 && in[1] != nullptr) {
    YQ_ASSIGN_OR_RETURN(axes, const_ints(in[1], "axes (input 1)"));
  } else {
    axes = node.attrs.get_ints("axes");
  }
  const bool noop_empty = node.attrs.get_int("noop_with_empty_axes", 0) != 0;
  if (axes.empty() && !noop_empty) {
    for (int64_t i = 0; i < r; ++i) axes.push_back(i);
  }
  YQ_ASSIGN_OR_RETURN(axes, normalize_axes(axes, r, "axes"));
  const bool keep = node.attrs.get_int("keepdims", 1) != 0;
  std::vector<bool> reduced(static_cast<size_t>(r), false);
  for (int64_t a : axes) reduced[static_cast<size_t>(a)] = true;
  Shape y;
  for (int64_t i = 0; i < r; ++i) {
    if (!reduced[static_cast<size_t>(i)]) {
      y.push_back(x.shape[static_cast<size_t>(i)]);
    } else if (keep) {
      y.push_back(1);
    }
  }
  set_output(out[0], DType::kF32, std::move(y));
  return ok_status();
}

}  // namespace

void add_pool_schemas(SchemaMap& m) {
  add_schema(m, "MaxPool", 1, 1, 1, 2, infer_pool);
  add_schema(m, "AveragePool", 1, 1, 1, 1, infer_pool);
  add_schema(m, "GlobalAveragePool", 1, 1, 1, 1, infer_global_pool);
  add_schema(m, "ReduceMean", 1, 2, 1, 1, infer_reduce_mean);
}

}  // namespace yq::ir
