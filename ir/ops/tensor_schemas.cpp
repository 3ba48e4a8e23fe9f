// SPDX-License-Identifier: Apache-2.0
// Shape and layout ops. Those whose output shape depends on a tensor's values (Reshape, Slice,
// Expand, Pad, ...) need that tensor constant at load time: yoloq only runs static shapes.
#include <algorithm>
#include <cmath>
#include <limits>

#include "ir/ops/schema_util.h"

namespace yq::ir {
namespace {

int64_t rank_of(const TensorInfo& t) { return static_cast<int64_t>(t.shape.size()); }

Status infer_identity(const Node&, Inputs in, Outputs out) {
  set_output(out[0], in[0]->dtype, in[0]->shape);
  return ok_status();
}

// Inference-mode Dropout is the identity; the optional mask is all true.
Status infer_dropout(const Node&, Inputs in, Outputs out) {
  set_output(out[0], in[0]->dtype, in[0]->shape);
  if (out.size() > 1) set_output(out[1], DType::kBool, in[0]->shape);
  return ok_status();
}

Status infer_constant(const Node& node, Inputs, Outputs out) {
  YQ_ASSIGN_OR_RETURN(Tensor t, constant_node_value(node));
  set_output(out[0], t.dtype(), t.shape());
  return ok_status();
}

Status infer_shape(const Node& node, Inputs in, Outputs out) {
  auto [start, end] = shape_op_range(node, rank_of(*in[0]));
  set_output(out[0], DType::kI64, {end - start});
  return ok_status();
}

// Reshape: 0 copies the input dim (unless allowzero), -1 is inferred from the element count.
Status infer_reshape(const Node& node, Inputs in, Outputs out) {
  YQ_ASSIGN_OR_RETURN(std::vector<int64_t> target, const_ints(in[1], "target shape (input 1)"));
  if (in[1]->shape.size() != 1) return invalid_model("target shape must be 1-D, found " + shape_str(in[1]->shape));
  const bool allowzero = node.attrs.get_int("allowzero", 0) != 0;
  const Shape& xs = in[0]->shape;
  Shape y(target.size());
  int infer_at = -1;
  int64_t known = 1;
  for (size_t i = 0; i < target.size(); ++i) {
    int64_t d = target[i];
    if (d == 0 && !allowzero) {
      if (i >= xs.size()) {
        return invalid_model("target shape " + shape_str(target) + " copies dim " + std::to_string(i) +
                             " (0) but the input " + shape_str(xs) + " has rank " + std::to_string(xs.size()));
      }
      d = xs[i];
    } else if (d == -1) {
      if (infer_at >= 0) return invalid_model("target shape " + shape_str(target) + " has more than one -1");
      if (allowzero && std::count(target.begin(), target.end(), 0)) {
        return invalid_model("target shape " + shape_str(target) + " mixes -1 and 0 with allowzero=1");
      }
      infer_at = static_cast<int>(i);
      continue;
    } else if (d < 0) {
      return invalid_model("target shape " + shape_str(target) + " has a negative dim other than -1");
    }
    YQ_RETURN_IF_ERROR(check_shape_limits({d}, "target shape"));
    y[i] = d;
    if (d != 0 && known > kMaxElements / d) return invalid_model("target shape " + shape_str(target) + " is too large");
    known *= d;
  }
  const int64_t n = shape_numel(xs);
  if (infer_at >= 0) {
    if (known == 0 || n % known != 0) {
      return invalid_model("cannot reshape " + shape_str(xs) + " (" + std::to_string(n) + " elements) to " +
                           shape_str(target));
    }
    y[static_cast<size_t>(infer_at)] = n / known;
  } else if (known != n) {
    return invalid_model("cannot reshape " + shape_str(xs) + " (" + std::to_string(n) + " elements) to " +
                         shape_str(y) + " (" + std::to_string(known) + " elements)");
  }
  set_output(out[0], in[0]->dtype, std::move(y));
  return ok_status();
}

Status infer_flatten(const Node& node, Inputs in, Outputs out) {
  const int64_t r = rank_of(*in[0]);
  int64_t axis = node.attrs.get_int("axis", 1);
  // Flatten's axis ranges over [-r, r]: r puts everything in the outer dim.
  if (axis < -r || axis > r) {
    return invalid_model("axis " + std::to_string(axis) + " is out of range for rank " + std::to_string(r) +
                         " (expected [" + std::to_string(-r) + ", " + std::to_string(r) + "])");
  }
  if (axis < 0) axis += r;
  int64_t outer = 1, inner = 1;
  for (int64_t i = 0; i < r; ++i) (i < axis ? outer : inner) *= in[0]->shape[static_cast<size_t>(i)];
  set_output(out[0], in[0]->dtype, {outer, inner});
  return ok_status();
}

Status infer_transpose(const Node& node, Inputs in, Outputs out) {
  const int64_t r = rank_of(*in[0]);
  std::vector<int64_t> perm;
  if (node.attrs.has("perm")) {
    perm = node.attrs.get_ints("perm");
  } else {
    for (int64_t i = r - 1; i >= 0; --i) perm.push_back(i);
  }
  if (static_cast<int64_t>(perm.size()) != r) {
    return invalid_model("perm " + shape_str(perm) + " has " + std::to_string(perm.size()) +
                         " entries, input rank is " + std::to_string(r));
  }
  YQ_ASSIGN_OR_RETURN(perm, normalize_axes(perm, r, "perm"));
  Shape y;
  for (int64_t p : perm) y.push_back(in[0]->shape[static_cast<size_t>(p)]);
  set_output(out[0], in[0]->dtype, std::move(y));
  return ok_status();
}

// Squeeze/Unsqueeze axes: an attribute before opset 13, the optional input 1 from 13.
Expected<std::optional<std::vector<int64_t>>> axes_attr_or_input(const Node& node, Inputs in) {
  if (in.size() > 1 && in[1] != nullptr) {
    YQ_ASSIGN_OR_RETURN(std::vector<int64_t> a, const_ints(in[1], "axes (input 1)"));
    return std::optional<std::vector<int64_t>>(std::move(a));
  }
  if (node.attrs.has("axes")) return std::optional<std::vector<int64_t>>(node.attrs.get_ints("axes"));
  return std::optional<std::vector<int64_t>>();
}

Status infer_squeeze(const Node& node, Inputs in, Outputs out) {
  const Shape& xs = in[0]->shape;
  const int64_t r = rank_of(*in[0]);
  YQ_ASSIGN_OR_RETURN(auto axes_opt, axes_attr_or_input(node, in));
  std::vector<bool> drop(xs.size(), false);
  if (!axes_opt) {
    for (size_t i = 0; i < xs.size(); ++i) drop[i] = xs[i] == 1;
  } else {
    YQ_ASSIGN_OR_RETURN(auto axes, normalize_axes(*axes_opt, r, "axes"));
    for (int64_t a : axes) {
      if (xs[static_cast<size_t>(a)] != 1) {
        return invalid_model("cannot squeeze axis " + std::to_string(a) + " of " + shape_str(xs) + ": its size is " +
                             std::to_string(xs[static_cast<size_t>(a)]) + ", expected 1");
      }
      drop[static_cast<size_t>(a)] = true;
    }
  }
  Shape y;
  for (size_t i = 0; i < xs.size(); ++i) {
    if (!drop[i]) y.push_back(xs[i]);
  }
  set_output(out[0], in[0]->dtype, std::move(y));
  return ok_status();
}

Status infer_unsqueeze(const Node& node, Inputs in, Outputs out) {
  YQ_ASSIGN_OR_RETURN(auto axes_opt, axes_attr_or_input(node, in));
  if (!axes_opt) return invalid_model("axes are missing (neither attribute nor input 1)");
  // Axes index the output, whose rank is input rank + number of axes.
  const int64_t r_out = rank_of(*in[0]) + static_cast<int64_t>(axes_opt->size());
  YQ_ASSIGN_OR_RETURN(auto axes, normalize_axes(*axes_opt, r_out, "axes"));
  std::vector<bool> is_new(static_cast<size_t>(r_out), false);
  for (int64_t a : axes) is_new[static_cast<size_t>(a)] = true;
  Shape y;
  size_t j = 0;
  for (int64_t i = 0; i < r_out; ++i) y.push_back(is_new[static_cast<size_t>(i)] ? 1 : in[0]->shape[j++]);
  set_output(out[0], in[0]->dtype, std::move(y));
  return ok_status();
}

Status infer_concat(const Node& node, Inputs in, Outputs out) {
  if (!node.attrs.has("axis")) return invalid_model("attribute axis is missing");
  const TensorInfo& first = *in[0];
  const int64_t r = rank_of(first);
  if (r == 0) return invalid_model("cannot concatenate scalars (input 0 has rank 0)");
  YQ_ASSIGN_OR_RETURN(int64_t axis, normalize_axis(node.attrs.get_int("axis", 0), r, "axis"));
  Shape y = first.shape;
  y[static_cast<size_t>(axis)] = 0;
  for (size_t i = 0; i < in.size(); ++i) {
    if (in[i] == nullptr) return invalid_model("input " + std::to_string(i) + " is omitted");
    const TensorInfo& t = *in[i];
    YQ_RETURN_IF_ERROR(expect_same_dtype(first, t, "inputs 0 and " + std::to_string(i)));
    if (rank_of(t) != r) {
      return invalid_model("input " + std::to_string(i) + " has shape " + shape_str(t.shape) + ", expected rank " +
                           std::to_string(r) + " like input 0 " + shape_str(first.shape));
    }
    for (int64_t d = 0; d < r; ++d) {
      if (d != axis && t.shape[static_cast<size_t>(d)] != first.shape[static_cast<size_t>(d)]) {
        return invalid_model("input " + std::to_string(i) + " has shape " + shape_str(t.shape) + ", input 0 has " +
                             shape_str(first.shape) + ": dim " + std::to_string(d) + " must match (axis is " +
                             std::to_string(axis) + ")");
      }
    }
    y[static_cast<size_t>(axis)] += t.shape[static_cast<size_t>(axis)];
  }
  set_output(out[0], first.dtype, std::move(y));
  return ok_status();
}

// Split sizes: input 1 (opset 13+), else attribute `split`, else equal parts (or opset 18's
// num_outputs rule: ceil-sized parts with a smaller last one).
Status infer_split(const Node& node, Inputs in, Outputs out) {
  const TensorInfo& x = *in[0];
  YQ_ASSIGN_OR_RETURN(int64_t axis, normalize_axis(node.attrs.get_int("axis", 0), rank_of(x), "axis"));
  const int64_t dim = x.shape[static_cast<size_t>(axis)];
  const int64_t n = static_cast<int64_t>(out.size());
  std::vector<int64_t> sizes;
  if (in.size() > 1 && in[1] != nullptr) {
    YQ_ASSIGN_OR_RETURN(sizes, const_ints(in[1], "split sizes (input 1)"));
  } else if (node.attrs.has("split")) {
    sizes = node.attrs.get_ints("split");
  } else if (node.attrs.has("num_outputs")) {
    const int64_t chunk = (dim + n - 1) / n;
    for (int64_t i = 0; i < n; ++i) sizes.push_back(std::clamp<int64_t>(dim - i * chunk, 0, chunk));
  } else {
    if (dim % n != 0) {
      return invalid_model("axis " + std::to_string(axis) + " of " + shape_str(x.shape) + " (size " +
                           std::to_string(dim) + ") does not split into " + std::to_string(n) + " equal parts");
    }
    sizes.assign(static_cast<size_t>(n), dim / n);
  }
  if (static_cast<int64_t>(sizes.size()) != n) {
    return invalid_model("split " + shape_str(sizes) + " has " + std::to_string(sizes.size()) +
                         " sizes but the node has " + std::to_string(n) + " outputs");
  }
  int64_t sum = 0;
  for (int64_t s : sizes) {
    if (s < 0 || s > kMaxDim) return invalid_model("split " + shape_str(sizes) + " has a size outside [0, 2^31]");
    sum += s;
  }
  if (sum != dim) {
    return invalid_model("split " + shape_str(sizes) + " sums to " + std::to_string(sum) + ", expected " +
                         std::to_string(dim) + " (axis " + std::to_string(axis) + " of " + shape_str(x.shape) + ")");
  }
  for (int64_t i = 0; i < n; ++i) {
    Shape y = x.shape;
    y[static_cast<size_t>(axis)] = sizes[static_cast<size_t>(i)];
    set_output(out[static_cast<size_t>(i)], x.dtype, std::move(y));
  }
  return ok_status();
}

// Slice (opset 10+: starts/ends/axes/steps are inputs; before that, attributes).
Status infer_slice(const Node& node, Inputs in, Outputs out) {
  const TensorInfo& x = *in[0];
  const int64_t r = rank_of(x);
  std::vector<int64_t> starts, ends, axes, steps;
  if (in.size() >= 3) {
    YQ_ASSIGN_OR_RETURN(starts, const_ints(in[1], "starts (input 1)"));
    YQ_ASSIGN_OR_RETURN(ends, const_ints(in[2], "ends (input 2)"));
    if (in.size() > 3 && in[3] != nullptr) {
      YQ_ASSIGN_OR_RETURN(axes, const_ints(in[3], "axes (input 3)"));
    }
    if (in.size() > 4 && in[4] != nullptr) {
      YQ_ASSIGN_OR_RETURN(steps, const_ints(in[4], "steps (input 4)"));
    }
  } else if (in.size() == 1 && node.attrs.has("starts") && node.attrs.has("ends")) {
    starts = node.attrs.get_ints("starts");
    ends = node.attrs.get_ints("ends");
    axes = node.attrs.get_ints("axes");
  } else {
    return invalid_model("expected starts and ends as inputs 1 and 2");
  }
  if (starts.size() != ends.size()) {
    return invalid_model("starts has " + std::to_string(starts.size()) + " values, ends has " +
                         std::to_string(ends.size()));
  }
  if (axes.empty()) {
    for (size_t i = 0; i < starts.size(); ++i) axes.push_back(static_cast<int64_t>(i));
  }
  if (steps.empty()) steps.assign(starts.size(), 1);
  if (axes.size() != starts.size() || steps.size() != starts.size()) {
    return invalid_model("starts, ends, axes and steps must have the same length, found " +
                         std::to_string(starts.size()) + ", " + std::to_string(ends.size()) + ", " +
                         std::to_string(axes.size()) + ", " + std::to_string(steps.size()));
  }
  YQ_ASSIGN_OR_RETURN(axes, normalize_axes(axes, r, "axes"));
  Shape y = x.shape;
  for (size_t i = 0; i < axes.size(); ++i) {
    const int64_t dim = x.shape[static_cast<size_t>(axes[i])];
    int64_t step = steps[i];
    if (step == 0) return invalid_model("steps must be non-zero, found 0 for axis " + std::to_string(axes[i]));
    // Any |step| above the dim takes at most one element; clamping keeps -step and the
    // arithmetic below from overflowing for INT64_MIN/MAX.
    step = std::clamp<int64_t>(step, -kMaxDim - 1, kMaxDim + 1);
    int64_t start = starts[i], end = ends[i];
    // ONNX: negative values count from the end; then clamp to [0, dim] for positive steps and
    // to [0, dim-1] (start) / [-1, dim-1] (end) for negative steps. INT64_MIN/MAX mean "to the end".
    if (start < 0) start += dim;
    if (end < 0) end += dim;
    if (step > 0) {
      start = std::clamp<int64_t>(start, 0, dim);
      end = std::clamp<int64_t>(end, 0, dim);
    } else {
      start = std::clamp<int64_t>(start, 0, dim - 1);
      end = std::clamp<int64_t>(end, -1, dim - 1);
    }
    int64_t len = 0;
    if (step > 0 && end > start) len = (end - start + step - 1) / step;
    if (step < 0 && start > end) len = (start - end + (-step) - 1) / (-step);
    y[static_cast<size_t>(axes[i])] = len;
  }
  set_output(out[0], x.dtype, std::move(y));
  return ok_status();
}

// Gather: out = data[:axis] + indices.shape + data[axis+1:]; a scalar index drops the axis.
Status infer_gather(const Node& node, Inputs in, Outputs out) {
  const TensorInfo& data = *in[0];
  const TensorInfo& idx = *in[1];
  const int64_t r = rank_of(data);
  if (r == 0) return invalid_model("data must have rank >= 1, found a scalar");
  YQ_ASSIGN_OR_RETURN(int64_t axis, normalize_axis(node.attrs.get_int("axis", 0), r, "axis"));
  if (idx.dtype != DType::kI64 && idx.dtype != DType::kI32) {
    return invalid_model(std::string("indices must be i64 or i32, found ") + dtype_name(idx.dtype));
  }
  const int64_t dim = data.shape[static_cast<size_t>(axis)];
  if (idx.constant != nullptr) {
    for (int64_t v : idx.constant->to_int64_vector()) {
      if (v < -dim || v >= dim) {
        return invalid_model("index " + std::to_string(v) + " is out of range for axis " + std::to_string(axis) +
                             " of size " + std::to_string(dim));
      }
    }
  }
  Shape y(data.shape.begin(), data.shape.begin() + axis);
  y.insert(y.end(), idx.shape.begin(), idx.shape.end());
  y.insert(y.end(), data.shape.begin() + axis + 1, data.shape.end());
  set_output(out[0], data.dtype, std::move(y));
  return ok_status();
}

// Pad (opset 11+): pads is input 1 ([begins..., ends...]); opset 18 adds axes as input 3.
Status infer_pad(const Node& node, Inputs in, Outputs out) {
  const TensorInfo& x = *in[0];
  const int64_t r = rank_of(x);
  const std::string mode = node.attrs.get_string("mode", "constant");
  if (mode != "constant" && mode != "reflect" && mode != "edge") {
    return unsupported("mode '" + mode + "' is not supported (expected constant, reflect or edge)");
  }
  std::vector<int64_t> pads;
  if (in.size() > 1 && in[1] != nullptr) {
    YQ_ASSIGN_OR_RETURN(pads, const_ints(in[1], "pads (input 1)"));
  } else if (node.attrs.has("pads")) {
    pads = node.attrs.get_ints("pads");
  } else {
    return invalid_model("pads are missing (input 1)");
  }
  std::vector<int64_t> axes;
  if (in.size() > 3 && in[3] != nullptr) {
    YQ_ASSIGN_OR_RETURN(axes, const_ints(in[3], "axes (input 3)"));
    YQ_ASSIGN_OR_RETURN(axes, normalize_axes(axes, r, "axes"));
  } else {
    for (int64_t i = 0; i < r; ++i) axes.push_back(i);
  }
  const size_t na = axes.size();
  if (pads.size() != 2 * na) {
    return invalid_model("pads has " + std::to_string(pads.size()) + " values, expected " + std::to_string(2 * na) +
                         " (2 per padded axis)");
  }
  for (int64_t p : pads) {
    if (p > kMaxDim || p < -kMaxDim) return invalid_model("pads " + shape_str(pads) + " has an absurd value");
  }
  if (in.size() > 2 && in[2] != nullptr) {
    YQ_RETURN_IF_ERROR(expect_same_dtype(x, *in[2], "constant_value (input 2) and data"));
    if (shape_numel(in[2]->shape) != 1) {
      return invalid_model("constant_value must be a scalar, found shape " + shape_str(in[2]->shape));
    }
  }
  Shape y = x.shape;
  for (size_t i = 0; i < na; ++i) {
    const size_t a = static_cast<size_t>(axes[i]);
    const int64_t d = x.shape[a] + pads[i] + pads[i + na];  // negative pads crop
    if (d < 0) {
      return invalid_model("pads " + shape_str(pads) + " crop axis " + std::to_string(a) + " of " + shape_str(x.shape) +
                           " below zero");
    }
    // reflect mirrors without repeating the border, so it can add at most dim-1 per side.
    if (mode == "reflect" && (pads[i] >= x.shape[a] || pads[i + na] >= x.shape[a])) {
      return invalid_model("reflect pads " + shape_str(pads) + " must be smaller than axis " + std::to_string(a) +
                           " of " + shape_str(x.shape));
    }
    if (mode == "edge" && x.shape[a] == 0 && d > 0) {
      return invalid_model("edge padding of the empty axis " + std::to_string(a) + " of " + shape_str(x.shape));
    }
    y[a] = d;
  }
  set_output(out[0], x.dtype, std::move(y));
  return ok_status();
}

// Expand: bidirectional broadcast of the data shape with the (constant) target shape.
Status infer_expand(const Node&, Inputs in, Outputs out) {
  YQ_ASSIGN_OR_RETURN(std::vector<int64_t> target, const_ints(in[1], "target shape (input 1)"));
  if (in[1]->shape.size() != 1) return invalid_model("target shape must be 1-D, found " + shape_str(in[1]->shape));
  for (int64_t d : target) {
    if (d < 0) return invalid_model("target shape " + shape_str(target) + " has a negative dim");
  }
  YQ_ASSIGN_OR_RETURN(Shape y, broadcast_shapes(in[0]->shape, target, "data and target shape"));
  set_output(out[0], in[0]->dtype, std::move(y));
  return ok_status();
}

Status infer_constant_of_shape(const Node& node, Inputs in, Outputs out) {
  YQ_ASSIGN_OR_RETURN(std::vector<int64_t> shape, const_ints(in[0], "shape (input 0)"));
  if (in[0]->shape.size() != 1) return invalid_model("shape input must be 1-D, found " + shape_str(in[0]->shape));
  for (int64_t d : shape) {
    if (d < 0) return invalid_model("shape " + shape_str(shape) + " has a negative dim");
  }
  YQ_RETURN_IF_ERROR(check_shape_limits(shape, "shape"));
  DType dt = DType::kF32;
  if (const Tensor* v = node.attrs.get_tensor("value")) {
    if (v->numel() != 1) return invalid_model("value must hold one element, found " + shape_str(v->shape()));
    if (v->dtype() == DType::kF16) return unsupported("value of dtype f16 is not supported");
    dt = v->dtype();
  }
  set_output(out[0], dt, std::move(shape));
  return ok_status();
}

// Range: count = max(ceil((limit - start) / delta), 0); the dtype follows the inputs.
Status infer_range(const Node&, Inputs in, Outputs out) {
  static const char* kNames[] = {"start", "limit", "delta"};
  for (int i = 0; i < 3; ++i) {
    if (shape_numel(in[i]->shape) != 1 || in[i]->shape.size() > 1) {
      return invalid_model(std::string(kNames[i]) + " must be a scalar, found shape " + shape_str(in[i]->shape));
    }
    YQ_RETURN_IF_ERROR(expect_same_dtype(*in[0], *in[i], std::string("start and ") + kNames[i]));
  }
  const DType dt = in[0]->dtype;
  if (dt != DType::kF32 && dt != DType::kI64 && dt != DType::kI32) {
    return unsupported(std::string("Range of dtype ") + dtype_name(dt) + " is not supported (f32, i64, i32)");
  }
  int64_t count = 0;
  if (dt == DType::kF32) {
    YQ_ASSIGN_OR_RETURN(auto s, const_doubles(in[0], "start (input 0)"));
    YQ_ASSIGN_OR_RETURN(auto l, const_doubles(in[1], "limit (input 1)"));
    YQ_ASSIGN_OR_RETURN(auto d, const_doubles(in[2], "delta (input 2)"));
    if (d[0] == 0) return invalid_model("delta must be non-zero");
    // limit - start in f32 (as the inputs are), the division in double: ONNX Runtime's rounding.
    const float span = static_cast<float>(l[0]) - static_cast<float>(s[0]);
    const double c = std::ceil(static_cast<double>(span) / d[0]);
    if (!(c <= static_cast<double>(kMaxElements))) return invalid_model("Range has too many elements");
    count = std::max<int64_t>(static_cast<int64_t>(c), 0);
  } else {
    YQ_ASSIGN_OR_RETURN(auto s, const_ints(in[0], "start (input 0)"));
    YQ_ASSIGN_OR_RETURN(auto l, const_ints(in[1], "limit (input 1)"));
    YQ_ASSIGN_OR_RETURN(auto d, const_ints(in[2], "delta (input 2)"));
    if (d[0] == 0) return invalid_model("delta must be non-zero");
    const double c = std::ceil((static_cast<double>(l[0]) - static_cast<double>(s[0])) / static_cast<double>(d[0]));
    if (!(c <= static_cast<double>(kMaxElements))) return invalid_model("Range has too many elements");
    count = std::max<int64_t>(static_cast<int64_t>(c), 0);
  }
  set_output(out[0], dt, {count});
  return ok_status();
}

Status infer_softmax(const Node& node, Inputs in, Outputs out) {
  YQ_RETURN_IF_ERROR(expect_dtype(*in[0], DType::kF32, "input 0"));
  // The default axis changed (1 before opset 13, -1 from 13); it does not change the shape.
  if (node.attrs.has("axis")) {
    YQ_RETURN_IF_ERROR(normalize_axis(node.attrs.get_int("axis", -1), rank_of(*in[0]), "axis").status());
  }
  set_output(out[0], DType::kF32, in[0]->shape);
  return ok_status();
}

}  // namespace

void add_tensor_schemas(SchemaMap& m) {
  constexpr int kMany = std::numeric_limits<int>::max();
  add_schema(m, "Identity", 1, 1, 1, 1, infer_identity);
  add_schema(m, "Dropout", 1, 3, 1, 2, infer_dropout);
  add_schema(m, "Constant", 0, 0, 1, 1, infer_constant);
  add_schema(m, "Shape", 1, 1, 1, 1, infer_shape);
  add_schema(m, "Reshape", 2, 2, 1, 1, infer_reshape);
  add_schema(m, "Flatten", 1, 1, 1, 1, infer_flatten);
  add_schema(m, "Transpose", 1, 1, 1, 1, infer_transpose);
  add_schema(m, "Squeeze", 1, 2, 1, 1, infer_squeeze);
  add_schema(m, "Unsqueeze", 1, 2, 1, 1, infer_unsqueeze);
  add_schema(m, "Concat", 1, kMany, 1, 1, infer_concat);
  add_schema(m, "Split", 1, 2, 1, kMany, infer_split);
  add_schema(m, "Slice", 1, 5, 1, 1, infer_slice);
  add_schema(m, "Gather", 2, 2, 1, 1, infer_gather);
  add_schema(m, "Pad", 1, 4, 1, 1, infer_pad);
  add_schema(m, "Expand", 2, 2, 1, 1, infer_expand);
  add_schema(m, "ConstantOfShape", 1, 1, 1, 1, infer_constant_of_shape);
  add_schema(m, "Range", 3, 3, 1, 1, infer_range);
  add_schema(m, "Softmax", 1, 1, 1, 1, infer_softmax);
}

}  // namespace yq::ir
