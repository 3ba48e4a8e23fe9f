// SPDX-License-Identifier: Apache-2.0
// fold_space_to_depth_conv: YOLOv5 (before v6.0) and YOLOX open with a "Focus" stem: four
// strided Slices take the 2x2 pixel phases of the image, a Concat stacks them on channels, and a
// k x k stride-s conv reads the half-resolution result. That conv equals one 2k x 2k stride-2s conv
// on the image itself (YOLOv5 v6.0 replaced Focus by its 6x6 stride-2 equivalent for exactly this
// reason), with pads doubled and
//     W'[o, c, 2*ky + dy, 2*kx + dx] = W[o, p*C + c, ky, kx]
// where p is the Concat position of phase (dy, dx) and C the image's channels: half-resolution
// row y*s + ky - pad of phase dy is image row 2*(y*s + ky - pad) + dy.
//
// The fold removes four to eight Slices, the Concat and the copies between them (in INT8 the
// Slices and the reorder of the stacked tensor cost YOLOX-Nano about 0.3 ms of 3.2).
//
// Fires on an ONNX Conv (group 1, dilation 1, explicit pads, constant f32 weight) whose input is
// read only by it and is a channel Concat of exactly the four phases of one rank-4 tensor, each
// phase one Slice or a chain of Slices (constant starts/ends/axes/steps) that read nothing else
// and take start dy (dx) with step 2 to the end of H (W). The Concat and Slices become dead and
// eliminate_dead_nodes removes them.
#pragma once

#include "ir/passes/pass.h"

namespace yq::ir {

class FoldSpaceToDepthConv final : public Pass {
 public:
  const char* name() const override { return "fold_space_to_depth_conv"; }
  bool match(const Graph& g, NodeId n) const override;
  Expected<bool> apply(Graph& g, NodeId n) override;
};

}  // namespace yq::ir
