// SPDX-License-Identifier: Apache-2.0
// fold_channel_shuffle: ShuffleNetV2 backbones (NanoDet, FastestDet, PicoDet...) shuffle channels
// with Reshape -> Transpose -> Reshape and then split the result with Split, Slice or Gather.
// Each tensor that comes out of such a chain is only a selection of the source's channels, so it
// is rewritten as one Gather(source, indices, axis=1):
//     NanoDet   Concat(a, b) -> Reshape[1,2,C/2,H,W] -> Transpose(0,2,1,3,4) -> Reshape -> Split
//               gives indices [0, C/2, 1, C/2+1, ...] and [C/4, 3C/4, ...] (interleaves);
//     FastestDet Concat -> Reshape[C/2,2,HW] -> Transpose(1,0,2) -> Reshape[2,1,C/2,H,W] -> Gather
//               gives [0, 2, 4, ...] and [1, 3, 5, ...] (even and odd channels).
// Why: the chain's rank-3/5 shapes only exist in a plain layout, so the engine had to reorder the
// convolutions' blocked/nhwc outputs to plain and back around every block (NanoDet-m INT8: 23
// reorders, 0.3 ms of 1.8). A channel Gather on a rank-4 tensor keeps the layout: the INT8 engine
// runs it per pixel on nhwc data.
//
// Fires on a Transpose when walking back through single-reader Reshape/Flatten/Squeeze/Unsqueeze
// reaches a rank-4 source [N, C, H, W] with a known shape, and every value reachable from the
// source through data-movement ops (Reshape, Flatten, Squeeze, Unsqueeze, Identity, Transpose,
// Gather, Slice, Split with constant operands) is either read only by such ops or is a rank-4
// [N, C', H, W] tensor whose elements are source elements of the same n, y, x (a channel
// selection, checked element by element by tracking source indices through the chain). Those
// tensors get a Gather from the source; the old chain becomes dead.
#pragma once

#include "ir/passes/pass.h"

namespace yq::ir {

class FoldChannelShuffle final : public Pass {
 public:
  const char* name() const override { return "fold_channel_shuffle"; }
  bool match(const Graph& g, NodeId n) const override;
  Expected<bool> apply(Graph& g, NodeId n) override;
};

}  // namespace yq::ir
