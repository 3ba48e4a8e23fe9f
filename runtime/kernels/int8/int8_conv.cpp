// SPDX-License-Identifier: Apache-2.0
// Conv / FusedConv on oneDNN's int8 convolution (the epilogue is described in int8_kernels.h).
#include <algorithm>
#include <cmath>

#include "quant/qmath.h"
#include "runtime/kernels/int8/int8_kernels.h"

namespace yq::runtime::int8 {
namespace {

using dnnl::algorithm;
using dnnl::memory;

// Symmetric int8 weight params: i8, zero points 0, per-tensor or per output channel (axis 0).
bool int8_weight_params(const ir::QParams& qp, int64_t oc) {
  if (qp.dtype != DType::kI8) return false;
  for (int32_t z : qp.zero_points)
    if (z != 0) return false;
  if (qp.per_channel()) return qp.axis == 0 && static_cast<int64_t>(qp.scales.size()) == oc;
  return qp.scales.size() == 1;
}

bool has_padding(const fp32::ConvGeometry& geo) {
  for (const memory::dims* p : {&geo.pad_l, &geo.pad_r})
    for (int64_t v : *p)
      if (v != 0) return true;
  return false;
}

// Per output channel, the sum of its int8 weight codes ([oc, ...] row-major).
std::vector<int64_t> weight_code_sums(const Tensor& wq, int64_t oc) {
  const int64_t per = wq.numel() / oc;
  const auto* w = static_cast<const int8_t*>(wq.raw());
  std::vector<int64_t> sums(oc, 0);
  for (int64_t c = 0; c < oc; ++c)
    for (int64_t k = 0; k < per; ++k) sums[c] += w[c * per + k];
  return sums;
}

}  // namespace

memory::desc with_data_type(const memory::desc& d, memory::data_type dt) {
  memory::desc r = d;
  r.data.data_type = static_cast<dnnl_data_type_t>(dt);
  return r;
}

memory::desc plain_desc(const Shape& s, memory::data_type dt) { return with_data_type(fp32::plain_desc(s), dt); }

std::optional<fp32::ConvGeometry> space_to_depth_geometry(const fp32::ConvGeometry& geo) {
  const memory::dims& sd = geo.src_dims;
  if (geo.group != 1 || geo.ic > kMaxInterleaveChannels || sd.size() != 4 || geo.w_dims.size() != 4) return std::nullopt;
  if (geo.strides != memory::dims{2, 2} || geo.dilations != memory::dims{0, 0}) return std::nullopt;
  if (geo.kh % 2 != 0 || geo.kw % 2 != 0 || sd[2] % 2 != 0 || sd[3] % 2 != 0) return std::nullopt;
  for (const memory::dims* p : {&geo.pad_l, &geo.pad_r})
    for (int64_t v : *p)
      if (v % 2 != 0) return std::nullopt;
  fp32::ConvGeometry s = geo;
  s.ic = geo.ic * 4;
  s.kh = geo.kh / 2;
  s.kw = geo.kw / 2;
  s.src_dims = {sd[0], s.ic, sd[2] / 2, sd[3] / 2};
  s.w_dims = {geo.oc, s.ic, s.kh, s.kw};
  s.strides = {1, 1};
  s.pad_l = {geo.pad_l[0] / 2, geo.pad_l[1] / 2};
  s.pad_r = {geo.pad_r[0] / 2, geo.pad_r[1] / 2};
  return s;
}

std::optional<Im2col> im2col_of(const fp32::ConvGeometry& geo) {
  const memory::dims& sd = geo.src_dims;
  if (geo.group != 1 || sd.size() != 4 || sd[0] != 1 || geo.dst_dims.size() != 4 || geo.pad_l.size() != 2)
    return std::nullopt;
  if (geo.dilations != memory::dims{0, 0} || geo.ic * geo.kh * geo.kw > kMaxIm2col) return std::nullopt;
  Im2col im;
  im.c = geo.ic;
  im.h = sd[2];
  im.w = sd[3];
  im.kh = geo.kh;
  im.kw = geo.kw;
  im.stride_h = geo.strides[0];
  im.stride_w = geo.strides[1];
  im.pad_t = geo.pad_l[0];
  im.pad_l = geo.pad_l[1];
  im.oh = geo.dst_dims[2];
  im.ow = geo.dst_dims[3];
  im.k_pad = (geo.ic * geo.kh * geo.kw + 3) / 4 * 4;
  return im;
}

fp32::ConvGeometry im2col_geometry(const fp32::ConvGeometry& geo, const Im2col& im) {
  fp32::ConvGeometry s = geo;
  s.ic = im.k_pad;
  s.kh = s.kw = 1;
  s.src_dims = {1, im.k_pad, im.oh, im.ow};
  s.w_dims = {geo.oc, im.k_pad, 1, 1};
  s.strides = {1, 1};
  s.pad_l = {0, 0};
  s.pad_r = {0, 0};
  return s;
}

std::optional<fp32::ConvGeometry> padded_source_geometry(const fp32::ConvGeometry& geo) {
  if (geo.src_dims.size() != 4 || geo.pad_l.size() != 2 || geo.pad_r.size() != 2 || !has_padding(geo))
    return std::nullopt;
  fp32::ConvGeometry p = geo;
  for (int d = 0; d < 2; ++d) {
    p.src_dims[2 + d] += geo.pad_l[d] + geo.pad_r[d];
    p.pad_l[d] = p.pad_r[d] = 0;
  }
  return p;
}

Expected<std::unique_ptr<fp32::DnnlKernel>> make_int8_conv(const ir::Graph& g, const ir::Node& n, const ConvQuant& q,
                                                            const memory::desc& src_layout, const dnnl::engine& eng) {
  using fp32::decline;
  const bool fused = n.op_type == "FusedConv";
  if (n.inputs().size() < 2 || n.outputs().size() != 1) return decline();
  const ir::Value& x = g.value(n.input(0));
  const ir::Value& w = g.value(n.input(1));
  const ir::Value& y = g.value(n.output(0));
  if (x.shape.size() != 4 || w.shape.size() != 4 || y.shape.size() != 4) return decline();
  if (!w.is_constant() || w.dtype != DType::kF32 || !w.qparams) return decline();
  const ir::Value* b = n.input(2) != ir::kNoValue ? &g.value(n.input(2)) : nullptr;
  if (b && (!b->is_constant() || b->dtype != DType::kF32)) return decline();
  const bool has_res = fused && n.input(3) != ir::kNoValue;
  if (has_res && g.value(n.input(3)).shape != y.shape) return decline();

  YQ_ASSIGN_OR_RETURN(std::optional<fp32::ConvGeometry> geo, fp32::conv_geometry(g, n));
  if (!geo) return decline();
  const fp32::ConvGeometry orig_geo = *geo;
  if (q.space_to_depth) {
    geo = space_to_depth_geometry(*geo);
    if (!geo) return decline();
  }
  if (q.padded_src) {
    geo = padded_source_geometry(*geo);
    if (!geo) return decline();
  }
  std::optional<Im2col> im;
  if (q.im2col) {
    im = im2col_of(*geo);
    if (!im || q.src_zp != 0) return decline();  // padded taps read code 0
    geo = im2col_geometry(*geo, *im);
  }
  const int64_t oc = geo->oc;
  if (!int8_weight_params(*w.qparams, oc)) return decline();
  // A channel scale S (ir/fused_ops.md) after an activation that commutes with positive factors
  // (none, relu, leaky_relu) folds into the output scales for free; after any other activation it
  // is a per-channel binary_mul post-op.
  const std::string act = fused ? n.attrs.get_string("activation", "") : "";
  const std::optional<std::vector<float>> channel_scale = fp32::conv_channel_scale(g, n, oc);
  if (channel_scale && channel_scale->empty()) return decline();
  bool fold_scale = channel_scale && (act.empty() || act == "relu" || act == "leaky_relu");
  if (fold_scale)
    for (float f : *channel_scale) fold_scale = fold_scale && f > 0.f;
  const bool epilogue_scale = channel_scale && !fold_scale;
  // Output scales s_x * s_w[c] (* S[c] when folded); the bias is added to the int32 accumulator
  // before scaling.
  const ir::QParams& wq = *w.qparams;
  const bool per_channel_oscales = wq.per_channel() || fold_scale;
  std::vector<float> oscales(oc), bias_factor(oc, 1.f);
  for (int64_t c = 0; c < oc; ++c) {
    if (fold_scale) bias_factor[c] = (*channel_scale)[c];
    oscales[c] = q.src_scale * wq.scales[wq.per_channel() ? c : 0] * bias_factor[c];
  }

  const memory::dims &src_dims = geo->src_dims, &dst_dims = geo->dst_dims, &w_dims = geo->w_dims;
  auto any = memory::format_tag::any;
  memory::desc src_md(src_dims, q.src_dt, any), w_md(w_dims, memory::data_type::s8, any), dst_md(dst_dims, q.dst_dt, any);

  dnnl::post_ops po;
  const bool int_dst = q.dst_dt != memory::data_type::f32;
  // 1/s_y: on the activation when it is the last post-op, else on the channel scale's factors
  // when they are last, else a final eltwise_linear.
  const bool scale_on_act = int_dst && !has_res && !act.empty() && q.dst_zp == 0 && !epilogue_scale;
  const bool scale_on_channels = int_dst && !has_res && epilogue_scale;
  // hardsigmoid's linear -> clip followed (after the sum) by the 1/s_y linear is also computed
  // wrongly by oneDNN 2.6's int8 jit: leave that rare combination to f32 conv + quantize.
  if (act == "hardsigmoid" && int_dst && !scale_on_act) return decline();
  if (fused && !fp32::append_activation(n, po, scale_on_act ? 1.f / q.dst_scale : 1.f)) return decline();
  std::optional<std::pair<int, memory>> channel_arg;
  if (epilogue_scale) {
    std::vector<float> factors = *channel_scale;
    if (scale_on_channels)
      for (float& f : factors) f /= q.dst_scale;
    channel_arg = fp32::append_channel_multiply(po, factors, eng);
  }
  // sum: dst = s_R * (R - zp_R) + ...; then y / s_y + zp_y (the zero point rides on the linear).
  if (has_res) {
    if (q.sum_zp != 0) {
      po.append_sum(q.sum_scale, q.sum_zp);
    } else {
      po.append_sum(q.sum_scale);
    }
  }
  if (int_dst && !scale_on_act && !scale_on_channels) {
    po.append_eltwise(1.f, algorithm::eltwise_linear, 1.f / q.dst_scale, static_cast<float>(q.dst_zp));
  } else if (scale_on_channels && q.dst_zp != 0) {
    po.append_eltwise(1.f, algorithm::eltwise_linear, 1.f, static_cast<float>(q.dst_zp));
  }
  dnnl::primitive_attr attr = fp32::base_attr();
  attr.set_post_ops(po);
  // A source zero point: without padding every output sums zp times the same weights, a constant
  // per output channel that folds into the bias (below). With padding oneDNN subtracts it, padded
  // taps included (they hold real zeros); its zero-point path costs 5-10% on 1x1 convs and 25-35%
  // on depthwise ones (stand-alone, 2 threads).
  const bool fold_src_zp = q.src_zp != 0 && !has_padding(*geo);
  if (q.src_zp != 0 && !fold_src_zp) attr.set_zero_points(DNNL_ARG_SRC, 0, {DNNL_RUNTIME_S32_VAL});
  const memory::desc b_md =
      b || fold_src_zp ? memory::desc({oc}, memory::data_type::f32, memory::format_tag::x) : memory::desc();
  attr.set_output_scales(per_channel_oscales ? (1 << 1) : 0,
                         per_channel_oscales ? oscales : std::vector<float>{oscales[0]});

  dnnl::convolution_forward::primitive_desc pd;
  auto try_pd = [&](const memory::desc& src, const memory::desc& dst) {
    pd = fp32::try_conv_pd(*geo, src, w_md, b_md, dst, attr, eng);
  };
  // Keep the producer's layout for src and R's for dst when a fast kernel takes them: saves reorders.
  if (!src_layout.is_zero()) try_pd(src_layout, has_res && !q.res_desc.is_zero() ? q.res_desc : dst_md);
  if (!pd && has_res && !q.res_desc.is_zero()) try_pd(src_md, q.res_desc);
  if (!pd) try_pd(src_md, dst_md);
  if (!pd) return decline();  // only a reference int8 implementation: the f32 path is faster

  auto k_out = std::make_unique<fp32::DnnlKernel>();
  k_out->impl = std::string("onednn:conv_int8(") + pd.impl_info_str() + ")" + (q.space_to_depth ? "+s2d" : "") +
                (q.im2col ? "+im2col" : "");
  k_out->prim = dnnl::convolution_forward(pd);
  k_out->input_descs.resize(n.inputs().size());
  k_out->input_descs[0] = pd.src_desc();
  k_out->input_args.push_back({DNNL_ARG_SRC, 0});
  k_out->output_descs = {pd.dst_desc()};
  k_out->output_args.push_back({DNNL_ARG_DST, 0});

  // Weights: quantized once (quant/qmath.h), then packed into oneDNN's layout; the reorder also
  // computes the s8-src compensation terms when the chosen layout carries them.
  Tensor wq_t = quant::quantize_tensor(*w.constant, wq);
  if (q.space_to_depth) {
    // W'[o, (dy*c + ch)*2 + dx, ay, ax] = W[o, ch, 2ay + dy, 2ax + dx] (the channel order of
    // quantize_nchw_to_s2d_nhwc).
    const int64_t c = orig_geo.ic, kh = orig_geo.kh, kw = orig_geo.kw, kh2 = geo->kh, kw2 = geo->kw;
    Tensor r = Tensor::empty(wq_t.dtype(), {oc, 4 * c, kh2, kw2});
    const auto* src = static_cast<const int8_t*>(wq_t.raw());
    auto* dst = static_cast<int8_t*>(r.raw());
    for (int64_t o = 0; o < oc; ++o)
      for (int64_t ch = 0; ch < c; ++ch)
        for (int64_t ky = 0; ky < kh; ++ky)
          for (int64_t kx = 0; kx < kw; ++kx) {
            const int64_t cc = ((ky % 2) * c + ch) * 2 + kx % 2;
            dst[((o * 4 * c + cc) * kh2 + ky / 2) * kw2 + kx / 2] = src[((o * c + ch) * kh + ky) * kw + kx];
          }
    wq_t = std::move(r);
  }
  if (q.im2col) {
    // W'[o, (ky*kw + kx)*c + ch] = W[o, ch, ky, kx], zeros up to k_pad (the patch rows' order).
    const int64_t c = orig_geo.ic, kh = orig_geo.kh, kw = orig_geo.kw;
    Tensor r = Tensor::empty(wq_t.dtype(), {oc, im->k_pad, 1, 1});
    const auto* src = static_cast<const int8_t*>(wq_t.raw());
    auto* dst = static_cast<int8_t*>(r.raw());
    std::fill(dst, dst + oc * im->k_pad, int8_t{0});
    for (int64_t o = 0; o < oc; ++o)
      for (int64_t ch = 0; ch < c; ++ch)
        for (int64_t ky = 0; ky < kh; ++ky)
          for (int64_t kx = 0; kx < kw; ++kx)
            dst[o * im->k_pad + (ky * kw + kx) * c + ch] = src[((o * c + ch) * kh + ky) * kw + kx];
    wq_t = std::move(r);
  }
  {
    memory user(with_data_type(fp32::plain_desc(w_dims), memory::data_type::s8), eng, wq_t.raw());
    memory packed(pd.weights_desc(), eng);
    dnnl::stream s(eng);
    dnnl::reorder(user, packed).execute(s, user, packed);
    s.wait();
    k_out->owned_args.push_back({DNNL_ARG_WEIGHTS, packed});
    k_out->weight_bytes += pd.weights_desc().get_size();
  }
  if (b || fold_src_zp) {
    if (b && b->constant->numel() != oc)
      return invalid_model("Conv bias has " + std::to_string(b->constant->numel()) + " elements, expected " +
                           std::to_string(oc));
    // In accumulator units (added before the output scales): b / oscale, minus zp * sum W[c] for
    // a folded source zero point (computed in double, rounded once).
    const std::vector<int64_t> wsum = fold_src_zp ? weight_code_sums(wq_t, oc) : std::vector<int64_t>(oc, 0);
    Tensor bs = Tensor::empty(DType::kF32, {oc});
    for (int64_t c = 0; c < oc; ++c) {
      const double bc = b ? static_cast<double>(b->constant->data<float>()[c]) * bias_factor[c] / oscales[c] : 0.0;
      bs.data<float>()[c] = static_cast<float>(bc - static_cast<double>(q.src_zp) * static_cast<double>(wsum[c]));
    }
    k_out->owned_args.push_back({DNNL_ARG_BIAS, fp32::pack_constant(bs, {oc}, pd.bias_desc(), eng)});
    k_out->weight_bytes += pd.bias_desc().get_size();
  }
  if (has_res) {
    k_out->sum_input = 3;
    k_out->input_descs[3] = pd.dst_desc();
  }
  if (channel_arg) k_out->owned_args.push_back(*channel_arg);
  if (q.src_zp != 0 && !fold_src_zp) {
    memory zp(memory::desc({1}, memory::data_type::s32, memory::format_tag::x), eng);
    *static_cast<int32_t*>(zp.get_data_handle()) = q.src_zp;
    k_out->owned_args.push_back({DNNL_ARG_ATTR_ZERO_POINTS | DNNL_ARG_SRC, zp});
  }
  k_out->scratchpad_desc = pd.scratchpad_desc();
  return k_out;
}

}  // namespace yq::runtime::int8
