// SPDX-License-Identifier: Apache-2.0
#include "ir/graph_stats.h"

#include <set>

namespace yq::ir {
namespace {

// MACs of one node, 0 where shapes are unknown. Conv: every output element needs
// (C_in / group) · kH · kW multiply-adds; ConvTranspose: every input element scatters into
// (C_out / group) · kH · kW outputs.
int64_t node_macs(const Graph& g, const Node& n) {
  auto shape_of = [&](ValueId v) -> const Shape* {
    if (v == kNoValue || !g.value(v).shape_known) return nullptr;
    return &g.value(v).shape;
  };
  if (n.op_type == "Conv" || n.op_type == "FusedConv") {
    const Shape* w = shape_of(n.input(1));
    const Shape* y = shape_of(n.output(0));
    if (!w || !y) return 0;
    int64_t per_out = 1;
    for (size_t i = 1; i < w->size(); ++i) per_out *= (*w)[i];
    return shape_numel(*y) * per_out;
  }
  if (n.op_type == "ConvTranspose") {
    const Shape* x = shape_of(n.input(0));
    const Shape* w = shape_of(n.input(1));
    if (!x || !w) return 0;
    int64_t per_in = 1;
    for (size_t i = 1; i < w->size(); ++i) per_in *= (*w)[i];
    return shape_numel(*x) * per_in;
  }
  if (n.op_type == "Gemm" || n.op_type == "MatMul") {
    const Shape* a = shape_of(n.input(0));
    const Shape* y = shape_of(n.output(0));
    if (!a || !y || a->empty()) return 0;
    const int64_t k = (n.op_type == "Gemm" && n.attrs.get_int("transA", 0)) ? (*a)[0] : a->back();
    return shape_numel(*y) * k;
  }
  return 0;
}

}  // namespace

GraphStats compute_graph_stats(const Graph& g) {
  GraphStats s;
  std::set<ValueId> counted;
  for (NodeId id : g.live_nodes()) {
    const Node& n = g.node(id);
    ++s.op_histogram[n.op_type];
    s.macs += node_macs(g, n);
    for (ValueId in : n.inputs()) {
      if (in == kNoValue || !g.value(in).is_constant() || g.value(in).dtype != DType::kF32) continue;
      if (counted.insert(in).second) s.parameters += g.value(in).constant->numel();
    }
  }
  return s;
}

}  // namespace yq::ir
