// SPDX-License-Identifier: Apache-2.0
// fuse_conv_add: folds a residual Add into the convolution before it, as FusedConv's R input
// (ir/fused_ops.md: y = act(conv(X, W) + B) + R, a oneDNN sum post-op).
//
// Fires on Add(c, r) (either input order) where c is the output of an ONNX Conv or of a FusedConv
// without a residual, c is read only by this Add and is not a graph output, and r has the same
// dtype and known shape as c (no broadcasting). FusedConv applies its activation before R, so this
// is exactly YOLO's `x + act(conv(x))` once fuse_conv_act has run; `act(conv(x) + r)` never
// matches, because there the Add reads the conv directly and the activation stays after it.
// The fused node keeps the conv's id and name and writes the Add's output Value.
#pragma once

#include "ir/passes/pass.h"

namespace yq::ir {

class FuseConvAdd final : public Pass {
 public:
  const char* name() const override { return "fuse_conv_add"; }
  bool match(const Graph& g, NodeId n) const override;
  Expected<bool> apply(Graph& g, NodeId n) override;
};

}  // namespace yq::ir
