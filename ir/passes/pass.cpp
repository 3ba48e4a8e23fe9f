// SPDX-License-Identifier: Apache-2.0
#include "ir/passes/pass.h"

namespace yq::ir {

Expected<int> run_pass_once(Graph& g, Pass& pass) {
  int count = 0;
  for (NodeId n : g.topo_order()) {
    if (!g.node(n).alive() || !pass.match(g, n)) continue;
    auto r = pass.apply(g, n);
    if (!r.ok()) return r.status().with_context(std::string(pass.name()) + " at node '" + g.node(n).name + "'");
    if (*r) ++count;
  }
  return count;
}

}  // namespace yq::ir
