// SPDX-License-Identifier: Apache-2.0
// Resize on oneDNN's resampling primitive, only where oneDNN's coordinate mapping equals ONNX's.
//
// oneDNN maps dst index o to src coordinate (o + 0.5) / F - 0.5 with F = dst/src.
// * linear: that is ONNX half_pixel exactly (both clamp at the borders), so half_pixel linear
//   maps for any F; pytorch_half_pixel too as long as no output dim is 1.
// * nearest: oneDNN rounds that coordinate. For an integer F and o = kF + j (0 <= j < F) it is
//   k + (j + 0.5)/F - 0.5 with the fraction in (-0.5, 0.5), which rounds to k = floor(o / F):
//   ONNX asymmetric + floor. Other nearest modes or non-integer factors stay on the reference.
// N and C must not be resized, and ONNX's scale must equal dst/src exactly (when ONNX floors
// in*scale the mapping uses the given scale, not dst/src).
#include <cmath>

#include "runtime/kernels/fp32/onednn_kernel.h"

namespace yq::runtime::fp32 {

using dnnl::memory;

Expected<std::unique_ptr<DnnlKernel>> make_resize(const ir::Graph& g, const ir::Node& n,
                                                  std::span<const memory::desc> in, const dnnl::engine& eng) {
  if (n.inputs().empty() || n.outputs().size() != 1 || in[0].is_zero()) return decline();
  const ir::Value& x = g.value(n.input(0));
  const ir::Value& y = g.value(n.output(0));
  if (x.shape.size() != 4 || y.shape.size() != 4 || x.dtype != DType::kF32) return decline();
  if (x.shape[0] != y.shape[0] || x.shape[1] != y.shape[1]) return decline();
  // Opset 10's Resize(X, scales) has asymmetric semantics and no mode attributes: leave it to ref.
  if (n.inputs().size() < 3) return decline();
  // Scales, when given, must reproduce the output size exactly.
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
  const std::string mode = n.attrs.get_string("mode", "nearest");
  const std::string coord = n.attrs.get_string("coordinate_transformation_mode", "half_pixel");
  dnnl::algorithm alg;
  if (mode == "nearest") {
    if (coord != "asymmetric" || n.attrs.get_string("nearest_mode", "round_prefer_floor") != "floor") return decline();
    for (int i = 2; i < 4; ++i)
      if (y.shape[i] % x.shape[i] != 0) return decline();
    alg = dnnl::algorithm::resampling_nearest;
  } else if (mode == "linear") {
    bool ok = coord == "half_pixel" || (coord == "pytorch_half_pixel" && y.shape[2] > 1 && y.shape[3] > 1);
    if (!ok) return decline();
    alg = dnnl::algorithm::resampling_linear;
  } else {
    return decline();
  }
  memory::desc dst_md(to_dims(y.shape), memory::data_type::f32, memory::format_tag::any);
  dnnl::resampling_forward::desc d(dnnl::prop_kind::forward_inference, alg, in[0], dst_md);
  dnnl::resampling_forward::primitive_desc pd(d, base_attr(), eng);
  auto k = std::make_unique<DnnlKernel>();
  k->impl = std::string("onednn:resampling(") + pd.impl_info_str() + ")";
  k->prim = dnnl::resampling_forward(pd);
  k->input_descs.resize(n.inputs().size());
  k->input_descs[0] = in[0];
  k->input_args = {{DNNL_ARG_SRC, 0}};
  k->output_descs = {pd.dst_desc()};
  k->output_args = {{DNNL_ARG_DST, 0}};
  k->scratchpad_desc = pd.scratchpad_desc();
  return k;
}

}  // namespace yq::runtime::fp32
