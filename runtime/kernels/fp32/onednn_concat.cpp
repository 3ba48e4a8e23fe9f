// SPDX-License-Identifier: Apache-2.0
// Concat on oneDNN's concat primitive. Inputs keep their layouts (blocked channel layouts stay
// blocked); oneDNN picks the dst layout from them.
#include "runtime/kernels/fp32/onednn_kernel.h"

namespace yq::runtime::fp32 {

using dnnl::memory;

Expected<std::unique_ptr<DnnlKernel>> make_concat(const ir::Graph& g, const ir::Node& n,
                                                  std::span<const memory::desc> in, const dnnl::engine& eng) {
  if (n.inputs().empty() || n.outputs().size() != 1) return decline();
  const ir::Value& y = g.value(n.output(0));
  if (y.dtype != DType::kF32 || y.shape.empty()) return decline();
  const int64_t rank = static_cast<int64_t>(y.shape.size());
  int64_t axis = n.attrs.get_int("axis", 0);
  if (axis < 0) axis += rank;
  if (axis < 0 || axis >= rank) return decline();
  std::vector<memory::desc> srcs;
  std::vector<int> used;  // node input index of each src (zero-sized inputs are skipped)
  for (size_t i = 0; i < n.inputs().size(); ++i) {
    if (n.input(i) == ir::kNoValue || in[i].is_zero()) return decline();
    const ir::Value& v = g.value(n.input(i));
    if (v.dtype != DType::kF32 || static_cast<int64_t>(v.shape.size()) != rank) return decline();
    if (shape_numel(v.shape) == 0) continue;
    srcs.push_back(in[i]);
    used.push_back(static_cast<int>(i));
  }
  if (srcs.empty()) return decline();
  dnnl::concat::primitive_desc pd(static_cast<int>(axis), srcs, eng, base_attr());
  // oneDNN's reference concat (inputs in mixed layouts) is far slower than reordering the blocked
  // inputs to plain and running the plain kernel (plain_kernels.h): decline.
  if (std::string(pd.impl_info_str()).rfind("ref", 0) == 0) return decline();
  auto k = std::make_unique<DnnlKernel>();
  k->impl = std::string("onednn:concat(") + pd.impl_info_str() + ")";
  k->prim = dnnl::concat(pd);
  k->input_descs.resize(n.inputs().size());
  for (size_t j = 0; j < used.size(); ++j) {
    k->input_descs[used[j]] = in[used[j]];
    k->input_args.push_back({DNNL_ARG_MULTIPLE_SRC + static_cast<int>(j), used[j]});
  }
  k->output_descs = {pd.dst_desc()};
  k->output_args = {{DNNL_ARG_DST, 0}};
  k->scratchpad_desc = pd.scratchpad_desc();
  return k;
}

}  // namespace yq::runtime::fp32
