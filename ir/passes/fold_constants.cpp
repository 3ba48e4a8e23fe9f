// SPDX-License-Identifier: Apache-2.0
#include "ir/passes/fold_constants.h"

namespace yq::ir {

bool FoldConstants::match(const Graph& g, NodeId id) const {
  const Node& n = g.node(id);
  bool any = false;
  for (ValueId out : n.outputs()) {
    if (out == kNoValue) continue;
    if (!g.value(out).is_constant()) return false;
    any = true;
  }
  return any;
}

Expected<bool> FoldConstants::apply(Graph& g, NodeId id) {
  if (!match(g, id)) return false;
  // remove_node() detaches the outputs from their producer; they stay alive (consumers and graph
  // outputs still reference them) and verify() accepts a constant with no producer.
  g.remove_node(id);
  return true;
}

}  // namespace yq::ir
