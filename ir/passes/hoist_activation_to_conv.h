// SPDX-License-Identifier: Apache-2.0
// hoist_activation_to_conv: moves an elementwise activation from after a chain of layout-only ops
// (Reshape, Transpose, Flatten, Squeeze, Unsqueeze) to the convolution that feeds the chain, where
// fuse_conv_act folds it into the conv's epilogue.
//
// Why: YOLOv5/YOLOv7 heads compute conv -> Reshape [1,3,85,H,W] -> Transpose -> Sigmoid: the
// sigmoid runs as its own pass over 25200x85 values (YOLOv5n: 0.26 ms of each run, FP32 and INT8
// alike) although it commutes with the reshapes. An elementwise op applied before or after a pure
// rearrangement of elements gives the same tensor.
//
// Fires on a Sigmoid, Relu, Tanh, LeakyRelu or HardSigmoid whose input comes, through one or more
// layout-only nodes (each output read only by the next, no qparams, not a graph output), from an
// ONNX Conv or a FusedConv without activation or residual whose output is read only by the chain.
// The activation then reads the conv output and the chain reads the activation's output; the
// chain's last output takes over the activation's readers.
#pragma once

#include "ir/passes/pass.h"

namespace yq::ir {

class HoistActivationToConv final : public Pass {
 public:
  const char* name() const override { return "hoist_activation_to_conv"; }
  bool match(const Graph& g, NodeId n) const override;
  Expected<bool> apply(Graph& g, NodeId n) override;
};

}  // namespace yq::ir
