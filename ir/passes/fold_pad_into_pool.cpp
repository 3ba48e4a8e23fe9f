// SPDX-License-Identifier: Apache-2.0
#include "ir/passes/fold_pad_into_pool.h"

#include <optional>

#include "ir/passes/pattern_utils.h"

namespace yq::ir {
namespace {

// The pool's ONNX `pads` ([x1_begin, x2_begin, ..., x1_end, x2_end]) taken from the Pad feeding
// pool node `n`, or nullopt when the pattern does not hold.
std::optional<std::vector<int64_t>> pool_pads_from_pad(const Graph& g, const Node& n) {
  if (n.op_type != "AveragePool" || !n.domain.empty() || n.inputs().size() != 1) return std::nullopt;
  if (n.attrs.get_int("ceil_mode", 0) != 0 || n.attrs.get_string("auto_pad", "NOTSET") != "NOTSET") return std::nullopt;
  for (int64_t p : n.attrs.get_ints("pads", {}))
    if (p != 0) return std::nullopt;
  const ValueId x = n.input(0);
  if (x == kNoValue || has_qparams(g, x) || g.is_graph_output(x)) return std::nullopt;
  const NodeId pid = g.value(x).producer();
  if (pid == kNoNode || g.value(x).consumers().size() != 1) return std::nullopt;
  const Node& pad = g.node(pid);
  if (pad.op_type != "Pad" || !pad.domain.empty() || pad.output(0) != x) return std::nullopt;
  if (pad.attrs.get_string("mode", "constant") != "constant") return std::nullopt;
  std::vector<int64_t> pads;
  if (pad.inputs().size() >= 2 && pad.input(1) != kNoValue) {  // opset 11+
    if (pad.inputs().size() >= 4 && pad.input(3) != kNoValue) return std::nullopt;  // axes (opset 18)
    auto p = constant_ints(g, pad.input(1));
    if (!p) return std::nullopt;
    pads = *p;
    if (pad.inputs().size() >= 3 && pad.input(2) != kNoValue) {
      auto v = constant_scalar(g, pad.input(2));
      if (!v || *v != 0.0) return std::nullopt;
    }
  } else {
    pads = pad.attrs.get_ints("pads", {});
    if (pad.attrs.get_float("value", 0.f) != 0.f) return std::nullopt;
  }
  const size_t rank = g.value(x).shape.size();
  if (rank < 3 || pads.size() != 2 * rank) return std::nullopt;
  std::vector<int64_t> begin, end;
  for (size_t d = 0; d < rank; ++d) {
    if (pads[d] < 0 || pads[rank + d] < 0) return std::nullopt;
    if (d < 2) {
      if (pads[d] != 0 || pads[rank + d] != 0) return std::nullopt;  // batch or channels padded
      continue;
    }
    begin.push_back(pads[d]);
    end.push_back(pads[rank + d]);
  }
  begin.insert(begin.end(), end.begin(), end.end());
  return begin;
}

}  // namespace

bool FoldPadIntoPool::match(const Graph& g, NodeId n) const { return pool_pads_from_pad(g, g.node(n)).has_value(); }

Expected<bool> FoldPadIntoPool::apply(Graph& g, NodeId n) {
  auto pads = pool_pads_from_pad(g, g.node(n));
  if (!pads) return false;
  const ValueId padded = g.node(n).input(0);
  const ValueId source = g.node(g.value(padded).producer()).input(0);
  g.set_node_input(n, 0, source);
  g.node(n).attrs.set("pads", *pads);
  g.node(n).attrs.set("count_include_pad", int64_t{1});
  return true;
}

}  // namespace yq::ir
