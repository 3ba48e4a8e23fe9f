// SPDX-License-Identifier: Apache-2.0
// absorb_qdq: turns ONNX QuantizeLinear/DequantizeLinear into yoloq's one representation of a
// quantized model, qparams on ir::Value (ir/quantized_ir.md). Runs first in the pipeline, before
// constant folding (which would evaluate DQ(initializer) and lose its scale) and before any fusion.
//
// Fires on
//  * a QuantizeLinear `x -> Q(s, z[, axis]) -> q` with constant s (and z) whose output is read by
//    DequantizeLinear nodes: x gets qparams {s, z, axis, dtype of z (u8 when absent), the dtype's
//    full range}; the readers of every DQ output read x instead; Q and the DQs are removed. A DQ
//    output that is a graph output keeps its name (x's producer writes it instead, or, when x has
//    no producer, the graph output reads x).
//  * a DequantizeLinear of a constant initializer (i8/u8, or i32 biases): the DQ output becomes an
//    f32 constant holding the dequantized values, with the matching qparams (per-channel when the
//    scale is 1-D; i32 has no int8 qparams, so a bias becomes a plain f32 constant).
// Errors (each names the node): a Q output also read by a non-DQ node or that is itself a graph
// output; a DQ whose scale/zero point/axis differ from its Q's ("inconsistent scales"); x already
// carrying different qparams (two Q's of one tensor, naming both, or qparams set before import);
// x also read directly by other nodes (they would start reading the quantized value).
// A Q or DQ with non-constant parameters is left alone (the reference kernels run it).
#pragma once

#include <map>
#include <string>

#include "ir/passes/pass.h"

namespace yq::ir {

class AbsorbQdq final : public Pass {
 public:
  const char* name() const override { return "absorb_qdq"; }
  bool match(const Graph& g, NodeId n) const override;
  Expected<bool> apply(Graph& g, NodeId n) override;

 private:
  std::map<ValueId, std::string> origin_;  // value -> name of the Q node whose qparams it carries
};

}  // namespace yq::ir
