// SPDX-License-Identifier: Apache-2.0
// fold_constants: removes a node all of whose outputs already hold a constant tensor.
//
// Shape inference with a ConstantEvaluator (ir/shape_inference.h) stores the value of every node
// whose inputs are all constant on its outputs (`Value::constant`), e.g. the Shape -> Gather ->
// Concat -> Reshape chains of exported models. Once that is done the node itself is redundant:
// its consumers keep reading the same Values, which now stand as constants with no producer.
// Fires on any live node with at least one output and every (non-omitted) output constant. This
// pass does not evaluate anything itself.
#pragma once

#include "ir/passes/pass.h"

namespace yq::ir {

class FoldConstants final : public Pass {
 public:
  const char* name() const override { return "fold_constants"; }
  bool match(const Graph& g, NodeId n) const override;
  Expected<bool> apply(Graph& g, NodeId n) override;
};

}  // namespace yq::ir
