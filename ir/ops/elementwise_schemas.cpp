// SPDX-License-Identifier: Apache-2.0
// Element-wise ops: output shape is the (numpy-broadcast) input shape.
#include "ir/ops/schema_util.h"

namespace yq::ir {
namespace {

bool is_numeric(DType t) { return t == DType::kF32 || t == DType::kI64 || t == DType::kI32 || t == DType::kI8; }

// Float-only activations and math: yoloq's fp32 kernels take f32.
Status infer_unary_f32(const Node&, Inputs in, Outputs out) {
  YQ_RETURN_IF_ERROR(expect_dtype(*in[0], DType::kF32, "input 0"));
  set_output(out[0], DType::kF32, in[0]->shape);
  return ok_status();
}

// Relu and Neg also appear on integer index arithmetic.
Status infer_unary_numeric(const Node&, Inputs in, Outputs out) {
  if (!is_numeric(in[0]->dtype)) {
    return unsupported(std::string("input 0 must be numeric (f32/i64/i32/i8), found ") + dtype_name(in[0]->dtype));
  }
  set_output(out[0], in[0]->dtype, in[0]->shape);
  return ok_status();
}

Status infer_arith(const Node&, Inputs in, Outputs out) {
  YQ_RETURN_IF_ERROR(expect_same_dtype(*in[0], *in[1], "inputs 0 and 1"));
  if (!is_numeric(in[0]->dtype)) {
    return unsupported(std::string("inputs must be numeric (f32/i64/i32/i8), found ") + dtype_name(in[0]->dtype));
  }
  YQ_ASSIGN_OR_RETURN(Shape s, broadcast_shapes(in[0]->shape, in[1]->shape, "inputs 0 and 1"));
  set_output(out[0], in[0]->dtype, std::move(s));
  return ok_status();
}

// Pow's exponent may have its own type (ONNX T1/T2); the result has the base's type.
Status infer_pow(const Node&, Inputs in, Outputs out) {
  YQ_RETURN_IF_ERROR(expect_dtype(*in[0], DType::kF32, "base (input 0)"));
  if (!is_numeric(in[1]->dtype)) {
    return unsupported(std::string("exponent (input 1) must be numeric, found ") + dtype_name(in[1]->dtype));
  }
  YQ_ASSIGN_OR_RETURN(Shape s, broadcast_shapes(in[0]->shape, in[1]->shape, "inputs 0 and 1"));
  set_output(out[0], DType::kF32, std::move(s));
  return ok_status();
}

Status infer_equal(const Node&, Inputs in, Outputs out) {
  YQ_RETURN_IF_ERROR(expect_same_dtype(*in[0], *in[1], "inputs 0 and 1"));
  YQ_ASSIGN_OR_RETURN(Shape s, broadcast_shapes(in[0]->shape, in[1]->shape, "inputs 0 and 1"));
  set_output(out[0], DType::kBool, std::move(s));
  return ok_status();
}

Status infer_where(const Node&, Inputs in, Outputs out) {
  YQ_RETURN_IF_ERROR(expect_dtype(*in[0], DType::kBool, "condition (input 0)"));
  YQ_RETURN_IF_ERROR(expect_same_dtype(*in[1], *in[2], "inputs 1 and 2"));
  YQ_ASSIGN_OR_RETURN(Shape s, broadcast_shapes(in[0]->shape, in[1]->shape, "inputs 0 and 1"));
  YQ_ASSIGN_OR_RETURN(s, broadcast_shapes(s, in[2]->shape, "inputs 0..2"));
  set_output(out[0], in[1]->dtype, std::move(s));
  return ok_status();
}

// Clip (opset 11+): min and max are optional scalar inputs of the data's type.
Status infer_clip(const Node&, Inputs in, Outputs out) {
  if (!is_numeric(in[0]->dtype)) {
    return unsupported(std::string("input 0 must be numeric, found ") + dtype_name(in[0]->dtype));
  }
  for (size_t i = 1; i < in.size(); ++i) {
    if (in[i] == nullptr) continue;
    const std::string what = i == 1 ? "min (input 1)" : "max (input 2)";
    YQ_RETURN_IF_ERROR(expect_same_dtype(*in[0], *in[i], what + " and input 0"));
    // Some exporters write the bound as a 1-element vector; it is still a scalar bound.
    if (shape_numel(in[i]->shape) != 1) {
      return invalid_model(what + " must be a scalar, found shape " + shape_str(in[i]->shape));
    }
  }
  set_output(out[0], in[0]->dtype, in[0]->shape);
  return ok_status();
}

Status infer_cast(const Node& node, Inputs in, Outputs out) {
  if (!node.attrs.has("to")) return invalid_model("attribute 'to' is missing");
  const int64_t to = node.attrs.get_int("to", 0);
  DType dt;
  switch (to) {  // ONNX TensorProto.DataType
    case 1:
      dt = DType::kF32;
      break;
    case 2:
      dt = DType::kU8;
      break;
    case 3:
      dt = DType::kI8;
      break;
    case 6:
      dt = DType::kI32;
      break;
    case 7:
      dt = DType::kI64;
      break;
    case 9:
      dt = DType::kBool;
      break;
    case 11:
      // yoloq holds float64 as f32 (the importer narrows DOUBLE constants, as in YOLOv6's
      // anchor-grid chains); Cast to double therefore stays f32.
      dt = DType::kF32;
      break;
    case 10:
      return unsupported("Cast to float16 (to=10) is not supported; yoloq runs fp32/int8");
    default:
      return unsupported("Cast target type " + std::to_string(to) + " is not supported (expected 1, 2, 3, 6, 7, 9 or 11)");
  }
  if (in[0]->dtype == DType::kF16) return unsupported("Cast from float16 is not supported");
  set_output(out[0], dt, in[0]->shape);
  return ok_status();
}

}  // namespace

void add_elementwise_schemas(SchemaMap& m) {
  for (const char* op : {"Sigmoid", "Sqrt", "Tanh", "Exp", "Floor", "HardSigmoid", "HardSwish", "LeakyRelu"}) {
    add_schema(m, op, 1, 1, 1, 1, infer_unary_f32);
  }
  add_schema(m, "Activation", 1, 1, 1, 1, infer_unary_f32);  // yq Activation (ir/fused_ops.md)
  for (const char* op : {"Relu", "Neg"}) add_schema(m, op, 1, 1, 1, 1, infer_unary_numeric);
  for (const char* op : {"Add", "Sub", "Mul", "Div"}) add_schema(m, op, 2, 2, 1, 1, infer_arith);
  add_schema(m, "Pow", 2, 2, 1, 1, infer_pow);
  add_schema(m, "Equal", 2, 2, 1, 1, infer_equal);
  add_schema(m, "Where", 3, 3, 1, 1, infer_where);
  add_schema(m, "Clip", 1, 3, 1, 1, infer_clip);
  add_schema(m, "Cast", 1, 1, 1, 1, infer_cast);
}

}  // namespace yq::ir
