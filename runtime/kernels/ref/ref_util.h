// SPDX-License-Identifier: Apache-2.0
// Helpers shared by the reference kernels: error messages that name the node, axis
// normalisation, numpy broadcasting, a generic per-axis gather (Slice, Pad, Expand and nearest
// Resize are all "output index -> input index per axis"), and 2-D window geometry (Conv, pools).
// Internal to runtime/kernels/ref.
#pragma once

#include <array>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "base/status.h"
#include "base/tensor.h"
#include "ir/graph.h"

namespace yq::runtime::ref {

// "node 'Conv_3' (Conv): <msg>", with the given code.
Status node_status(const ir::Node& node, StatusCode code, const std::string& msg);
inline Status node_invalid(const ir::Node& node, const std::string& msg) {
  return node_status(node, StatusCode::kInvalidModel, msg);
}
inline Status node_unsupported(const ir::Node& node, const std::string& msg) {
  return node_status(node, StatusCode::kUnsupported, msg);
}

// Returns an error naming the node unless `inputs[i]` is present and `outputs` has at least
// `min_outputs` tensors. Kernels call this first so a malformed call never dereferences nullptr.
Status require_inputs(const ir::Node& node, std::span<const Tensor* const> inputs, size_t count);
Status require_dtype(const ir::Node& node, const Tensor& t, DType want, const char* what);

// Maps axis in [-rank, rank) to [0, rank); an error naming the node otherwise.
Expected<int> normalize_axis(const ir::Node& node, int64_t axis, int rank);

std::vector<int64_t> strides_of(const Shape& s);
// Strides of `in` viewed as broadcast to `out` (numpy rules, right-aligned): 0 where `in` has
// size 1 (or no dim) and `out` does not. Precondition (checked by shape inference): broadcastable.
std::vector<int64_t> broadcast_strides(const Shape& in, const Shape& out);
Status check_broadcastable(const ir::Node& node, const Shape& in, const Shape& out, const char* what);

// Element `i` of a numeric tensor of any dtype, as double.
double element_as_double(const Tensor& t, int64_t i);

// Calls f(out_offset, offs) for every element of `out` in row-major order, where offs[k] is the
// matching element offset in input k given its broadcast strides (see broadcast_strides).
template <size_t N, class F>
void for_each_broadcast(const Shape& out, const std::array<std::vector<int64_t>, N>& strides, F&& f) {
  const int r = static_cast<int>(out.size());
  const int64_t total = shape_numel(out);
  if (total == 0) return;
  if (r == 0) {
    std::array<int64_t, N> off{};
    f(int64_t{0}, off);
    return;
  }
  const int64_t inner = out[r - 1];
  std::array<int64_t, N> inner_stride{};
  for (size_t k = 0; k < N; ++k) inner_stride[k] = strides[k][r - 1];
  std::vector<int64_t> idx(r, 0);
  std::array<int64_t, N> base{};
  for (int64_t o = 0; o < total; o += inner) {
    std::array<int64_t, N> off = base;
    for (int64_t i = 0; i < inner; ++i) {
      f(o + i, off);
      for (size_t k = 0; k < N; ++k) off[k] += inner_stride[k];
    }
    for (int d = r - 2; d >= 0; --d) {
      ++idx[d];
      for (size_t k = 0; k < N; ++k) base[k] += strides[k][d];
      if (idx[d] < out[d]) break;
      for (size_t k = 0; k < N; ++k) base[k] -= strides[k][d] * out[d];
      idx[d] = 0;
    }
  }
}

// out[o_0, ..., o_{r-1}] = in[maps[0][o_0], ..., maps[r-1][o_{r-1}]], or `fill` (dtype_size bytes)
// when any maps[d][o_d] is -1. maps[d] has out.dim(d) entries, each -1 or in [0, in.dim(d)).
// Works bytewise on any dtype; in and out have the same dtype and rank.
void gather_axes(const Tensor& in, Tensor& out, const std::vector<std::vector<int64_t>>& maps, const void* fill);

// Copies in's bytes into out (same element count and dtype): Reshape, Identity, Squeeze, ...
Status copy_bytes(const ir::Node& node, const Tensor& in, Tensor& out);

// 2-D sliding-window geometry in NCHW. A 1-D op (rank-3 tensors) is viewed as H = 1.
struct Window2d {
  int64_t kh = 1, kw = 1;
  int64_t sh = 1, sw = 1;
  int64_t dh = 1, dw = 1;
  int64_t pad_top = 0, pad_left = 0, pad_bottom = 0, pad_right = 0;
};

// Reads kernel_shape (or `kernel_hw` when the attribute is absent), strides, dilations, pads and
// auto_pad. SAME_* pads follow ONNX: total = max(0, (out-1)*s + (k-1)*d + 1 - in), with the odd
// pixel at the end (SAME_UPPER) or beginning (SAME_LOWER). `in`/`out` are the input/output shapes.
Expected<Window2d> read_window_2d(const ir::Node& node, const Shape& in, const Shape& out,
                                  const std::vector<int64_t>& kernel_from_weights);

// Calls f.template operator()<T>() with T the C++ type of `t` (f16 excluded); false when `t` has
// no C++ type here. Lets one templated lambda serve every dtype.
template <class F>
bool visit_dtype(DType t, F&& f) {
  switch (t) {
    case DType::kF32: f.template operator()<float>(); return true;
    case DType::kI64: f.template operator()<int64_t>(); return true;
    case DType::kI32: f.template operator()<int32_t>(); return true;
    case DType::kI8: f.template operator()<int8_t>(); return true;
    case DType::kU8: f.template operator()<uint8_t>(); return true;
    case DType::kBool: f.template operator()<bool>(); return true;
    case DType::kF16: return false;
  }
  return false;
}

// Views a rank-3 or rank-4 NCHW shape as (N, C, H, W).
Expected<std::array<int64_t, 4>> as_nchw(const ir::Node& node, const Shape& s, const char* what);

}  // namespace yq::runtime::ref
