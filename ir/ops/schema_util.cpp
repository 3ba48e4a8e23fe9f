// SPDX-License-Identifier: Apache-2.0
#include "ir/ops/schema_util.h"

#include <algorithm>
#include <set>

namespace yq::ir {

void add_schema(SchemaMap& m, const std::string& op, int min_in, int max_in, int min_out, int max_out, ShapeFn fn) {
  OpSchema s;
  s.op_type = op;
  s.min_inputs = min_in;
  s.max_inputs = max_in;
  s.min_outputs = min_out;
  s.max_outputs = max_out;
  s.infer = [=, fn = std::move(fn)](const Node& node, Inputs inputs, Outputs outputs) -> Status {
    const int n_in = static_cast<int>(inputs.size());
    const int n_out = static_cast<int>(outputs.size());
    if (n_in < min_in || n_in > max_in) {
      return invalid_model("expected " + std::to_string(min_in) + ".." + std::to_string(max_in) + " inputs, found " +
                           std::to_string(n_in));
    }
    if (n_out < min_out || n_out > max_out) {
      return invalid_model("expected " + std::to_string(min_out) + ".." + std::to_string(max_out) + " outputs, found " +
                           std::to_string(n_out));
    }
    for (int i = 0; i < min_in; ++i) {
      if (inputs[i] == nullptr) return invalid_model("input " + std::to_string(i) + " is required but omitted");
    }
    YQ_RETURN_IF_ERROR(fn(node, inputs, outputs));
    for (int i = 0; i < n_out; ++i) {
      YQ_RETURN_IF_ERROR(check_shape_limits(outputs[i].shape, "output " + std::to_string(i)));
    }
    return ok_status();
  };
  m[op] = std::move(s);
}

std::string dims_str(const Shape& s) {
  std::string out = "[";
  for (size_t i = 0; i < s.size(); ++i) {
    if (i) out += ",";
    out += s[i] < 0 ? "?" : std::to_string(s[i]);
  }
  return out + "]";
}

Status check_shape_limits(const Shape& s, const std::string& what) {
  const bool empty = std::find(s.begin(), s.end(), 0) != s.end();
  int64_t total = 1;
  for (int64_t d : s) {
    if (d < 0) return invalid_model(what + " has a negative dim: " + dims_str(s));
    if (d > kMaxDim) return invalid_model(what + " has a dim above 2^31: " + shape_str(s));
    // Divide rather than multiply first: 2^34 * 2^31 would overflow int64. A shape with a zero
    // dim is empty whatever its other dims.
    if (empty) continue;
    if (total > kMaxElements / d) return invalid_model(what + " has more than 2^34 elements: " + shape_str(s));
    total *= d;
  }
  return ok_status();
}

Expected<int64_t> normalize_axis(int64_t axis, int64_t rank, const std::string& what) {
  if (axis < -rank || axis >= rank) {
    return invalid_model(what + " " + std::to_string(axis) + " is out of range for rank " + std::to_string(rank) +
                         " (expected [" + std::to_string(-rank) + ", " + std::to_string(rank - 1) + "])");
  }
  return axis < 0 ? axis + rank : axis;
}

Expected<std::vector<int64_t>> normalize_axes(const std::vector<int64_t>& axes, int64_t rank, const std::string& what) {
  std::vector<int64_t> out;
  std::set<int64_t> seen;
  for (int64_t a : axes) {
    YQ_ASSIGN_OR_RETURN(int64_t n, normalize_axis(a, rank, what));
    if (!seen.insert(n).second) return invalid_model(what + " repeats axis " + std::to_string(n));
    out.push_back(n);
  }
  return out;
}

bool is_integer(DType t) {
  return t == DType::kI64 || t == DType::kI32 || t == DType::kI8 || t == DType::kU8 || t == DType::kBool;
}

Expected<std::vector<int64_t>> const_ints(const TensorInfo* t, const std::string& what) {
  if (t == nullptr) return invalid_model(what + " is missing");
  if (t->constant == nullptr) {
    return unsupported(what + " is not a constant (yoloq needs static shapes; found a tensor computed at run time)");
  }
  if (!is_integer(t->constant->dtype())) {
    return invalid_model(what + " must be an integer tensor, found " + dtype_name(t->constant->dtype()));
  }
  return t->constant->to_int64_vector();
}

Expected<std::vector<double>> const_doubles(const TensorInfo* t, const std::string& what) {
  if (t == nullptr) return invalid_model(what + " is missing");
  if (t->constant == nullptr) {
    return unsupported(what + " is not a constant (yoloq needs static shapes; found a tensor computed at run time)");
  }
  const Tensor& c = *t->constant;
  std::vector<double> out;
  if (c.dtype() == DType::kF32) {
    for (float v : c.values<float>()) out.push_back(v);
  } else if (is_integer(c.dtype())) {
    for (int64_t v : c.to_int64_vector()) out.push_back(static_cast<double>(v));
  } else {
    return unsupported(what + " has dtype " + std::string(dtype_name(c.dtype())) + ", expected f32 or an integer");
  }
  return out;
}

bool absent_or_empty(const TensorInfo* t) {
  if (t == nullptr) return true;
  // An empty shape ([0]) is ONNX's way of saying "not given" for Resize's roi/scales.
  return shape_numel(t->shape) == 0 && !t->shape.empty();
}

Expected<Shape> broadcast_shapes(const Shape& a, const Shape& b, const std::string& what) {
  const size_t r = std::max(a.size(), b.size());
  Shape out(r);
  for (size_t i = 0; i < r; ++i) {
    // Align from the right (numpy rule).
    const int64_t da = i < r - a.size() ? 1 : a[i - (r - a.size())];
    const int64_t db = i < r - b.size() ? 1 : b[i - (r - b.size())];
    if (da == db || db == 1) {
      out[i] = da;
    } else if (da == 1) {
      out[i] = db;
    } else {
      return invalid_model(what + ": shapes " + shape_str(a) + " and " + shape_str(b) + " are not broadcastable (dim " +
                           std::to_string(i) + ": " + std::to_string(da) + " vs " + std::to_string(db) + ")");
    }
  }
  return out;
}

Status expect_dtype(const TensorInfo& t, DType want, const std::string& what) {
  if (t.dtype != want) {
    return unsupported(what + " must be " + dtype_name(want) + ", found " + dtype_name(t.dtype));
  }
  return ok_status();
}

Status expect_same_dtype(const TensorInfo& a, const TensorInfo& b, const std::string& what) {
  if (a.dtype != b.dtype) {
    return invalid_model(what + ": dtypes differ (" + dtype_name(a.dtype) + " vs " + dtype_name(b.dtype) + ")");
  }
  return ok_status();
}

std::pair<int64_t, int64_t> shape_op_range(const Node& node, int64_t rank) {
  // Opset 15: out-of-range start/end are clamped, not errors.
  auto clamp = [rank](int64_t v) {
    if (v < 0) v += rank;
    return std::clamp<int64_t>(v, 0, rank);
  };
  const int64_t start = clamp(node.attrs.get_int("start", 0));
  const int64_t end = clamp(node.attrs.get_int("end", rank));
  return {start, std::max(start, end)};
}

Expected<Tensor> constant_node_value(const Node& node) {
  const Attributes& a = node.attrs;
  if (const Tensor* t = a.get_tensor("value")) return *t;
  if (a.has("value_float")) return Tensor::scalar<float>(a.get_float("value_float", 0.f));
  if (a.has("value_int")) return Tensor::scalar<int64_t>(a.get_int("value_int", 0));
  if (a.has("value_floats")) {
    std::vector<float> v = a.get_floats("value_floats");
    const int64_t n = static_cast<int64_t>(v.size());
    return Tensor::from_vector<float>(v, {n});
  }
  if (a.has("value_ints")) {
    std::vector<int64_t> v = a.get_ints("value_ints");
    const int64_t n = static_cast<int64_t>(v.size());
    return Tensor::from_vector<int64_t>(v, {n});
  }
  if (a.has("value_string") || a.has("value_strings") || a.has("sparse_value")) {
    return unsupported("Constant holds a string or sparse tensor; only dense numeric tensors are supported");
  }
  return invalid_model("Constant has none of the attributes value, value_float(s), value_int(s)");
}

}  // namespace yq::ir
