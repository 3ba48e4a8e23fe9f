// SPDX-License-Identifier: Apache-2.0
// Conv and yq FusedConv on oneDNN's convolution primitive.
//
// FusedConv (ir/fused_ops.md) computes y = act(conv(X, W) + B) + R. The activation maps to one or
// two eltwise post-ops and the residual to a sum post-op, appended in that order, so oneDNN
// evaluates dst = act(conv + b) + dst_before; the planner makes dst hold R before the primitive runs.
// oneDNN picks src/weights/dst layouts (format_tag::any); weights are packed once here.
#include <cmath>

#include "runtime/kernels/fp32/onednn_kernel.h"

namespace yq::runtime::fp32 {
namespace {

using dnnl::algorithm;
using dnnl::memory;

}  // namespace

Expected<std::optional<ConvGeometry>> conv_geometry(const ir::Graph& g, const ir::Node& n) {
  const ir::Value& x = g.value(n.input(0));
  const ir::Value& w = g.value(n.input(1));
  const ir::Value& y = g.value(n.output(0));
  if (x.shape.size() != 4 || w.shape.size() != 4 || y.shape.size() != 4) return std::optional<ConvGeometry>();
  ConvGeometry c;
  c.group = n.attrs.get_int("group", 1);
  c.ic = x.shape[1];
  c.oc = w.shape[0];
  c.kh = w.shape[2];
  c.kw = w.shape[3];
  if (c.group <= 0 || c.ic % c.group != 0 || c.oc % c.group != 0 || w.shape[1] != c.ic / c.group || y.shape[1] != c.oc)
    return invalid_model("Conv weight " + shape_str(w.shape) + " does not fit input " + shape_str(x.shape) +
                         " with group " + std::to_string(c.group));
  std::vector<int64_t> strides = n.attrs.get_ints("strides", {1, 1});
  std::vector<int64_t> dil = n.attrs.get_ints("dilations", {1, 1});
  std::vector<int64_t> pads = n.attrs.get_ints("pads", {0, 0, 0, 0});
  if (strides.size() != 2 || dil.size() != 2 || pads.size() != 4) return std::optional<ConvGeometry>();
  const std::string auto_pad = n.attrs.get_string("auto_pad", "NOTSET");
  const int64_t k[2] = {c.kh, c.kw};
  if (auto_pad == "SAME_UPPER" || auto_pad == "SAME_LOWER") {
    for (int i = 0; i < 2; ++i) {
      int64_t ext = (k[i] - 1) * dil[i] + 1;
      int64_t total = std::max<int64_t>(0, (y.shape[2 + i] - 1) * strides[i] + ext - x.shape[2 + i]);
      int64_t small = total / 2;
      pads[i] = auto_pad == "SAME_UPPER" ? small : total - small;
      pads[i + 2] = total - pads[i];
    }
  } else if (auto_pad == "VALID") {
    pads = {0, 0, 0, 0};
  }
  c.src_dims = to_dims(x.shape);
  c.dst_dims = to_dims(y.shape);
  c.w_dims = c.group == 1 ? memory::dims{c.oc, c.ic, c.kh, c.kw}
                          : memory::dims{c.group, c.oc / c.group, c.ic / c.group, c.kh, c.kw};
  c.strides = {strides[0], strides[1]};
  c.dilations = {dil[0] - 1, dil[1] - 1};
  c.pad_l = {pads[0], pads[1]};
  c.pad_r = {pads[2], pads[3]};
  return std::optional<ConvGeometry>(std::move(c));
}

namespace {

// oneDNN 2.6 lists its brgemm kernels first (brgconv, brgconv_1x1, brdgmm_dw); on AVX-512 its
// older direct kernels run faster on many of the detectors' small layers. Measured here (2
// threads, nhwc, one primitive alone, median of 200 runs, YOLOX-Nano / FastestDet / YOLOv6 shapes):
//  * depthwise, int8: jit_int8 12-17% faster on every shape tried (16-96 channels, 3x3 and 5x5,
//    strides 1 and 2); f32: jit_dw 19-44% faster from 32 channels, 25% slower at 16;
//  * int8 1x1 up to 96 input channels: jit_int8_1x1 0-26% faster (16->16 at 104x104: 19.5 ->
//    14.4 us), within 6% either way at 32->16; from 128 input channels brgconv_1x1 is as fast or faster;
//  * int8 3x3 up to 48 input channels: jit_int8 5-46% faster (FastestDet's 3->24 s2 stem 165 ->
//    125 us, 16->16 at 104x104 80 -> 44-54 us); at 64 channels and for YOLOX's 6x6 stem brgconv wins;
//  * f32 dense convs: brgconv wins.
// The prefix of the kernel to take instead of oneDNN's first choice, or nullptr.
const char* preferred_kernel(const ConvGeometry& geo, bool int8) {
  const bool depthwise = geo.group > 1 && geo.group == geo.ic && geo.group == geo.oc;
  if (depthwise) return int8 ? "jit_int8:" : geo.ic >= 32 ? "jit_dw:" : nullptr;
  if (!int8 || geo.group != 1) return nullptr;
  if (geo.kh == 1 && geo.kw == 1) return geo.ic <= 96 ? "jit_int8_1x1:" : nullptr;
  if (geo.kh <= 3 && geo.kw <= 3) return geo.ic <= 48 ? "jit_int8:" : nullptr;
  return nullptr;
}

}  // namespace

dnnl::convolution_forward::primitive_desc make_conv_pd(const ConvGeometry& geo, const memory::desc& src,
                                                       const memory::desc& weights, const memory::desc& bias,
                                                       const memory::desc& dst, const dnnl::primitive_attr& attr,
                                                       const dnnl::engine& eng) {
  using dnnl::convolution_forward;
  auto d = bias.is_zero()
               ? convolution_forward::desc(dnnl::prop_kind::forward_inference, algorithm::convolution_direct, src,
                                           weights, dst, geo.strides, geo.dilations, geo.pad_l, geo.pad_r)
               : convolution_forward::desc(dnnl::prop_kind::forward_inference, algorithm::convolution_direct, src,
                                           weights, bias, dst, geo.strides, geo.dilations, geo.pad_l, geo.pad_r);
  convolution_forward::primitive_desc pd(d, attr, eng);
  const char* preferred = preferred_kernel(geo, src.data_type() != memory::data_type::f32);
  if (preferred == nullptr || std::string(pd.impl_info_str()).rfind(preferred, 0) == 0) return pd;
  // Taken when it accepts the same attributes and the same src/dst layouts (the weights are packed
  // for whichever kernel runs); otherwise oneDNN's first choice stays.
  convolution_forward::primitive_desc alt(d, attr, eng);
  while (alt.next_impl()) {
    if (std::string(alt.impl_info_str()).rfind(preferred, 0) != 0) continue;
    if (alt.src_desc() == pd.src_desc() && alt.dst_desc() == pd.dst_desc()) return alt;
    break;
  }
  return pd;
}

dnnl::convolution_forward::primitive_desc try_conv_pd(const ConvGeometry& geo, const memory::desc& src,
                                                      const memory::desc& weights, const memory::desc& bias,
                                                      const memory::desc& dst, const dnnl::primitive_attr& attr,
                                                      const dnnl::engine& eng) {
  try {
    auto pd = make_conv_pd(geo, src, weights, bias, dst, attr, eng);
    if (std::string(pd.impl_info_str()).rfind("ref", 0) != 0) return pd;
  } catch (const dnnl::error&) {
  }
  return {};
}

std::optional<std::vector<float>> conv_channel_scale(const ir::Graph& g, const ir::Node& n, int64_t oc) {
  if (n.op_type != "FusedConv" || n.input(4) == ir::kNoValue) return std::nullopt;
  const ir::Value& s = g.value(n.input(4));
  if (!s.is_constant() || s.dtype != DType::kF32 || s.constant->numel() != oc) return std::vector<float>{};
  const float* p = s.constant->data<float>();
  return std::vector<float>(p, p + oc);
}

std::pair<int, memory> append_channel_multiply(dnnl::post_ops& po, const std::vector<float>& factors,
                                               const dnnl::engine& eng) {
  const int64_t oc = static_cast<int64_t>(factors.size());
  const memory::desc md({1, oc, 1, 1}, memory::data_type::f32, memory::format_tag::abcd);
  const int index = po.len();
  po.append_binary(algorithm::binary_mul, md);
  memory m(md, eng);
  std::copy(factors.begin(), factors.end(), static_cast<float*>(m.get_data_handle()));
  return {DNNL_ARG_ATTR_MULTIPLE_POST_OP(index) | DNNL_ARG_SRC_1, m};
}

Expected<std::unique_ptr<DnnlKernel>> make_conv(const ir::Graph& g, const ir::Node& n,
                                                std::span<const memory::desc> in, const dnnl::engine& eng) {
  const bool fused = n.op_type == "FusedConv";
  if (n.inputs().size() < 2 || n.outputs().size() != 1) return decline();
  const ir::Value& x = g.value(n.input(0));
  const ir::Value& w = g.value(n.input(1));
  const ir::Value& y = g.value(n.output(0));
  if (x.shape.size() != 4 || w.shape.size() != 4 || y.shape.size() != 4) return decline();
  if (x.dtype != DType::kF32 || !w.is_constant() || w.dtype != DType::kF32) return decline();
  const ir::Value* b = n.input(2) != ir::kNoValue ? &g.value(n.input(2)) : nullptr;
  if (b && (!b->is_constant() || b->dtype != DType::kF32)) return decline();
  const bool has_res = fused && n.input(3) != ir::kNoValue;
  if (has_res && (in.size() < 4 || in[3].is_zero() || g.value(n.input(3)).shape != y.shape)) return decline();

  YQ_ASSIGN_OR_RETURN(std::optional<ConvGeometry> geo, conv_geometry(g, n));
  if (!geo) return decline();
  const int64_t group = geo->group, ic = geo->ic, oc = geo->oc;
  const memory::dims &src_dims = geo->src_dims, &dst_dims = geo->dst_dims, &w_dims = geo->w_dims;
  auto any = memory::format_tag::any;
  auto f32 = memory::data_type::f32;
  memory::desc src_md(src_dims, f32, any), w_md(w_dims, f32, any), dst_md(dst_dims, f32, any);
  memory::desc b_md = b ? memory::desc({oc}, f32, memory::format_tag::x) : memory::desc();

  dnnl::post_ops po;
  if (fused && !append_activation(n, po)) return decline();
  const std::optional<std::vector<float>> channel_scale = conv_channel_scale(g, n, oc);
  if (channel_scale && channel_scale->empty()) return decline();
  std::optional<std::pair<int, memory>> channel_arg;
  if (channel_scale) channel_arg = append_channel_multiply(po, *channel_scale, eng);
  if (has_res) po.append_sum(1.f);
  dnnl::primitive_attr attr = base_attr();
  attr.set_post_ops(po);

  dnnl::convolution_forward::primitive_desc pd;
  auto try_pd = [&](const memory::desc& src, const memory::desc& dst) {
    pd = try_conv_pd(*geo, src, w_md, b_md, dst, attr, eng);
  };
  // With a residual, writing dst in R's layout lets the planner run the sum in place over R
  // instead of copying R first.
  const memory::desc& res_md = has_res && !in[3].is_zero() ? in[3] : dst_md;
  // Few input channels (the image, a Focus stem): oneDNN has direct kernels that read plain NCHW,
  // which beats reordering a large plain input into a blocked layout first. Keep the producer's
  // plain layout when such a (non-reference) kernel exists. Not for grouped/depthwise convs: on a
  // plain src oneDNN 2.6 only has gemm for them, far slower than a reorder plus a blocked kernel.
  const bool plain_src = group == 1 && ic < 16 && !in[0].is_zero() && is_plain(in[0]);
  if (plain_src) try_pd(in[0], res_md);
  if (!pd && has_res) try_pd(src_md, res_md);
  if (!pd && plain_src && has_res) try_pd(in[0], dst_md);
  if (!pd) pd = make_conv_pd(*geo, src_md, w_md, b_md, dst_md, attr, eng);

  auto k_out = std::make_unique<DnnlKernel>();
  k_out->impl = std::string("onednn:conv(") + pd.impl_info_str() + ")";
  k_out->prim = dnnl::convolution_forward(pd);
  k_out->input_descs.resize(n.inputs().size());
  k_out->input_descs[0] = pd.src_desc();
  k_out->input_args.push_back({DNNL_ARG_SRC, 0});
  k_out->output_descs = {pd.dst_desc()};
  k_out->output_args.push_back({DNNL_ARG_DST, 0});
  memory packed_w = pack_constant(*w.constant, w_dims, pd.weights_desc(), eng);
  k_out->weight_bytes += pd.weights_desc().get_size();
  k_out->owned_args.push_back({DNNL_ARG_WEIGHTS, packed_w});
  if (b) {
    if (b->constant->numel() != oc)
      return invalid_model("Conv bias has " + std::to_string(b->constant->numel()) + " elements, expected " +
                           std::to_string(oc));
    k_out->owned_args.push_back({DNNL_ARG_BIAS, pack_constant(*b->constant, {oc}, pd.bias_desc(), eng)});
    k_out->weight_bytes += pd.bias_desc().get_size();
  }
  if (has_res) {
    k_out->sum_input = 3;
    k_out->input_descs[3] = pd.dst_desc();
  }
  if (channel_arg) k_out->owned_args.push_back(*channel_arg);
  k_out->scratchpad_desc = pd.scratchpad_desc();
  return k_out;
}

}  // namespace yq::runtime::fp32
