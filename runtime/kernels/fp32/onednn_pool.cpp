// SPDX-License-Identifier: Apache-2.0
// MaxPool, AveragePool, GlobalAveragePool, GlobalMaxPool on oneDNN's pooling_v2 primitive.
// The primitive reads the producer's layout as is and writes the same kind of layout (dst any).
#include "runtime/kernels/fp32/onednn_kernel.h"

namespace yq::runtime::fp32 {

using dnnl::memory;

Expected<std::unique_ptr<DnnlKernel>> make_pool(const ir::Graph& g, const ir::Node& n,
                                                std::span<const memory::desc> in, const dnnl::engine& eng) {
  if (n.inputs().size() != 1 || n.outputs().size() != 1 || in[0].is_zero()) return decline();
  const ir::Value& x = g.value(n.input(0));
  const ir::Value& y = g.value(n.output(0));
  if (x.shape.size() != 4 || y.shape.size() != 4 || x.dtype != DType::kF32) return decline();
  const bool global = n.op_type.rfind("Global", 0) == 0;
  const bool is_max = n.op_type == "MaxPool" || n.op_type == "GlobalMaxPool";
  std::vector<int64_t> kernel, strides, pads, dil;
  if (global) {
    kernel = {x.shape[2], x.shape[3]};
    strides = {1, 1};
    pads = {0, 0, 0, 0};
    dil = {1, 1};
  } else {
    kernel = n.attrs.get_ints("kernel_shape");
    strides = n.attrs.get_ints("strides", {1, 1});
    pads = n.attrs.get_ints("pads", {0, 0, 0, 0});
    dil = n.attrs.get_ints("dilations", {1, 1});
    if (kernel.size() != 2 || strides.size() != 2 || pads.size() != 4 || dil.size() != 2) return decline();
    if (n.attrs.get_string("auto_pad", "NOTSET") != "NOTSET") return decline();
  }
  // ceil_mode: oneDNN computes dst with floor, so grow the right padding until it yields ONNX's dst.
  // For max pooling padded cells never win, so this is exact; average pooling divides by the
  // window size and would differ, so it declines when the padding had to grow.
  std::vector<int64_t> pr = {pads[2], pads[3]};
  for (int i = 0; i < 2; ++i) {
    int64_t ext = (kernel[i] - 1) * dil[i] + 1;
    int64_t need = (y.shape[2 + i] - 1) * strides[i] + ext - x.shape[2 + i] - pads[i];
    // oneDNN floors like ONNX, so a right padding larger than needed is fine as given.
    if (need > pr[i]) {
      if (!is_max) return decline();
      pr[i] = need;
    }
  }
  dnnl::algorithm alg = dnnl::algorithm::pooling_max;
  if (!is_max) {
    bool include = n.attrs.get_int("count_include_pad", 0) != 0;
    alg = include ? dnnl::algorithm::pooling_avg_include_padding : dnnl::algorithm::pooling_avg_exclude_padding;
  }
  memory::desc dst_md(to_dims(y.shape), memory::data_type::f32, memory::format_tag::any);
  dnnl::pooling_v2_forward::desc d(dnnl::prop_kind::forward_inference, alg, in[0], dst_md, {strides[0], strides[1]},
                                   {kernel[0], kernel[1]}, {dil[0] - 1, dil[1] - 1}, {pads[0], pads[1]},
                                   {pr[0], pr[1]});
  dnnl::pooling_v2_forward::primitive_desc pd(d, base_attr(), eng);
  auto k = std::make_unique<DnnlKernel>();
  k->impl = std::string("onednn:pool(") + pd.impl_info_str() + ")";
  k->prim = dnnl::pooling_v2_forward(pd);
  k->input_descs = {in[0]};
  k->input_args = {{DNNL_ARG_SRC, 0}};
  k->output_descs = {pd.dst_desc()};
  k->output_args = {{DNNL_ARG_DST, 0}};
  k->scratchpad_desc = pd.scratchpad_desc();
  return k;
}

}  // namespace yq::runtime::fp32
