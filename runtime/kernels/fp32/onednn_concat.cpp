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
  std::vector<int> used;  // node input index of each src (zero-sized inputs are skipped)
  for (size_t i = 0; i < n.inputs().size(); ++i) {
    if (n.input(i) == ir::kNoValue || in[i].is_zero()) return decline();
    const ir::Value& v = g.value(n.input(i));
    if (v.dtype != DType::kF32 || static_cast<int64_t>(v.shape.size()) != rank) return decline();
    if (shape_numel(v.shape) == 0) continue;
    used.push_back(static_cast<int>(i));
  }
  if (used.empty()) return decline();
  // oneDNN's reference concat (inputs in mixed layouts) is far slower than reordering the blocked
  // inputs to plain and running the plain kernel (plain_kernels.h): decline.
  return make_concat_kernel(n, static_cast<int>(axis), in, used, /*allow_ref=*/false, "onednn:concat", eng);
}

std::unique_ptr<DnnlKernel> make_concat_kernel(const ir::Node& n, int axis, std::span<const memory::desc> in,
                                               const std::vector<int>& used, bool allow_ref, const char* label,
                                               const dnnl::engine& eng) {
  std::vector<memory::desc> srcs;
  for (int i : used) srcs.push_back(in[i]);
  dnnl::concat::primitive_desc pd(axis, srcs, eng, base_attr());
  if (!allow_ref && std::string(pd.impl_info_str()).rfind("ref", 0) == 0) return nullptr;
  auto k = std::make_unique<DnnlKernel>();
  k->impl = std::string(label) + "(" + pd.impl_info_str() + ")";
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
