// SPDX-License-Identifier: Apache-2.0
// fuse_conv_act: folds the activation that follows a convolution into a yq FusedConv
// (ir/fused_ops.md), so the runtime applies it as a oneDNN eltwise post-op.
//
// Fires on an activation whose input x is the output of an ONNX Conv, or of a FusedConv with no
// activation and no residual, when x is not a graph output and is read only by the activation:
//   Relu -> "relu"; LeakyRelu -> "leaky_relu" (alpha); Sigmoid -> "sigmoid"; Tanh -> "tanh";
//   HardSigmoid -> "hardsigmoid" (alpha, beta); HardSwish -> "hardswish" (1/6, 0.5);
//   Clip with constant (or absent) min/max -> "clip" (alpha=min, beta=max; Relu6 is 0..6).
// and on the two decomposed forms exporters emit, matched at the Mul:
//   Mul(x, Sigmoid(x)) -> "silu";  Mul(x, HardSigmoid(x)) with alpha=1/6, beta=0.5 -> "hardswish"
// (either Mul input order), when x is read by exactly the gate and the Mul, and the gate's output
// only by the Mul; and on a yq Activation node (its own attributes).
// When x carries qparams (a QDQ model quantizing the pre-activation, as yoloq's own exports do:
// quant/split_activations.h) x must stay a value, so the activation (unary or gated, whatever
// produces x) becomes one yq Activation node reading x instead; an Activation on such an x is left alone.
// The INT8 engine runs that node as a table over x's codes. The fused node keeps the conv's id and name and writes the activation's output
// Value, so downstream names stay; the activation nodes are removed.
#pragma once

#include "ir/passes/pass.h"

namespace yq::ir {

class FuseConvAct final : public Pass {
 public:
  const char* name() const override { return "fuse_conv_act"; }
  bool match(const Graph& g, NodeId n) const override;
  Expected<bool> apply(Graph& g, NodeId n) override;
};

}  // namespace yq::ir
