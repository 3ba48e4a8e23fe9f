// SPDX-License-Identifier: Apache-2.0
// merge_repvgg_branches: re-parameterises a RepVGG / RepOpt training-time block into one 3x3 Conv.
//
// Fires on an Add whose terms (its two inputs, or the three inputs of a chain of two Adds where
// the inner Add is read only by the outer one) are, all reading the same input X:
//   * exactly one 3x3 ONNX Conv, pads 1, dilation 1          (the dense branch, required)
//   * at most one 1x1 ONNX Conv, pads 0, same stride/group/Co (the 1x1 branch)
//   * at most one identity: X itself or a BatchNormalization of X with constant parameters, only
//     when X has as many channels as the convs produce and the stride is 1
// with at least two terms; each conv/BN term is read only by its Add and is not a graph output;
// weights and biases are f32 constants. Run it after fold_batchnorm, so the branches' BNs are
// already folded into plain Convs with bias. The 3x3 Conv takes the merged weight and bias and
// the outer Add's output Value; the other branches and the Adds are removed. The activation after
// the block is then fused by fuse_conv_act.
#pragma once

#include "ir/passes/pass.h"

namespace yq::ir {

class MergeRepvggBranches final : public Pass {
 public:
  const char* name() const override { return "merge_repvgg_branches"; }
  bool match(const Graph& g, NodeId n) const override;
  Expected<bool> apply(Graph& g, NodeId n) override;
};

}  // namespace yq::ir
