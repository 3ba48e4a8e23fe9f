// SPDX-License-Identifier: Apache-2.0
// unfuse_for_export: expands a yq FusedConv (ir/fused_ops.md) back into standard ONNX ops, so a
// graph can be written as plain ONNX (the QDQ exporter, quant/qdq_export.h).
//
//   y = act(conv(X, W) + B) + R   ->   Conv(X, W, B) -> <act ops> [-> Add(., R)] -> y
//
// Activations (opset-13 ops; HardSwish itself needs opset 14, so it is written decomposed):
//   relu -> Relu; leaky_relu -> LeakyRelu(alpha); sigmoid -> Sigmoid; tanh -> Tanh;
//   silu -> Sigmoid + Mul(x, sigmoid(x)); hardswish -> HardSigmoid(alpha, beta) + Mul;
//   hardsigmoid -> HardSigmoid(alpha, beta); clip -> Clip(x, min, max) with constant f32 scalars.
// The Conv keeps the FusedConv's id, name and Conv attributes; the last node of the chain writes
// the FusedConv's output Value (name, shape and QParams stay where they were); intermediate values
// are new and carry no QParams, so SiLU's Sigmoid and Mul are never quantized apart.
// A yq Activation node becomes the same chain of ops, reading its input and writing its output
// Value (so both keep their QParams: the pre-activation stays quantized in the export).
// Always matches a FusedConv or Activation; an unknown activation string is kInvalidModel naming the node.
#pragma once

#include "ir/passes/pass.h"

namespace yq::ir {

class UnfuseForExport final : public Pass {
 public:
  const char* name() const override { return "unfuse_for_export"; }
  bool match(const Graph& g, NodeId n) const override;
  Expected<bool> apply(Graph& g, NodeId n) override;
};

}  // namespace yq::ir
