// SPDX-License-Identifier: Apache-2.0
#include "ir/passes/eliminate_dead_nodes.h"

#include <vector>

namespace yq::ir {

bool EliminateDeadNodes::match(const Graph& g, NodeId id) const {
  const Node& n = g.node(id);
  if (!n.alive()) return false;
  for (ValueId out : n.outputs()) {
    if (out == kNoValue) continue;
    if (!g.value(out).consumers().empty() || g.is_graph_output(out)) return false;
  }
  return true;
}

Expected<bool> EliminateDeadNodes::apply(Graph& g, NodeId id) {
  if (!match(g, id)) return false;
  // Worklist over producers: run_pass_once visits nodes in topological order, so without this a
  // dead chain would lose only its last node per pipeline iteration.
  std::vector<NodeId> work{id};
  while (!work.empty()) {
    const NodeId cur = work.back();
    work.pop_back();
    if (!match(g, cur)) continue;
    const std::vector<ValueId> inputs = g.node(cur).inputs();
    g.remove_node(cur);
    for (ValueId in : inputs) {
      if (in == kNoValue) continue;
      const NodeId p = g.value(in).producer();
      if (p != kNoNode) work.push_back(p);
    }
  }
  return true;
}

}  // namespace yq::ir
