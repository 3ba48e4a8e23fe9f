// SPDX-License-Identifier: Apache-2.0
// remove_identity: bypasses Identity, and Dropout at inference (output 0 = input 0).
//
// Fires on Identity, and on Dropout whose mask output (1) is absent or unused and whose
// training_mode input (opset >= 12) is absent or a constant false.
//
// When the node's output y is not a graph output, every reader of y reads the input x instead.
// When y IS a graph output, its name is part of the model's interface and must stay, so the node
// that produces x is made to write y directly (x's other readers then read y). That is only
// possible when x has a producer and is not itself a graph output; when x is a graph input, a
// constant, or another graph output, the node is kept (the runtime copies, which is cheap and
// rare).
#pragma once

#include "ir/passes/pass.h"

namespace yq::ir {

class RemoveIdentity final : public Pass {
 public:
  const char* name() const override { return "remove_identity"; }
  bool match(const Graph& g, NodeId n) const override;
  Expected<bool> apply(Graph& g, NodeId n) override;
};

}  // namespace yq::ir
