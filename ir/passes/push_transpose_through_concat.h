// SPDX-License-Identifier: Apache-2.0
// push_transpose_through_concat: Transpose(Concat(x_1..x_n, axis a), perm)
//                                  -> Concat(Transpose(x_1, perm)..Transpose(x_n, perm), axis a')
// with perm[a'] = a. The data moved is the same; what changes is that each Transpose now reads
// one part directly. A detection head that flattens each level, concatenates the levels and
// transposes the result (YOLOX, YOLOv6: [1,85,H*W] per level -> [1,85,N] -> [1,N,85]) gets a
// Reshape -> Transpose pair per level, which the engine runs as one strided copy out of the conv's
// NHWC output; before, it reordered each level to NCHW, concatenated and transposed the whole
// output again (YOLOX-Nano INT8: 0.43 -> 0.12 ms).
//
// Fires when the Concat's only reader is the Transpose (so nothing else needs the concatenated
// tensor), the Concat output is no graph output, and neither value carries qparams (a
// quantization point would move). The Transpose's output value (often the graph output) keeps
// its name: the new Concat writes it.
#pragma once

#include "ir/passes/pass.h"

namespace yq::ir {

class PushTransposeThroughConcat final : public Pass {
 public:
  const char* name() const override { return "push_transpose_through_concat"; }
  bool match(const Graph& g, NodeId n) const override;
  Expected<bool> apply(Graph& g, NodeId n) override;
};

}  // namespace yq::ir
