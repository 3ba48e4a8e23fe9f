// SPDX-License-Identifier: Apache-2.0
#include "ir/passes/remove_identity.h"

#include "ir/passes/pattern_utils.h"

namespace yq::ir {

namespace {

bool is_bypassable_op(const Graph& g, const Node& n) {
  if (!n.domain.empty()) return false;
  if (n.op_type == "Identity") return true;
  if (n.op_type != "Dropout") return false;
  const ValueId mask = n.output(1);
  if (mask != kNoValue && (!g.value(mask).consumers().empty() || g.is_graph_output(mask))) return false;
  const ValueId training = n.input(2);
  if (training == kNoValue) return true;
  const auto t = constant_scalar(g, training);
  return t.has_value() && *t == 0.0;
}

// y is a graph output: can the producer of x write y instead?
bool can_rename_into_output(const Graph& g, ValueId x) {
  const Value& xv = g.value(x);
  return xv.producer() != kNoNode && !xv.is_constant() && !g.is_graph_input(x) && !g.is_graph_output(x);
}

}  // namespace

bool RemoveIdentity::match(const Graph& g, NodeId id) const {
  const Node& n = g.node(id);
  if (!is_bypassable_op(g, n)) return false;
  const ValueId x = n.input(0);
  const ValueId y = n.output(0);
  if (x == kNoValue || y == kNoValue) return false;
  // A quantization point on either side would vanish with the node (ir/quantized_ir.md).
  if (g.value(x).qparams || g.value(y).qparams) return false;
  if (!g.is_graph_output(y)) return true;
  return can_rename_into_output(g, x);
}

Expected<bool> RemoveIdentity::apply(Graph& g, NodeId id) {
  if (!match(g, id)) return false;
  const Node& n = g.node(id);
  const ValueId x = n.input(0);
  const ValueId y = n.output(0);
  if (!g.is_graph_output(y)) {
    g.replace_all_uses(y, x);
    g.remove_node(id);
    return true;
  }
  // Keep the graph-output name: x's producer writes y, and x's other readers read y.
  const NodeId p = g.value(x).producer();
  size_t slot = 0;
  while (g.node(p).output(slot) != x) ++slot;
  Value& yv = g.value(y);
  const Value& xv = g.value(x);
  if (!yv.shape_known && xv.shape_known) {
    yv.shape = xv.shape;
    yv.dtype = xv.dtype;
    yv.shape_known = true;
  }
  if (!yv.qparams && xv.qparams) yv.qparams = xv.qparams;
  g.remove_node(id);
  g.set_node_output(p, slot, y);
  g.replace_all_uses(x, y);
  return true;
}

}  // namespace yq::ir
