// SPDX-License-Identifier: Apache-2.0
// eliminate_dead_nodes: removes nodes whose results nobody reads.
//
// Fires on a node none of whose outputs is consumed by a live node or is a graph output (ONNX
// inference ops have no side effects). Removing it can make its producers dead in turn; apply()
// follows that chain upwards at once, so a whole dead subgraph goes in one run.
#pragma once

#include "ir/passes/pass.h"

namespace yq::ir {

class EliminateDeadNodes final : public Pass {
 public:
  const char* name() const override { return "eliminate_dead_nodes"; }
  bool match(const Graph& g, NodeId n) const override;
  Expected<bool> apply(Graph& g, NodeId n) override;
};

}  // namespace yq::ir
