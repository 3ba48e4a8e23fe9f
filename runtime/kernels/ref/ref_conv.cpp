// SPDX-License-Identifier: Apache-2.0
// Conv, FusedConv (ir/fused_ops.md) and ConvTranspose, NCHW, f32 with double accumulators.
//
// Loop order: per output plane, accumulate w[oc,ic,kh,kw] * shifted input rows into a double
// plane. The innermost loop is a contiguous row (for stride 1), so a 64->64 3x3 conv at 80x80
// runs in a fraction of a second while staying a plain direct convolution.
#include <algorithm>
#include <vector>

#include "runtime/kernels/ref/activation.h"
#include "runtime/kernels/ref/ref_ops.h"
#include "runtime/kernels/ref/ref_util.h"

namespace yq::runtime::ref {
namespace {

// Range [lo, hi) of i in [0, n_i) with 0 <= i*s + off < n_o.
void valid_range(int64_t n_i, int64_t s, int64_t off, int64_t n_o, int64_t& lo, int64_t& hi) {
  lo = off >= 0 ? 0 : (-off + s - 1) / s;
  hi = (n_o - 1 - off) < 0 ? 0 : (n_o - 1 - off) / s + 1;
  hi = std::min(hi, n_i);
  lo = std::min(lo, hi);
}

Status check_bias(const ir::Node& node, const Tensor* b, int64_t channels) {
  if (!b) return ok_status();
  YQ_RETURN_IF_ERROR(require_dtype(node, *b, DType::kF32, "bias B"));
  if (b->numel() != channels) {
    return node_invalid(node, "bias B has " + std::to_string(b->numel()) + " elements, expected " +
                                  std::to_string(channels) + " (output channels)");
  }
  return ok_status();
}

// y = act(conv(X, W) + B) * S + R; plain Conv is act = none, S = R = nullptr.
Status conv_forward(const ir::Node& node, std::span<const Tensor* const> inputs, Tensor& y, const Activation& act,
                    const Tensor* residual, const Tensor* channel_scale = nullptr) {
  YQ_RETURN_IF_ERROR(require_inputs(node, inputs, 2));
  const Tensor& x = *inputs[0];
  const Tensor& w = *inputs[1];
  const Tensor* b = inputs.size() > 2 ? inputs[2] : nullptr;
  YQ_RETURN_IF_ERROR(require_dtype(node, x, DType::kF32, "input X"));
  YQ_RETURN_IF_ERROR(require_dtype(node, w, DType::kF32, "weight W"));
  YQ_RETURN_IF_ERROR(require_dtype(node, y, DType::kF32, "output Y"));
  YQ_ASSIGN_OR_RETURN(auto xd, as_nchw(node, x.shape(), "input X"));
  YQ_ASSIGN_OR_RETURN(auto yd, as_nchw(node, y.shape(), "output Y"));
  if (w.rank() != x.rank()) {
    return node_invalid(node, "weight W has shape " + shape_str(w.shape()) + ", expected rank " +
                                  std::to_string(x.rank()));
  }
  const Shape kernel(w.shape().begin() + 2, w.shape().end());
  YQ_ASSIGN_OR_RETURN(Window2d win, read_window_2d(node, x.shape(), y.shape(), kernel));
  const auto [n_batch, c_in, h_in, w_in] = xd;
  const auto [n_out, c_out, h_out, w_out] = yd;
  const int64_t group = node.attrs.get_int("group", 1);
  const int64_t kh_n = win.kh, kw_n = win.kw;
  if (group < 1 || c_in % group != 0 || c_out % group != 0 || w.dim(0) != c_out || w.dim(1) * group != c_in ||
      n_out != n_batch || w.numel() != c_out * (c_in / group) * kh_n * kw_n) {
    return node_invalid(node, "inconsistent shapes: X " + shape_str(x.shape()) + ", W " + shape_str(w.shape()) +
                                  ", Y " + shape_str(y.shape()) + ", group " + std::to_string(group));
  }
  YQ_RETURN_IF_ERROR(check_bias(node, b, c_out));
  if (channel_scale) {
    YQ_RETURN_IF_ERROR(require_dtype(node, *channel_scale, DType::kF32, "channel scale S"));
    if (channel_scale->numel() != c_out)
      return node_invalid(node, "channel scale S has " + std::to_string(channel_scale->numel()) + " elements, expected " +
                                    std::to_string(c_out) + " (output channels)");
  }
  if (residual) {
    YQ_RETURN_IF_ERROR(require_dtype(node, *residual, DType::kF32, "residual R"));
    if (residual->shape() != y.shape()) {
      return node_invalid(node, "residual R has shape " + shape_str(residual->shape()) + ", expected " +
                                    shape_str(y.shape()));
    }
  }
  const int64_t cg_in = c_in / group;
  const int64_t cg_out = c_out / group;
  const float* xp = x.data<float>();
  const float* wp = w.data<float>();
  const float* bp = b ? b->data<float>() : nullptr;
  const float* rp = residual ? residual->data<float>() : nullptr;
  const float* sp = channel_scale ? channel_scale->data<float>() : nullptr;
  float* yp = y.data<float>();
  const int64_t plane_out = h_out * w_out;
  std::vector<double> acc(static_cast<size_t>(plane_out));

  for (int64_t n = 0; n < n_batch; ++n) {
    for (int64_t oc = 0; oc < c_out; ++oc) {
      const int64_t g = oc / cg_out;
      std::fill(acc.begin(), acc.end(), bp ? static_cast<double>(bp[oc]) : 0.0);
      for (int64_t icg = 0; icg < cg_in; ++icg) {
        const float* xplane = xp + (n * c_in + g * cg_in + icg) * h_in * w_in;
        for (int64_t kh = 0; kh < kh_n; ++kh) {
          int64_t oh_lo, oh_hi;
          valid_range(h_out, win.sh, kh * win.dh - win.pad_top, h_in, oh_lo, oh_hi);
          for (int64_t kw = 0; kw < kw_n; ++kw) {
            const double wv = wp[((oc * cg_in + icg) * kh_n + kh) * kw_n + kw];
            const int64_t off_w = kw * win.dw - win.pad_left;
            int64_t ow_lo, ow_hi;
            valid_range(w_out, win.sw, off_w, w_in, ow_lo, ow_hi);
            for (int64_t oh = oh_lo; oh < oh_hi; ++oh) {
              const float* xrow = xplane + (oh * win.sh + kh * win.dh - win.pad_top) * w_in + off_w;
              double* arow = acc.data() + oh * w_out;
              for (int64_t ow = ow_lo; ow < ow_hi; ++ow) arow[ow] += wv * xrow[ow * win.sw];
            }
          }
        }
      }
      float* yplane = yp + (n * c_out + oc) * plane_out;
      const float* rplane = rp ? rp + (n * c_out + oc) * plane_out : nullptr;
      for (int64_t i = 0; i < plane_out; ++i) {
        float v = act(static_cast<float>(acc[i]));
        if (sp) v *= sp[oc];
        if (rplane) v += rplane[i];
        yplane[i] = v;
      }
    }
  }
  return ok_status();
}

}  // namespace

Status ref_conv(const ir::Node& node, std::span<const Tensor* const> inputs, std::span<Tensor> outputs) {
  if (outputs.empty()) return node_invalid(node, "expected 1 output, found 0");
  return conv_forward(node, inputs, outputs[0], Activation{}, nullptr);
}

Status ref_fused_conv(const ir::Node& node, std::span<const Tensor* const> inputs, std::span<Tensor> outputs) {
  if (outputs.empty()) return node_invalid(node, "expected 1 output, found 0");
  Expected<Activation> act = node_activation(node);
  if (!act.ok()) return node_unsupported(node, act.status().message());
  const Tensor* residual = inputs.size() > 3 ? inputs[3] : nullptr;
  const Tensor* channel_scale = inputs.size() > 4 ? inputs[4] : nullptr;
  return conv_forward(node, inputs, outputs[0], *act, residual, channel_scale);
}

// ConvTranspose is the adjoint of Conv: every input pixel scatters w * x into the output at
// oh = ih*s - pad_top + kh*d. Output padding only extends the output; those extra rows get
// whatever the scatter reaches (plus bias), as in ONNX.
Status ref_conv_transpose(const ir::Node& node, std::span<const Tensor* const> inputs, std::span<Tensor> outputs) {
  if (outputs.empty()) return node_invalid(node, "expected 1 output, found 0");
  YQ_RETURN_IF_ERROR(require_inputs(node, inputs, 2));
  const Tensor& x = *inputs[0];
  const Tensor& w = *inputs[1];
  const Tensor* b = inputs.size() > 2 ? inputs[2] : nullptr;
  Tensor& y = outputs[0];
  YQ_RETURN_IF_ERROR(require_dtype(node, x, DType::kF32, "input X"));
  YQ_RETURN_IF_ERROR(require_dtype(node, w, DType::kF32, "weight W"));
  YQ_RETURN_IF_ERROR(require_dtype(node, y, DType::kF32, "output Y"));
  YQ_ASSIGN_OR_RETURN(auto xd, as_nchw(node, x.shape(), "input X"));
  YQ_ASSIGN_OR_RETURN(auto yd, as_nchw(node, y.shape(), "output Y"));
  if (w.rank() != x.rank() || y.rank() != x.rank()) {
    return node_invalid(node, "weight W " + shape_str(w.shape()) + " / output " + shape_str(y.shape()) +
                                  " rank differs from input " + shape_str(x.shape()));
  }
  const auto [n_batch, c_in, h_in, w_in] = xd;
  const auto [n_out, c_out, h_out, w_out] = yd;
  const int64_t group = node.attrs.get_int("group", 1);
  const size_t sp = static_cast<size_t>(x.rank() - 2);
  const Shape kernel(w.shape().begin() + 2, w.shape().end());
  const std::vector<int64_t> k = node.attrs.get_ints("kernel_shape", kernel);
  const std::vector<int64_t> s = node.attrs.get_ints("strides", std::vector<int64_t>(sp, 1));
  const std::vector<int64_t> d = node.attrs.get_ints("dilations", std::vector<int64_t>(sp, 1));
  const std::vector<int64_t> p = node.attrs.get_ints("pads", std::vector<int64_t>(2 * sp, 0));
  const std::vector<int64_t> opad = node.attrs.get_ints("output_padding", std::vector<int64_t>(sp, 0));
  if (k.size() != sp || s.size() != sp || d.size() != sp || p.size() != 2 * sp || opad.size() != sp ||
      k != kernel) {
    return node_invalid(node, "kernel_shape/strides/dilations/pads/output_padding do not match spatial rank " +
                                  std::to_string(sp) + " and W " + shape_str(w.shape()));
  }
  if (group < 1 || c_in % group != 0 || w.dim(0) != c_in || w.dim(1) * group != c_out || n_out != n_batch) {
    return node_invalid(node, "inconsistent shapes: X " + shape_str(x.shape()) + ", W " + shape_str(w.shape()) +
                                  ", Y " + shape_str(y.shape()) + ", group " + std::to_string(group));
  }
  YQ_RETURN_IF_ERROR(check_bias(node, b, c_out));
  // Leading pads. With auto_pad SAME_* or an explicit output_shape, ONNX derives the total
  // padding from the output size: total = s*(in-1) + output_padding + (k-1)*d + 1 - out.
  const std::string auto_pad = node.attrs.get_string("auto_pad", "NOTSET");
  const bool derive = auto_pad == "SAME_UPPER" || auto_pad == "SAME_LOWER" || node.attrs.has("output_shape");
  std::vector<int64_t> begin(sp, 0);
  const int64_t in_sp[2] = {sp == 2 ? h_in : w_in, w_in};
  const int64_t out_sp[2] = {sp == 2 ? h_out : w_out, w_out};
  for (size_t i = 0; i < sp; ++i) {
    if (auto_pad == "VALID") {
      begin[i] = 0;
    } else if (derive) {
      const int64_t total =
          std::max<int64_t>(0, s[i] * (in_sp[i] - 1) + opad[i] + (k[i] - 1) * d[i] + 1 - out_sp[i]);
      begin[i] = auto_pad == "SAME_UPPER" ? total / 2 : total - total / 2;
    } else {
      begin[i] = p[i];
    }
  }
  const int64_t kh_n = sp == 2 ? k[0] : 1, kw_n = k[sp - 1];
  const int64_t sh = sp == 2 ? s[0] : 1, sw = s[sp - 1];
  const int64_t dh = sp == 2 ? d[0] : 1, dw = d[sp - 1];
  const int64_t pt = sp == 2 ? begin[0] : 0, pl = begin[sp - 1];

  const int64_t cg_in = c_in / group;
  const int64_t cg_out = c_out / group;
  const float* xp = x.data<float>();
  const float* wp = w.data<float>();
  const float* bp = b ? b->data<float>() : nullptr;
  float* yp = y.data<float>();
  const int64_t plane_out = h_out * w_out;
  std::vector<double> acc(static_cast<size_t>(plane_out));
  for (int64_t n = 0; n < n_batch; ++n) {
    for (int64_t oc = 0; oc < c_out; ++oc) {
      const int64_t g = oc / cg_out;
      const int64_t ocg = oc % cg_out;
      std::fill(acc.begin(), acc.end(), bp ? static_cast<double>(bp[oc]) : 0.0);
      for (int64_t icg = 0; icg < cg_in; ++icg) {
        const int64_t ic = g * cg_in + icg;
        const float* xplane = xp + (n * c_in + ic) * h_in * w_in;
        for (int64_t kh = 0; kh < kh_n; ++kh) {
          int64_t ih_lo, ih_hi;
          valid_range(h_in, sh, kh * dh - pt, h_out, ih_lo, ih_hi);
          for (int64_t kw = 0; kw < kw_n; ++kw) {
            const double wv = wp[((ic * cg_out + ocg) * kh_n + kh) * kw_n + kw];
            const int64_t off_w = kw * dw - pl;
            int64_t iw_lo, iw_hi;
            valid_range(w_in, sw, off_w, w_out, iw_lo, iw_hi);
            for (int64_t ih = ih_lo; ih < ih_hi; ++ih) {
              const float* xrow = xplane + ih * w_in;
              double* arow = acc.data() + (ih * sh + kh * dh - pt) * w_out + off_w;
              for (int64_t iw = iw_lo; iw < iw_hi; ++iw) arow[iw * sw] += wv * xrow[iw];
            }
          }
        }
      }
      float* yplane = yp + (n * c_out + oc) * plane_out;
      for (int64_t i = 0; i < plane_out; ++i) yplane[i] = static_cast<float>(acc[i]);
    }
  }
  return ok_status();
}

}  // namespace yq::runtime::ref
