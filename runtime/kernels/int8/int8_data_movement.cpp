// SPDX-License-Identifier: Apache-2.0
// Int8 MaxPool, nearest Resize and Concat: they move int8 values without arithmetic, so input and
// output share one scale and the result is exact (the fake-quant reference gives the same values).
#include "runtime/kernels/int8/int8_kernels.h"

namespace yq::runtime::int8 {

using dnnl::memory;
using fp32::decline;

Expected<std::unique_ptr<fp32::DnnlKernel>> make_int8_maxpool(const ir::Graph& g, const ir::Node& n,
                                                               const memory::desc& src, const dnnl::engine& eng) {
  if (n.op_type != "MaxPool" || n.inputs().size() != 1 || n.outputs().size() != 1 || src.is_zero()) return decline();
  const ir::Value& x = g.value(n.input(0));
  const ir::Value& y = g.value(n.output(0));
  if (x.shape.size() != 4 || y.shape.size() != 4) return decline();
  std::vector<int64_t> kernel = n.attrs.get_ints("kernel_shape");
  std::vector<int64_t> strides = n.attrs.get_ints("strides", {1, 1});
  std::vector<int64_t> pads = n.attrs.get_ints("pads", {0, 0, 0, 0});
  std::vector<int64_t> dil = n.attrs.get_ints("dilations", {1, 1});
  if (kernel.size() != 2 || strides.size() != 2 || pads.size() != 4 || dil.size() != 2) return decline();
  if (n.attrs.get_string("auto_pad", "NOTSET") != "NOTSET") return decline();
  // ceil_mode: grow the right padding until oneDNN's floor gives ONNX's dst; padded cells never
  // win a max, so this is exact (as in fp32::make_pool).
  std::vector<int64_t> pr = {pads[2], pads[3]};
  for (int i = 0; i < 2; ++i) {
    int64_t ext = (kernel[i] - 1) * dil[i] + 1;
    int64_t need = (y.shape[2 + i] - 1) * strides[i] + ext - x.shape[2 + i] - pads[i];
    if (need > pr[i]) pr[i] = need;
  }
  memory::desc dst_md(fp32::to_dims(y.shape), src.data_type(), memory::format_tag::any);
  auto make_pd = [&](const memory::desc& in) {
    dnnl::pooling_v2_forward::desc d(dnnl::prop_kind::forward_inference, dnnl::algorithm::pooling_max, in, dst_md,
                                     {strides[0], strides[1]}, {kernel[0], kernel[1]}, {dil[0] - 1, dil[1] - 1},
                                     {pads[0], pads[1]}, {pr[0], pr[1]});
    return dnnl::pooling_v2_forward::primitive_desc(d, fp32::base_attr(), eng);
  };
  memory::desc in = src;
  dnnl::pooling_v2_forward::primitive_desc pd = make_pd(in);
  // oneDNN has only its scalar reference for int8 pooling on plain nchw (the producer's layout when
  // it is a quantize step after a float layer): 15 ms instead of 0.05 ms on FastestDet's stem.
  // nhwc has a jit kernel; the engine reorders to it.
  if (std::string(pd.impl_info_str()).rfind("ref", 0) == 0) {
    in = memory::desc(fp32::to_dims(x.shape), src.data_type(), memory::format_tag::nhwc);
    pd = make_pd(in);
  }
  auto k = std::make_unique<fp32::DnnlKernel>();
  k->impl = std::string("onednn:pool_int8(") + pd.impl_info_str() + ")";
  k->prim = dnnl::pooling_v2_forward(pd);
  k->input_descs = {in};
  k->input_args = {{DNNL_ARG_SRC, 0}};
  k->output_descs = {pd.dst_desc()};
  k->output_args = {{DNNL_ARG_DST, 0}};
  k->scratchpad_desc = pd.scratchpad_desc();
  return k;
}

Expected<std::unique_ptr<fp32::DnnlKernel>> make_int8_resize(const ir::Graph& g, const ir::Node& n,
                                                              const memory::desc& src, const dnnl::engine& eng) {
  if (n.op_type != "Resize" || n.inputs().size() < 3 || n.outputs().size() != 1 || src.is_zero()) return decline();
  const ir::Value& x = g.value(n.input(0));
  const ir::Value& y = g.value(n.output(0));
  if (x.shape.size() != 4 || y.shape.size() != 4 || x.shape[0] != y.shape[0] || x.shape[1] != y.shape[1])
    return decline();
  if (n.attrs.get_string("mode", "nearest") != "nearest") return decline();
  // With an integer factor F, output o reads input floor(o / F) under asymmetric/floor (what
  // PyTorch's nearest Upsample exports) and also under half_pixel/round_prefer_floor
  // (o/F + 0.5/F - 0.5 lies within 0.5 of floor(o/F)); oneDNN's nearest computes the same.
  const std::string coord = n.attrs.get_string("coordinate_transformation_mode", "half_pixel");
  const std::string nearest = n.attrs.get_string("nearest_mode", "round_prefer_floor");
  const bool ok = (coord == "asymmetric" && nearest == "floor") ||
                  (coord == "half_pixel" && nearest == "round_prefer_floor");
  if (!ok) return decline();
  for (int i = 2; i < 4; ++i)
    if (y.shape[i] % x.shape[i] != 0) return decline();
  if (n.input(2) != ir::kNoValue) {
    const ir::Value& s = g.value(n.input(2));
    if (!s.is_constant()) return decline();
    if (s.constant->numel() == 4) {
      if (s.dtype != DType::kF32) return decline();
      const float* sc = s.constant->data<float>();
      for (int i = 0; i < 4; ++i)
        if (static_cast<double>(sc[i]) * x.shape[i] != static_cast<double>(y.shape[i])) return decline();
    } else if (s.constant->numel() != 0) {
      return decline();
    }
  }
  memory::desc dst_md(fp32::to_dims(y.shape), src.data_type(), memory::format_tag::any);
  dnnl::resampling_forward::desc d(dnnl::prop_kind::forward_inference, dnnl::algorithm::resampling_nearest, src, dst_md);
  dnnl::resampling_forward::primitive_desc pd(d, fp32::base_attr(), eng);
  auto k = std::make_unique<fp32::DnnlKernel>();
  k->impl = std::string("onednn:resampling_int8(") + pd.impl_info_str() + ")";
  k->prim = dnnl::resampling_forward(pd);
  k->input_descs.resize(n.inputs().size());
  k->input_descs[0] = src;
  k->input_args = {{DNNL_ARG_SRC, 0}};
  k->output_descs = {pd.dst_desc()};
  k->output_args = {{DNNL_ARG_DST, 0}};
  k->scratchpad_desc = pd.scratchpad_desc();
  return k;
}

Expected<std::unique_ptr<fp32::DnnlKernel>> make_int8_concat(const ir::Graph& g, const ir::Node& n,
                                                              const std::vector<memory::desc>& in,
                                                              const dnnl::engine& eng) {
  if (n.op_type != "Concat" || n.inputs().empty() || n.outputs().size() != 1) return decline();
  const ir::Value& y = g.value(n.output(0));
  const int64_t rank = static_cast<int64_t>(y.shape.size());
  int64_t axis = n.attrs.get_int("axis", 0);
  if (axis < 0) axis += rank;
  if (rank == 0 || axis < 0 || axis >= rank) return decline();
  std::vector<int> used;
  for (size_t i = 0; i < n.inputs().size(); ++i) {
    if (n.input(i) == ir::kNoValue || in[i].is_zero()) return decline();
    if (shape_numel(g.value(n.input(i)).shape) == 0) continue;
    used.push_back(static_cast<int>(i));
  }
  if (used.empty()) return decline();
  return fp32::make_concat_kernel(n, static_cast<int>(axis), in, used, /*allow_ref=*/true, "onednn:concat_int8",
                                  eng);
}

}  // namespace yq::runtime::int8
