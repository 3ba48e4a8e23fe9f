// SPDX-License-Identifier: Apache-2.0
// fuse_conv_channel_scale: folds a per-channel Mul after a convolution into the FusedConv's
// channel scale S (ir/fused_ops.md: y = act(conv(X, W) + B) * S + R), so the runtime applies it in
// the conv's epilogue.
//
// Why: yoloq's depthwise-input equalization (quant/equalize_depthwise.h) gives a conv output
// per-channel factors after its activation; the QDQ export writes them as a Mul by a [1, M, 1, 1]
// constant, and this pass takes them back in on import.
//
// Fires on Mul(c, s) (either input order) where c is the output 0 of an ONNX Conv, or of a
// FusedConv with no residual and no channel scale, read only by this Mul (not a graph output,
// no qparams), and s is an f32 constant with M = c's channel count elements, shaped [1, M, 1, ...]
// or [M, 1, ...] (one factor per output channel, broadcast over the rest). A conv without an
// activation whose weight and bias are plain f32 constants takes the factors into W and B
// instead (exact, and no epilogue); otherwise they become input 4. The fused node keeps the
// conv's id and name and writes the Mul's output Value.
#pragma once

#include "ir/passes/pass.h"

namespace yq::ir {

class FuseConvChannelScale final : public Pass {
 public:
  const char* name() const override { return "fuse_conv_channel_scale"; }
  bool match(const Graph& g, NodeId n) const override;
  Expected<bool> apply(Graph& g, NodeId n) override;
};

}  // namespace yq::ir
