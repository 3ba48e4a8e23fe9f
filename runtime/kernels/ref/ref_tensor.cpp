// SPDX-License-Identifier: Apache-2.0
// Data-movement and shape-chain kernels. Data movement works bytewise on any dtype; output
// shapes come from shape inference, so Reshape/Flatten/Squeeze/Unsqueeze are byte copies and
// Split reads its sizes from the outputs.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

#include "runtime/kernels/ref/ref_ops.h"
#include "runtime/kernels/ref/ref_util.h"

namespace yq::runtime::ref {
namespace {

Status check_io(const ir::Node& node, std::span<const Tensor* const> inputs, std::span<Tensor> outputs,
                size_t n_in) {
  YQ_RETURN_IF_ERROR(require_inputs(node, inputs, n_in));
  if (outputs.empty()) return node_invalid(node, "expected at least 1 output, found 0");
  return ok_status();
}

Status same_dtype(const ir::Node& node, const Tensor& in, const Tensor& out) {
  if (in.dtype() == out.dtype()) return ok_status();
  return node_invalid(node, std::string("output dtype ") + dtype_name(out.dtype()) + " differs from input dtype " +
                                dtype_name(in.dtype()));
}

// Integer values of a 1-D constant input (starts, pads, axes...), or of attribute `attr` when the
// input is absent (older opsets). `present` tells which was found.
std::vector<int64_t> ints_from_input_or_attr(const ir::Node& node, std::span<const Tensor* const> inputs, size_t i,
                                             const char* attr, bool* present = nullptr) {
  if (inputs.size() > i && inputs[i]) {
    if (present) *present = true;
    return inputs[i]->to_int64_vector();
  }
  if (present) *present = node.attrs.has(attr);
  return node.attrs.get_ints(attr);
}

template <typename T>
void permute_copy(const T* in, T* out, const Shape& out_shape, const std::vector<int64_t>& in_strides_permuted) {
  const std::array<std::vector<int64_t>, 1> st{in_strides_permuted};
  for_each_broadcast<1>(out_shape, st, [&](int64_t o, const std::array<int64_t, 1>& off) { out[o] = in[off[0]]; });
}

}  // namespace

Status ref_reshape(const ir::Node& node, std::span<const Tensor* const> inputs, std::span<Tensor> outputs) {
  YQ_RETURN_IF_ERROR(check_io(node, inputs, outputs, 1));
  return copy_bytes(node, *inputs[0], outputs[0]);
}

Status ref_transpose(const ir::Node& node, std::span<const Tensor* const> inputs, std::span<Tensor> outputs) {
  YQ_RETURN_IF_ERROR(check_io(node, inputs, outputs, 1));
  const Tensor& x = *inputs[0];
  Tensor& y = outputs[0];
  YQ_RETURN_IF_ERROR(same_dtype(node, x, y));
  const int rank = x.rank();
  std::vector<int64_t> perm = node.attrs.get_ints("perm");
  if (perm.empty()) {
    for (int d = rank - 1; d >= 0; --d) perm.push_back(d);
  }
  std::vector<bool> seen(rank, false);
  bool ok = static_cast<int>(perm.size()) == rank && y.rank() == rank;
  for (size_t d = 0; ok && d < perm.size(); ++d) {
    ok = perm[d] >= 0 && perm[d] < rank && !seen[perm[d]] && y.dim(static_cast<int>(d)) == x.dim(static_cast<int>(perm[d]));
    if (ok) seen[perm[d]] = true;
  }
  if (!ok) {
    return node_invalid(node, "perm is not a permutation mapping input " + shape_str(x.shape()) + " to output " +
                                  shape_str(y.shape()));
  }
  const std::vector<int64_t> in_st = strides_of(x.shape());
  std::vector<int64_t> st(rank);
  for (int d = 0; d < rank; ++d) st[d] = in_st[perm[d]];
  switch (dtype_size(x.dtype())) {
    case 1: permute_copy(static_cast<const uint8_t*>(x.raw()), static_cast<uint8_t*>(y.raw()), y.shape(), st); break;
    case 2: permute_copy(static_cast<const uint16_t*>(x.raw()), static_cast<uint16_t*>(y.raw()), y.shape(), st); break;
    case 4: permute_copy(static_cast<const uint32_t*>(x.raw()), static_cast<uint32_t*>(y.raw()), y.shape(), st); break;
    default: permute_copy(static_cast<const uint64_t*>(x.raw()), static_cast<uint64_t*>(y.raw()), y.shape(), st);
  }
  return ok_status();
}

Status ref_concat(const ir::Node& node, std::span<const Tensor* const> inputs, std::span<Tensor> outputs) {
  if (outputs.empty()) return node_invalid(node, "expected 1 output, found 0");
  Tensor& y = outputs[0];
  const int rank = y.rank();
  YQ_ASSIGN_OR_RETURN(int axis, normalize_axis(node, node.attrs.get_int("axis", 0), std::max(rank, 1)));
  int64_t outer = 1, inner = 1;
  for (int d = 0; d < rank; ++d) {
    if (d < axis) outer *= y.dim(d);
    if (d > axis) inner *= y.dim(d);
  }
  const size_t es = dtype_size(y.dtype());
  int64_t total_axis = 0;
  for (size_t i = 0; i < inputs.size(); ++i) {
    if (!inputs[i]) return node_invalid(node, "input " + std::to_string(i) + " is missing");
    const Tensor& x = *inputs[i];
    YQ_RETURN_IF_ERROR(same_dtype(node, x, y));
    bool ok = x.rank() == rank;
    for (int d = 0; ok && d < rank; ++d) ok = d == axis || x.dim(d) == y.dim(d);
    if (!ok) {
      return node_invalid(node, "input " + std::to_string(i) + " shape " + shape_str(x.shape()) +
                                    " does not fit output " + shape_str(y.shape()) + " on axis " +
                                    std::to_string(axis));
    }
    total_axis += rank > 0 ? x.dim(axis) : 1;
  }
  if (total_axis != (rank > 0 ? y.dim(axis) : 1)) {
    return node_invalid(node, "inputs add up to " + std::to_string(total_axis) + " along axis " +
                                  std::to_string(axis) + ", output " + shape_str(y.shape()));
  }
  const size_t out_row = static_cast<size_t>((rank > 0 ? y.dim(axis) : 1) * inner) * es;
  auto* yp = static_cast<uint8_t*>(y.raw());
  size_t col = 0;
  for (const Tensor* x : inputs) {
    const size_t row = static_cast<size_t>((rank > 0 ? x->dim(axis) : 1) * inner) * es;
    const auto* xp = static_cast<const uint8_t*>(x->raw());
    for (int64_t o = 0; o < outer && row > 0; ++o) std::memcpy(yp + o * out_row + col, xp + o * row, row);
    col += row;
  }
  return ok_status();
}

// Split: the sizes along `axis` are the outputs' (whether they came from the `split` attribute,
// the opset-13 input or an even split).
Status ref_split(const ir::Node& node, std::span<const Tensor* const> inputs, std::span<Tensor> outputs) {
  YQ_RETURN_IF_ERROR(check_io(node, inputs, outputs, 1));
  const Tensor& x = *inputs[0];
  const int rank = x.rank();
  YQ_ASSIGN_OR_RETURN(int axis, normalize_axis(node, node.attrs.get_int("axis", 0), rank));
  int64_t outer = 1, inner = 1;
  for (int d = 0; d < rank; ++d) {
    if (d < axis) outer *= x.dim(d);
    if (d > axis) inner *= x.dim(d);
  }
  int64_t total = 0;
  for (size_t i = 0; i < outputs.size(); ++i) {
    const Tensor& y = outputs[i];
    YQ_RETURN_IF_ERROR(same_dtype(node, x, y));
    bool ok = y.rank() == rank;
    for (int d = 0; ok && d < rank; ++d) ok = d == axis || x.dim(d) == y.dim(d);
    if (!ok) {
      return node_invalid(node, "output " + std::to_string(i) + " shape " + shape_str(y.shape()) +
                                    " does not fit input " + shape_str(x.shape()));
    }
    total += y.dim(axis);
  }
  if (total != x.dim(axis)) {
    return node_invalid(node, "outputs add up to " + std::to_string(total) + " along axis " + std::to_string(axis) +
                                  ", input has " + std::to_string(x.dim(axis)));
  }
  const size_t es = dtype_size(x.dtype());
  const size_t in_row = static_cast<size_t>(x.dim(axis) * inner) * es;
  const auto* xp = static_cast<const uint8_t*>(x.raw());
  size_t col = 0;
  for (Tensor& y : outputs) {
    const size_t row = static_cast<size_t>(y.dim(axis) * inner) * es;
    auto* yp = static_cast<uint8_t*>(y.raw());
    for (int64_t o = 0; o < outer && row > 0; ++o) std::memcpy(yp + o * row, xp + o * in_row + col, row);
    col += row;
  }
  return ok_status();
}

// Slice: starts/ends/axes/steps are inputs from opset 10, attributes before. Clamping follows
// ONNX: negative values count from the end; for step > 0 both ends clamp to [0, dim], for
// step < 0 start clamps to [0, dim-1] and end to [-1, dim-1].
Status ref_slice(const ir::Node& node, std::span<const Tensor* const> inputs, std::span<Tensor> outputs) {
  YQ_RETURN_IF_ERROR(check_io(node, inputs, outputs, 1));
  const Tensor& x = *inputs[0];
  Tensor& y = outputs[0];
  YQ_RETURN_IF_ERROR(same_dtype(node, x, y));
  const int rank = x.rank();
  if (y.rank() != rank) return node_invalid(node, "output rank differs: " + shape_str(y.shape()));
  const std::vector<int64_t> starts = ints_from_input_or_attr(node, inputs, 1, "starts");
  const std::vector<int64_t> ends = ints_from_input_or_attr(node, inputs, 2, "ends");
  std::vector<int64_t> axes = ints_from_input_or_attr(node, inputs, 3, "axes");
  std::vector<int64_t> steps = ints_from_input_or_attr(node, inputs, 4, "steps");
  if (axes.empty()) {
    for (size_t i = 0; i < starts.size(); ++i) axes.push_back(static_cast<int64_t>(i));
  }
  if (steps.empty()) steps.assign(starts.size(), 1);
  if (ends.size() != starts.size() || axes.size() != starts.size() || steps.size() != starts.size()) {
    return node_invalid(node, "starts, ends, axes and steps differ in length (" + std::to_string(starts.size()) +
                                  ", " + std::to_string(ends.size()) + ", " + std::to_string(axes.size()) + ", " +
                                  std::to_string(steps.size()) + ")");
  }
  std::vector<std::vector<int64_t>> maps(rank);
  std::vector<bool> done(rank, false);
  for (size_t i = 0; i < starts.size(); ++i) {
    YQ_ASSIGN_OR_RETURN(int ax, normalize_axis(node, axes[i], rank));
    if (done[ax]) return node_invalid(node, "axis " + std::to_string(ax) + " sliced twice");
    done[ax] = true;
    const int64_t dim = x.dim(ax);
    const int64_t step = steps[i];
    if (step == 0) return node_invalid(node, "step 0 on axis " + std::to_string(ax));
    int64_t start = starts[i] < 0 ? starts[i] + dim : starts[i];
    int64_t end = ends[i] < 0 ? ends[i] + dim : ends[i];
    if (step > 0) {
      start = std::clamp<int64_t>(start, 0, dim);
      end = std::clamp<int64_t>(end, 0, dim);
    } else {
      start = std::clamp<int64_t>(start, 0, dim - 1);
      end = std::clamp<int64_t>(end, -1, dim - 1);
    }
    const int64_t count = step > 0 ? std::max<int64_t>(0, (end - start + step - 1) / step)
                                   : std::max<int64_t>(0, (start - end + (-step) - 1) / (-step));
    if (count != y.dim(ax)) {
      return node_invalid(node, "axis " + std::to_string(ax) + " slices " + std::to_string(count) +
                                    " elements but the output has " + std::to_string(y.dim(ax)));
    }
    for (int64_t k = 0; k < count; ++k) maps[ax].push_back(start + k * step);
  }
  for (int d = 0; d < rank; ++d) {
    if (done[d]) continue;
    if (y.dim(d) != x.dim(d)) return node_invalid(node, "unsliced axis " + std::to_string(d) + " changed size");
    for (int64_t k = 0; k < x.dim(d); ++k) maps[d].push_back(k);
  }
  gather_axes(x, y, maps, nullptr);
  return ok_status();
}

// Gather along `axis`; negative indices count from the end; an index outside [-dim, dim) is an
// error naming the node and the index.
Status ref_gather(const ir::Node& node, std::span<const Tensor* const> inputs, std::span<Tensor> outputs) {
  YQ_RETURN_IF_ERROR(check_io(node, inputs, outputs, 2));
  const Tensor& x = *inputs[0];
  const Tensor& idx = *inputs[1];
  Tensor& y = outputs[0];
  YQ_RETURN_IF_ERROR(same_dtype(node, x, y));
  if (idx.dtype() != DType::kI64 && idx.dtype() != DType::kI32) {
    return node_invalid(node, std::string("indices: expected i64 or i32, found ") + dtype_name(idx.dtype()));
  }
  YQ_ASSIGN_OR_RETURN(int axis, normalize_axis(node, node.attrs.get_int("axis", 0), x.rank()));
  int64_t outer = 1, inner = 1;
  for (int d = 0; d < x.rank(); ++d) {
    if (d < axis) outer *= x.dim(d);
    if (d > axis) inner *= x.dim(d);
  }
  const int64_t dim = x.dim(axis);
  const std::vector<int64_t> ids = idx.to_int64_vector();
  if (y.numel() != outer * static_cast<int64_t>(ids.size()) * inner) {
    return node_invalid(node, "output " + shape_str(y.shape()) + " does not match data " + shape_str(x.shape()) +
                                  " gathered by indices " + shape_str(idx.shape()));
  }
  for (int64_t i : ids) {
    if (i < -dim || i >= dim) {
      return node_invalid(node, "index " + std::to_string(i) + " out of range [" + std::to_string(-dim) + ", " +
                                    std::to_string(dim) + ") on axis " + std::to_string(axis));
    }
  }
  const size_t row = static_cast<size_t>(inner) * dtype_size(x.dtype());
  const auto* xp = static_cast<const uint8_t*>(x.raw());
  auto* yp = static_cast<uint8_t*>(y.raw());
  for (int64_t o = 0; o < outer; ++o) {
    for (size_t j = 0; j < ids.size(); ++j) {
      const int64_t i = ids[j] < 0 ? ids[j] + dim : ids[j];
      if (row > 0) std::memcpy(yp + (o * static_cast<int64_t>(ids.size()) + j) * row, xp + (o * dim + i) * row, row);
    }
  }
  return ok_status();
}

// Expand: the input broadcast to the (already inferred) output shape.
Status ref_expand(const ir::Node& node, std::span<const Tensor* const> inputs, std::span<Tensor> outputs) {
  YQ_RETURN_IF_ERROR(check_io(node, inputs, outputs, 1));
  const Tensor& x = *inputs[0];
  Tensor& y = outputs[0];
  YQ_RETURN_IF_ERROR(same_dtype(node, x, y));
  YQ_RETURN_IF_ERROR(check_broadcastable(node, x.shape(), y.shape(), "input"));
  Shape padded(static_cast<size_t>(y.rank() - x.rank()), 1);
  padded.insert(padded.end(), x.shape().begin(), x.shape().end());
  const Tensor xr = x.reshaped(padded);
  std::vector<std::vector<int64_t>> maps(y.rank());
  for (int d = 0; d < y.rank(); ++d) {
    for (int64_t k = 0; k < y.dim(d); ++k) maps[d].push_back(padded[d] == 1 ? 0 : k);
  }
  gather_axes(xr, y, maps, nullptr);
  return ok_status();
}

// Pad: pads (and constant_value, axes) are inputs from opset 11, attributes (pads, value)
// before. Negative pads crop. Modes: constant, reflect (mirror without repeating the edge), edge.
Status ref_pad(const ir::Node& node, std::span<const Tensor* const> inputs, std::span<Tensor> outputs) {
  YQ_RETURN_IF_ERROR(check_io(node, inputs, outputs, 1));
  const Tensor& x = *inputs[0];
  Tensor& y = outputs[0];
  YQ_RETURN_IF_ERROR(same_dtype(node, x, y));
  const int rank = x.rank();
  const std::vector<int64_t> pads_in = ints_from_input_or_attr(node, inputs, 1, "pads");
  std::vector<int64_t> axes;
  if (inputs.size() > 3 && inputs[3]) {
    axes = inputs[3]->to_int64_vector();
  } else {
    for (int d = 0; d < rank; ++d) axes.push_back(d);
  }
  if (pads_in.size() != 2 * axes.size()) {
    return node_invalid(node, "pads has " + std::to_string(pads_in.size()) + " values, expected " +
                                  std::to_string(2 * axes.size()));
  }
  std::vector<int64_t> begin(rank, 0);
  for (size_t i = 0; i < axes.size(); ++i) {
    YQ_ASSIGN_OR_RETURN(int ax, normalize_axis(node, axes[i], rank));
    begin[ax] = pads_in[i];
    const int64_t expect = x.dim(ax) + pads_in[i] + pads_in[i + axes.size()];
    if (y.dim(ax) != expect) {
      return node_invalid(node, "axis " + std::to_string(ax) + ": output size " + std::to_string(y.dim(ax)) +
                                    ", pads give " + std::to_string(expect));
    }
  }
  const std::string mode = node.attrs.get_string("mode", "constant");
  if (mode != "constant" && mode != "reflect" && mode != "edge") {
    return node_unsupported(node, "mode '" + mode + "' (expected constant, reflect or edge)");
  }
  // The fill value in the tensor's dtype.
  uint64_t fill = 0;
  if (mode == "constant") {
    double v = node.attrs.get_float("value", 0.0f);
    if (inputs.size() > 2 && inputs[2] && inputs[2]->numel() > 0) v = element_as_double(*inputs[2], 0);
    const bool known = visit_dtype(y.dtype(), [&]<typename T>() {
      const T t = static_cast<T>(v);
      std::memcpy(&fill, &t, sizeof(T));
    });
    if (!known) return node_unsupported(node, std::string("dtype ") + dtype_name(y.dtype()));
  }
  std::vector<std::vector<int64_t>> maps(rank);
  for (int d = 0; d < rank; ++d) {
    const int64_t n = x.dim(d);
    for (int64_t o = 0; o < y.dim(d); ++o) {
      int64_t i = o - begin[d];
      if (i < 0 || i >= n) {
        if (mode == "constant" || n == 0) {
          i = -1;
        } else if (mode == "edge") {
          i = std::clamp<int64_t>(i, 0, n - 1);
        } else if (n == 1) {
          i = 0;
        } else {
          // Reflect: period 2(n-1), mirrored about 0 and n-1.
          const int64_t period = 2 * (n - 1);
          i = ((i % period) + period) % period;
          if (i >= n) i = period - i;
        }
      }
      maps[d].push_back(i);
    }
  }
  gather_axes(x, y, maps, &fill);
  return ok_status();
}

// Shape (with opset-15 start/end) as i64.
Status ref_shape(const ir::Node& node, std::span<const Tensor* const> inputs, std::span<Tensor> outputs) {
  YQ_RETURN_IF_ERROR(check_io(node, inputs, outputs, 1));
  const Shape& s = inputs[0]->shape();
  const int64_t rank = static_cast<int64_t>(s.size());
  int64_t start = node.attrs.get_int("start", 0);
  int64_t end = node.attrs.get_int("end", rank);
  if (start < 0) start += rank;
  if (end < 0) end += rank;
  start = std::clamp<int64_t>(start, 0, rank);
  end = std::clamp<int64_t>(end, 0, rank);
  Tensor& y = outputs[0];
  YQ_RETURN_IF_ERROR(require_dtype(node, y, DType::kI64, "output"));
  if (y.numel() != std::max<int64_t>(0, end - start)) {
    return node_invalid(node, "output " + shape_str(y.shape()) + " does not hold dims [" + std::to_string(start) +
                                  ", " + std::to_string(end) + ") of " + shape_str(s));
  }
  for (int64_t i = start; i < end; ++i) y.data<int64_t>()[i - start] = s[i];
  return ok_status();
}

// ConstantOfShape: every element is the one-element `value` attribute (default f32 0).
Status ref_constant_of_shape(const ir::Node& node, std::span<const Tensor* const>, std::span<Tensor> outputs) {
  if (outputs.empty()) return node_invalid(node, "expected 1 output, found 0");
  Tensor& y = outputs[0];
  const Tensor* value = node.attrs.get_tensor("value");
  const Tensor zero = Tensor::scalar<float>(0.0f);
  if (!value) value = &zero;
  if (value->numel() != 1) return node_invalid(node, "value must hold one element, found " + shape_str(value->shape()));
  YQ_RETURN_IF_ERROR(same_dtype(node, *value, y));
  const size_t es = dtype_size(y.dtype());
  auto* yp = static_cast<uint8_t*>(y.raw());
  for (int64_t i = 0; i < y.numel(); ++i) std::memcpy(yp + i * es, value->raw(), es);
  return ok_status();
}

// Range: output[i] = start + i * delta (the ONNX definition), count from the output shape.
Status ref_range(const ir::Node& node, std::span<const Tensor* const> inputs, std::span<Tensor> outputs) {
  YQ_RETURN_IF_ERROR(check_io(node, inputs, outputs, 3));
  Tensor& y = outputs[0];
  for (int i = 0; i < 3; ++i) {
    YQ_RETURN_IF_ERROR(same_dtype(node, *inputs[i], y));
    if (inputs[i]->numel() != 1) {
      return node_invalid(node, "input " + std::to_string(i) + " must be a scalar, found " +
                                    shape_str(inputs[i]->shape()));
    }
  }
  switch (y.dtype()) {
    case DType::kF32: {
      const float start = inputs[0]->data<float>()[0], delta = inputs[2]->data<float>()[0];
      for (int64_t i = 0; i < y.numel(); ++i) y.data<float>()[i] = start + static_cast<float>(i) * delta;
      return ok_status();
    }
    case DType::kI64: {
      const int64_t start = inputs[0]->data<int64_t>()[0], delta = inputs[2]->data<int64_t>()[0];
      for (int64_t i = 0; i < y.numel(); ++i) y.data<int64_t>()[i] = start + i * delta;
      return ok_status();
    }
    case DType::kI32: {
      const int32_t start = inputs[0]->data<int32_t>()[0], delta = inputs[2]->data<int32_t>()[0];
      for (int64_t i = 0; i < y.numel(); ++i) y.data<int32_t>()[i] = start + static_cast<int32_t>(i) * delta;
      return ok_status();
    }
    default: return node_unsupported(node, std::string("dtype ") + dtype_name(y.dtype()) + " (expected f32, i64, i32)");
  }
}

// Constant: the `value` tensor, or value_float(s) / value_int(s).
Status ref_constant(const ir::Node& node, std::span<const Tensor* const>, std::span<Tensor> outputs) {
  if (outputs.empty()) return node_invalid(node, "expected 1 output, found 0");
  Tensor& y = outputs[0];
  Tensor value;
  if (const Tensor* t = node.attrs.get_tensor("value")) {
    value = *t;
  } else if (node.attrs.has("value_float") || node.attrs.has("value_floats")) {
    const std::vector<float> v = node.attrs.has("value_float")
                                     ? std::vector<float>{node.attrs.get_float("value_float", 0.0f)}
                                     : node.attrs.get_floats("value_floats");
    value = Tensor::from_vector<float>(v, {static_cast<int64_t>(v.size())});
  } else if (node.attrs.has("value_int") || node.attrs.has("value_ints")) {
    const std::vector<int64_t> v = node.attrs.has("value_int")
                                       ? std::vector<int64_t>{node.attrs.get_int("value_int", 0)}
                                       : node.attrs.get_ints("value_ints");
    value = Tensor::from_vector<int64_t>(v, {static_cast<int64_t>(v.size())});
  } else {
    return node_unsupported(node, "expected a value, value_float(s) or value_int(s) attribute");
  }
  return copy_bytes(node, value, y);
}

}  // namespace yq::runtime::ref
