// SPDX-License-Identifier: Apache-2.0
#include "runtime/kernels/ref/ref_util.h"

#include <algorithm>

namespace yq::runtime::ref {

Status node_status(const ir::Node& node, StatusCode code, const std::string& msg) {
  return {code, "node '" + node.name + "' (" + node.op_type + "): " + msg};
}

Status require_inputs(const ir::Node& node, std::span<const Tensor* const> inputs, size_t count) {
  if (inputs.size() < count) {
    return node_invalid(node, "expected at least " + std::to_string(count) + " inputs, found " +
                                  std::to_string(inputs.size()));
  }
  for (size_t i = 0; i < count; ++i) {
    if (!inputs[i]) return node_invalid(node, "required input " + std::to_string(i) + " is missing");
  }
  return ok_status();
}

Status require_dtype(const ir::Node& node, const Tensor& t, DType want, const char* what) {
  if (t.dtype() == want) return ok_status();
  return node_unsupported(node, std::string(what) + ": expected dtype " + dtype_name(want) + ", found " +
                                    dtype_name(t.dtype()));
}

Expected<int> normalize_axis(const ir::Node& node, int64_t axis, int rank) {
  if (axis < -rank || axis >= rank) {
    return node_invalid(node, "axis " + std::to_string(axis) + " out of range for rank " + std::to_string(rank));
  }
  return static_cast<int>(axis < 0 ? axis + rank : axis);
}

std::vector<int64_t> strides_of(const Shape& s) {
  std::vector<int64_t> st(s.size(), 1);
  for (int d = static_cast<int>(s.size()) - 2; d >= 0; --d) st[d] = st[d + 1] * s[d + 1];
  return st;
}

std::vector<int64_t> broadcast_strides(const Shape& in, const Shape& out) {
  const size_t r = out.size();
  std::vector<int64_t> st(r, 0);
  const std::vector<int64_t> in_st = strides_of(in);
  const size_t shift = r - in.size();
  for (size_t d = 0; d < in.size(); ++d) {
    st[d + shift] = (in[d] == 1 && out[d + shift] != 1) ? 0 : in_st[d];
  }
  return st;
}

Status check_broadcastable(const ir::Node& node, const Shape& in, const Shape& out, const char* what) {
  bool ok = in.size() <= out.size();
  for (size_t d = 0; ok && d < in.size(); ++d) {
    const int64_t o = out[d + out.size() - in.size()];
    ok = in[d] == o || in[d] == 1;
  }
  if (ok) return ok_status();
  return node_invalid(node, std::string(what) + " of shape " + shape_str(in) + " does not broadcast to output shape " +
                                shape_str(out));
}

double element_as_double(const Tensor& t, int64_t i) {
  switch (t.dtype()) {
    case DType::kF32: return t.data<float>()[i];
    case DType::kI64: return static_cast<double>(t.data<int64_t>()[i]);
    case DType::kI32: return t.data<int32_t>()[i];
    case DType::kI8: return t.data<int8_t>()[i];
    case DType::kU8: return t.data<uint8_t>()[i];
    case DType::kBool: return t.data<bool>()[i] ? 1.0 : 0.0;
    case DType::kF16: break;
  }
  YQ_CHECK(false) << "element_as_double: unsupported dtype " << dtype_name(t.dtype());
  return 0.0;
}

namespace {

template <typename T>
void gather_axes_typed(const T* in, T* out, const Shape& out_shape, const std::vector<int64_t>& in_strides,
                       const std::vector<std::vector<int64_t>>& maps, T fill) {
  const int r = static_cast<int>(out_shape.size());
  const int64_t total = shape_numel(out_shape);
  if (total == 0) return;
  if (r == 0) {
    out[0] = in[0];
    return;
  }
  const int64_t inner = out_shape[r - 1];
  const std::vector<int64_t>& inner_map = maps[r - 1];
  const int64_t inner_stride = in_strides[r - 1];
  std::vector<int64_t> idx(r, 0);
  for (int64_t o = 0; o < total; o += inner) {
    // Offset of the outer index in the input, or -1 when an outer axis maps to the fill value.
    int64_t base = 0;
    for (int d = 0; d < r - 1; ++d) {
      const int64_t m = maps[d][idx[d]];
      if (m < 0) {
        base = -1;
        break;
      }
      base += m * in_strides[d];
    }
    T* dst = out + o;
    if (base < 0) {
      std::fill(dst, dst + inner, fill);
    } else {
      for (int64_t i = 0; i < inner; ++i) {
        const int64_t m = inner_map[i];
        dst[i] = m < 0 ? fill : in[base + m * inner_stride];
      }
    }
    for (int d = r - 2; d >= 0; --d) {
      if (++idx[d] < out_shape[d]) break;
      idx[d] = 0;
    }
  }
}

template <typename T>
void gather_axes_as(const Tensor& in, Tensor& out, const std::vector<std::vector<int64_t>>& maps, const void* fill) {
  T f{};
  if (fill) std::memcpy(&f, fill, sizeof(T));
  gather_axes_typed<T>(static_cast<const T*>(in.raw()), static_cast<T*>(out.raw()), out.shape(),
                       strides_of(in.shape()), maps, f);
}

}  // namespace

void gather_axes(const Tensor& in, Tensor& out, const std::vector<std::vector<int64_t>>& maps, const void* fill) {
  YQ_CHECK(in.dtype() == out.dtype() && in.rank() == out.rank() && maps.size() == static_cast<size_t>(out.rank()));
  switch (dtype_size(in.dtype())) {
    case 1: gather_axes_as<uint8_t>(in, out, maps, fill); break;
    case 2: gather_axes_as<uint16_t>(in, out, maps, fill); break;
    case 4: gather_axes_as<uint32_t>(in, out, maps, fill); break;
    case 8: gather_axes_as<uint64_t>(in, out, maps, fill); break;
    default: YQ_CHECK(false) << "gather_axes: element size " << dtype_size(in.dtype());
  }
}

Status copy_bytes(const ir::Node& node, const Tensor& in, Tensor& out) {
  if (in.dtype() != out.dtype() || in.numel() != out.numel()) {
    return node_invalid(node, "input " + std::string(dtype_name(in.dtype())) + shape_str(in.shape()) +
                                  " cannot fill output " + dtype_name(out.dtype()) + shape_str(out.shape()));
  }
  if (in.nbytes() > 0 && in.raw() != out.raw()) std::memcpy(out.raw(), in.raw(), in.nbytes());
  return ok_status();
}

Expected<std::array<int64_t, 4>> as_nchw(const ir::Node& node, const Shape& s, const char* what) {
  if (s.size() == 4) return std::array<int64_t, 4>{s[0], s[1], s[2], s[3]};
  if (s.size() == 3) return std::array<int64_t, 4>{s[0], s[1], 1, s[2]};
  return node_unsupported(node, std::string(what) + ": expected a rank-3 or rank-4 NCHW tensor, found shape " +
                                    shape_str(s));
}

Expected<Window2d> read_window_2d(const ir::Node& node, const Shape& in, const Shape& out,
                                  const std::vector<int64_t>& kernel_from_weights) {
  if (in.size() != out.size() || (in.size() != 3 && in.size() != 4)) {
    return node_unsupported(node, "expected rank-3 or rank-4 NCHW input and output, found " + shape_str(in) + " -> " +
                                      shape_str(out));
  }
  const size_t sp = in.size() - 2;  // spatial rank: 1 or 2
  auto spatial_attr = [&](const char* name, int64_t def, size_t count) -> Expected<std::vector<int64_t>> {
    std::vector<int64_t> v = node.attrs.get_ints(name, std::vector<int64_t>(count, def));
    if (v.size() != count) {
      return node_invalid(node, std::string("attribute '") + name + "' has " + std::to_string(v.size()) +
                                    " values, expected " + std::to_string(count));
    }
    return v;
  };
  std::vector<int64_t> k = node.attrs.get_ints("kernel_shape", kernel_from_weights);
  if (k.size() != sp) {
    return node_invalid(node, "kernel_shape has " + std::to_string(k.size()) + " values, expected " +
                                  std::to_string(sp));
  }
  YQ_ASSIGN_OR_RETURN(std::vector<int64_t> s, spatial_attr("strides", 1, sp));
  YQ_ASSIGN_OR_RETURN(std::vector<int64_t> d, spatial_attr("dilations", 1, sp));
  YQ_ASSIGN_OR_RETURN(std::vector<int64_t> p, spatial_attr("pads", 0, 2 * sp));
  for (size_t i = 0; i < sp; ++i) {
    if (k[i] < 1 || s[i] < 1 || d[i] < 1) {
      return node_invalid(node, "kernel_shape, strides and dilations must be >= 1");
    }
  }
  const std::string auto_pad = node.attrs.get_string("auto_pad", "NOTSET");
  std::vector<int64_t> begin(sp), end(sp);
  for (size_t i = 0; i < sp; ++i) {
    const int64_t in_i = in[2 + i];
    const int64_t out_i = out[2 + i];
    if (auto_pad == "NOTSET") {
      begin[i] = p[i];
      end[i] = p[i + sp];
    } else if (auto_pad == "VALID") {
      begin[i] = end[i] = 0;
    } else if (auto_pad == "SAME_UPPER" || auto_pad == "SAME_LOWER") {
      const int64_t total = std::max<int64_t>(0, (out_i - 1) * s[i] + (k[i] - 1) * d[i] + 1 - in_i);
      begin[i] = auto_pad == "SAME_UPPER" ? total / 2 : total - total / 2;
      end[i] = total - begin[i];
    } else {
      return node_invalid(node, "auto_pad '" + auto_pad + "' (expected NOTSET, VALID, SAME_UPPER or SAME_LOWER)");
    }
  }
  Window2d w;
  const size_t x = sp - 1;  // index of the W axis in the spatial vectors
  w.kw = k[x];
  w.sw = s[x];
  w.dw = d[x];
  w.pad_left = begin[x];
  w.pad_right = end[x];
  if (sp == 2) {
    w.kh = k[0];
    w.sh = s[0];
    w.dh = d[0];
    w.pad_top = begin[0];
    w.pad_bottom = end[0];
  }
  return w;
}

}  // namespace yq::runtime::ref
