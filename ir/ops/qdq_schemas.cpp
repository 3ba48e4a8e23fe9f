// SPDX-License-Identifier: Apache-2.0
// QuantizeLinear / DequantizeLinear (opset 10-13). They only exist between ONNX import and the
// absorb_qdq pass (ir/quantized_ir.md), or on graphs that keep integer tensors at their edges.
//
//   QuantizeLinear(x f32, y_scale f32, y_zero_point i8|u8 ?) -> y, dtype of y_zero_point (u8 when
//   absent); DequantizeLinear(x i8|u8|i32, x_scale f32, x_zero_point ?) -> f32.
// Scale and zero point are scalars (per-tensor) or 1-D of length x.shape[axis] (per-axis,
// opset 13; `axis` defaults to 1 and may be negative).
#include "ir/ops/schema_util.h"

namespace yq::ir {
namespace {

// Checks scale / zero point against x: both per-tensor (one element, rank <= 1) or both 1-D with
// x.shape[axis] elements; the zero point (when present) has the scale's shape and `zp_dtype`.
Status check_qparams_inputs(const Node& node, Inputs in, const char* scale_name, const char* zp_name) {
  const TensorInfo& x = *in[0];
  const TensorInfo& s = *in[1];
  YQ_RETURN_IF_ERROR(expect_dtype(s, DType::kF32, scale_name));
  const TensorInfo* zp = in.size() > 2 ? in[2] : nullptr;
  if (zp != nullptr) {
    if (zp->dtype != DType::kI8 && zp->dtype != DType::kU8 && zp->dtype != DType::kI32)
      return invalid_model(std::string(zp_name) + " must be int8, uint8 or int32, found " + dtype_name(zp->dtype));
    if (zp->shape != s.shape)
      return invalid_model(std::string(zp_name) + " has shape " + dims_str(zp->shape) + ", expected the shape of " +
                           scale_name + " " + dims_str(s.shape));
  }
  if (s.shape.size() > 1)
    return invalid_model(std::string(scale_name) + " must be a scalar or 1-D, found " + dims_str(s.shape));
  const int64_t n = shape_numel(s.shape);
  if (s.shape.empty() || (n == 1 && !node.attrs.has("axis"))) return ok_status();  // per-tensor
  YQ_ASSIGN_OR_RETURN(int64_t axis, normalize_axis(node.attrs.get_int("axis", 1),
                                                   static_cast<int64_t>(x.shape.size()), "axis"));
  if (x.shape[axis] >= 0 && n != x.shape[axis] && n != 1)
    return invalid_model(std::string(scale_name) + " has " + std::to_string(n) + " values, expected 1 or " +
                         std::to_string(x.shape[axis]) + " (input dim at axis " + std::to_string(axis) + ")");
  return ok_status();
}

Status infer_quantize_linear(const Node& node, Inputs in, Outputs out) {
  const TensorInfo& x = *in[0];
  YQ_RETURN_IF_ERROR(expect_dtype(x, DType::kF32, "input x"));
  YQ_RETURN_IF_ERROR(check_qparams_inputs(node, in, "y_scale", "y_zero_point"));
  const TensorInfo* zp = in.size() > 2 ? in[2] : nullptr;
  if (zp != nullptr && zp->dtype == DType::kI32)
    return invalid_model("y_zero_point must be int8 or uint8 for QuantizeLinear, found i32");
  set_output(out[0], zp != nullptr ? zp->dtype : DType::kU8, x.shape);
  return ok_status();
}

Status infer_dequantize_linear(const Node& node, Inputs in, Outputs out) {
  const TensorInfo& x = *in[0];
  if (x.dtype != DType::kI8 && x.dtype != DType::kU8 && x.dtype != DType::kI32)
    return invalid_model(std::string("input x must be int8, uint8 or int32, found ") + dtype_name(x.dtype));
  YQ_RETURN_IF_ERROR(check_qparams_inputs(node, in, "x_scale", "x_zero_point"));
  const TensorInfo* zp = in.size() > 2 ? in[2] : nullptr;
  if (zp != nullptr && zp->dtype != x.dtype)
    return invalid_model(std::string("x_zero_point has dtype ") + dtype_name(zp->dtype) + ", expected x's " +
                         dtype_name(x.dtype));
  set_output(out[0], DType::kF32, x.shape);
  return ok_status();
}

}  // namespace

void add_qdq_schemas(SchemaMap& m) {
  add_schema(m, "QuantizeLinear", 2, 3, 1, 1, infer_quantize_linear);
  add_schema(m, "DequantizeLinear", 2, 3, 1, 1, infer_dequantize_linear);
}

}  // namespace yq::ir
