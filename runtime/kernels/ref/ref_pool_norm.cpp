// SPDX-License-Identifier: Apache-2.0
// BatchNormalization (inference), MaxPool, AveragePool, GlobalAveragePool, ReduceMean, Softmax.
// Sums (averages, softmax denominators, BN arithmetic) are in double.
#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "runtime/kernels/ref/ref_ops.h"
#include "runtime/kernels/ref/ref_util.h"

namespace yq::runtime::ref {
namespace {

Status check_f32_io(const ir::Node& node, std::span<const Tensor* const> inputs, std::span<Tensor> outputs,
                    size_t n_in) {
  YQ_RETURN_IF_ERROR(require_inputs(node, inputs, n_in));
  if (outputs.empty()) return node_invalid(node, "expected at least 1 output, found 0");
  YQ_RETURN_IF_ERROR(require_dtype(node, *inputs[0], DType::kF32, "input X"));
  return require_dtype(node, outputs[0], DType::kF32, "output Y");
}

enum class PoolKind { kMax, kAverage };

Status pool_2d(PoolKind kind, const ir::Node& node, std::span<const Tensor* const> inputs,
               std::span<Tensor> outputs) {
  YQ_RETURN_IF_ERROR(check_f32_io(node, inputs, outputs, 1));
  const Tensor& x = *inputs[0];
  Tensor& y = outputs[0];
  if (!node.attrs.has("kernel_shape")) return node_invalid(node, "missing required attribute 'kernel_shape'");
  YQ_ASSIGN_OR_RETURN(Window2d win, read_window_2d(node, x.shape(), y.shape(), {}));
  YQ_ASSIGN_OR_RETURN(auto xd, as_nchw(node, x.shape(), "input X"));
  YQ_ASSIGN_OR_RETURN(auto yd, as_nchw(node, y.shape(), "output Y"));
  const auto [n_batch, channels, h_in, w_in] = xd;
  const int64_t h_out = yd[2], w_out = yd[3];
  if (yd[0] != n_batch || yd[1] != channels) {
    return node_invalid(node, "output " + shape_str(y.shape()) + " does not match input " + shape_str(x.shape()));
  }
  const bool include_pad = node.attrs.get_int("count_include_pad", 0) != 0;
  Tensor* indices = nullptr;
  if (kind == PoolKind::kMax && outputs.size() > 1 && outputs[1].numel() > 0) {
    indices = &outputs[1];
    YQ_RETURN_IF_ERROR(require_dtype(node, *indices, DType::kI64, "output Indices"));
    if (node.attrs.get_int("storage_order", 0) != 0) return node_unsupported(node, "storage_order 1 for Indices");
  }
  const float* xp = x.data<float>();
  float* yp = y.data<float>();
  for (int64_t nc = 0; nc < n_batch * channels; ++nc) {
    const float* plane = xp + nc * h_in * w_in;
    for (int64_t oh = 0; oh < h_out; ++oh) {
      for (int64_t ow = 0; ow < w_out; ++ow) {
        const int64_t h0 = oh * win.sh - win.pad_top;
        const int64_t w0 = ow * win.sw - win.pad_left;
        // MaxPool: taps outside the input are ignored (ORT starts from lowest()).
        float best = std::numeric_limits<float>::lowest();
        int64_t best_idx = -1;
        double sum = 0.0;
        int64_t count = 0;
        for (int64_t kh = 0; kh < win.kh; ++kh) {
          const int64_t ih = h0 + kh * win.dh;
          const bool h_in_x = ih >= 0 && ih < h_in;
          // count_include_pad counts taps in the padded input, but not taps that ceil_mode
          // pushed past the end padding.
          const bool h_in_padded = ih >= -win.pad_top && ih < h_in + win.pad_bottom;
          for (int64_t kw = 0; kw < win.kw; ++kw) {
            const int64_t iw = w0 + kw * win.dw;
            const bool inside = h_in_x && iw >= 0 && iw < w_in;
            if (inside) {
              const float v = plane[ih * w_in + iw];
              if (v > best || best_idx < 0) {
                best = v;
                best_idx = ih * w_in + iw;
              }
              sum += v;
            }
            if (include_pad ? (h_in_padded && iw >= -win.pad_left && iw < w_in + win.pad_right) : inside) ++count;
          }
        }
        const int64_t o = (nc * h_out + oh) * w_out + ow;
        if (kind == PoolKind::kMax) {
          yp[o] = best;
          if (indices) indices->data<int64_t>()[o] = best_idx < 0 ? -1 : nc * h_in * w_in + best_idx;
        } else {
          yp[o] = count > 0 ? static_cast<float>(sum / static_cast<double>(count)) : 0.0f;
        }
      }
    }
  }
  return ok_status();
}

}  // namespace

Status ref_max_pool(const ir::Node& n, std::span<const Tensor* const> in, std::span<Tensor> out) {
  return pool_2d(PoolKind::kMax, n, in, out);
}
Status ref_average_pool(const ir::Node& n, std::span<const Tensor* const> in, std::span<Tensor> out) {
  return pool_2d(PoolKind::kAverage, n, in, out);
}

Status ref_global_average_pool(const ir::Node& node, std::span<const Tensor* const> inputs,
                               std::span<Tensor> outputs) {
  YQ_RETURN_IF_ERROR(check_f32_io(node, inputs, outputs, 1));
  const Tensor& x = *inputs[0];
  Tensor& y = outputs[0];
  if (x.rank() < 3) return node_invalid(node, "expected input rank >= 3, found shape " + shape_str(x.shape()));
  const int64_t nc = x.dim(0) * x.dim(1);
  if (y.numel() != nc) {
    return node_invalid(node, "output " + shape_str(y.shape()) + " does not match input " + shape_str(x.shape()));
  }
  const int64_t plane = nc == 0 ? 0 : x.numel() / nc;
  const float* xp = x.data<float>();
  float* yp = y.data<float>();
  for (int64_t i = 0; i < nc; ++i) {
    double sum = 0.0;
    for (int64_t j = 0; j < plane; ++j) sum += xp[i * plane + j];
    yp[i] = plane > 0 ? static_cast<float>(sum / static_cast<double>(plane)) : 0.0f;
  }
  return ok_status();
}

// y = (x - mean) * scale / sqrt(var + epsilon) + bias, per channel (axis 1).
Status ref_batch_normalization(const ir::Node& node, std::span<const Tensor* const> inputs,
                               std::span<Tensor> outputs) {
  YQ_RETURN_IF_ERROR(check_f32_io(node, inputs, outputs, 5));
  const Tensor& x = *inputs[0];
  Tensor& y = outputs[0];
  if (node.attrs.get_int("training_mode", 0) != 0) return node_unsupported(node, "training_mode = 1");
  if (x.rank() < 2 || y.shape() != x.shape()) {
    return node_invalid(node, "expected input rank >= 2 and output of the same shape, found " + shape_str(x.shape()) +
                                  " -> " + shape_str(y.shape()));
  }
  const int64_t channels = x.dim(1);
  const char* names[] = {"scale", "B", "mean", "var"};
  for (int i = 1; i <= 4; ++i) {
    YQ_RETURN_IF_ERROR(require_dtype(node, *inputs[i], DType::kF32, names[i - 1]));
    if (inputs[i]->numel() != channels) {
      return node_invalid(node, std::string("input ") + names[i - 1] + " has " + std::to_string(inputs[i]->numel()) +
                                    " elements, expected " + std::to_string(channels));
    }
  }
  const double eps = node.attrs.get_float("epsilon", 1e-5f);
  const float* scale = inputs[1]->data<float>();
  const float* bias = inputs[2]->data<float>();
  const float* mean = inputs[3]->data<float>();
  const float* var = inputs[4]->data<float>();
  const int64_t inner = x.numel() / std::max<int64_t>(1, x.dim(0) * channels);
  const float* xp = x.data<float>();
  float* yp = y.data<float>();
  for (int64_t n = 0; n < x.dim(0); ++n) {
    for (int64_t c = 0; c < channels; ++c) {
      const double a = scale[c] / std::sqrt(static_cast<double>(var[c]) + eps);
      const int64_t base = (n * channels + c) * inner;
      for (int64_t i = 0; i < inner; ++i) {
        yp[base + i] = static_cast<float>((xp[base + i] - static_cast<double>(mean[c])) * a + bias[c]);
      }
    }
  }
  // Pre-opset-14 models may declare running mean/var outputs; in inference they are the inputs.
  for (size_t k = 1; k < outputs.size() && k <= 2; ++k) {
    if (outputs[k].numel() == channels && outputs[k].dtype() == DType::kF32) {
      std::copy(inputs[2 + k]->data<float>(), inputs[2 + k]->data<float>() + channels, outputs[k].data<float>());
    }
  }
  return ok_status();
}

// ReduceMean: axes from the attribute (opset < 18) or the optional second input (opset 18).
// No axes reduces everything unless noop_with_empty_axes = 1.
Status ref_reduce_mean(const ir::Node& node, std::span<const Tensor* const> inputs, std::span<Tensor> outputs) {
  YQ_RETURN_IF_ERROR(check_f32_io(node, inputs, outputs, 1));
  const Tensor& x = *inputs[0];
  Tensor& y = outputs[0];
  std::vector<int64_t> axes = node.attrs.get_ints("axes");
  if (inputs.size() > 1 && inputs[1]) axes = inputs[1]->to_int64_vector();
  if (axes.empty() && node.attrs.get_int("noop_with_empty_axes", 0) != 0) return copy_bytes(node, x, y);
  const int rank = x.rank();
  Shape kept = x.shape();  // the output shape with keepdims = 1
  if (axes.empty()) {
    std::fill(kept.begin(), kept.end(), 1);
  } else {
    for (int64_t a : axes) {
      YQ_ASSIGN_OR_RETURN(int ax, normalize_axis(node, a, rank));
      kept[ax] = 1;
    }
  }
  if (shape_numel(kept) != y.numel()) {
    return node_invalid(node, "output " + shape_str(y.shape()) + " does not match reducing " + shape_str(x.shape()) +
                                  " to " + shape_str(kept));
  }
  std::vector<double> acc(static_cast<size_t>(y.numel()), 0.0);
  const float* xp = x.data<float>();
  // Every input element adds into the output element it broadcasts from.
  const std::array<std::vector<int64_t>, 1> st{broadcast_strides(kept, x.shape())};
  for_each_broadcast<1>(x.shape(), st, [&](int64_t i, const std::array<int64_t, 1>& off) { acc[off[0]] += xp[i]; });
  const double count = y.numel() > 0 ? static_cast<double>(x.numel()) / static_cast<double>(y.numel()) : 1.0;
  float* yp = y.data<float>();
  for (int64_t i = 0; i < y.numel(); ++i) yp[i] = static_cast<float>(acc[i] / count);
  return ok_status();
}

// Softmax with opset-13 semantics (along `axis`, default -1). A node carrying the attribute
// yq_opset_lt13 = 1 (set by the importer for opset < 13) uses the old semantics instead: the
// input is flattened to 2-D at `axis` (default 1) and softmax runs over the second dimension.
Status ref_softmax(const ir::Node& node, std::span<const Tensor* const> inputs, std::span<Tensor> outputs) {
  YQ_RETURN_IF_ERROR(check_f32_io(node, inputs, outputs, 1));
  const Tensor& x = *inputs[0];
  Tensor& y = outputs[0];
  if (y.numel() != x.numel()) {
    return node_invalid(node, "output " + shape_str(y.shape()) + " differs from input " + shape_str(x.shape()));
  }
  const bool legacy = node.attrs.get_int("yq_opset_lt13", 0) != 0;
  const int rank = std::max(1, x.rank());
  YQ_ASSIGN_OR_RETURN(int axis, normalize_axis(node, node.attrs.get_int("axis", legacy ? 1 : -1), rank));
  int64_t outer = 1, len = 1, inner = 1;
  for (int d = 0; d < x.rank(); ++d) {
    if (d < axis) {
      outer *= x.dim(d);
    } else if (d == axis || legacy) {
      len *= x.dim(d);
    } else {
      inner *= x.dim(d);
    }
  }
  const float* xp = x.data<float>();
  float* yp = y.data<float>();
  for (int64_t o = 0; o < outer; ++o) {
    for (int64_t i = 0; i < inner; ++i) {
      const int64_t base = o * len * inner + i;
      float mx = -std::numeric_limits<float>::infinity();
      for (int64_t k = 0; k < len; ++k) mx = std::max(mx, xp[base + k * inner]);
      double sum = 0.0;
      for (int64_t k = 0; k < len; ++k) sum += std::exp(static_cast<double>(xp[base + k * inner]) - mx);
      for (int64_t k = 0; k < len; ++k) {
        yp[base + k * inner] = static_cast<float>(std::exp(static_cast<double>(xp[base + k * inner]) - mx) / sum);
      }
    }
  }
  return ok_status();
}

}  // namespace yq::runtime::ref
