// SPDX-License-Identifier: Apache-2.0
// The shape of every graph rewrite: a name, a read-only `match` at one node, and an `apply` that
// rewrites there and reports whether anything changed. A failed precondition simply declines
// (match returns false); apply errors only on genuinely invalid models.
#pragma once

#include "base/status.h"
#include "ir/graph.h"

namespace yq::ir {

class Pass {
 public:
  virtual ~Pass() = default;
  virtual const char* name() const = 0;  // verb_object, e.g. "fold_batchnorm"
  virtual bool match(const Graph& g, NodeId n) const = 0;
  virtual Expected<bool> apply(Graph& g, NodeId n) = 0;
};

// Runs `pass` once over the graph: every live node in topological order (as of the start) that
// is still alive and matches gets apply()'d. Returns how many applications changed the graph.
Expected<int> run_pass_once(Graph& g, Pass& pass);

}  // namespace yq::ir
