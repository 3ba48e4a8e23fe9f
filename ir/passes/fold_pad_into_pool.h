// SPDX-License-Identifier: Apache-2.0
// fold_pad_into_pool: a constant zero Pad of the spatial dims followed by an AveragePool becomes
// the pool's own padding with count_include_pad = 1, which computes the same thing (the padded
// zeros enter every window's sum and count).
//
// Why: FastestDet's neck pads P3 explicitly before its 3x3/s2 average pool. In INT8 that Pad sat
// between a dequantize and the pool, so the pool ran in float with a dequantize (0.04 ms), the Pad
// (0.03 ms) and the f32 pool (0.06 ms) around it; with the padding in the pool, the pool reads the
// int8 codes directly (runtime: int8 nhwc average pooling).
//
// Fires on an AveragePool (ceil_mode 0, auto_pad NOTSET, no pads of its own) whose input is the
// output 0 of a Pad read only by it, without qparams, in "constant" mode with value 0 (absent, or a
// constant zero), with constant non-negative pads on the spatial dims only (opset 11+ inputs or
// the older attribute). The Pad becomes dead.
#pragma once

#include "ir/passes/pass.h"

namespace yq::ir {

class FoldPadIntoPool final : public Pass {
 public:
  const char* name() const override { return "fold_pad_into_pool"; }
  bool match(const Graph& g, NodeId n) const override;
  Expected<bool> apply(Graph& g, NodeId n) override;
};

}  // namespace yq::ir
