// SPDX-License-Identifier: Apache-2.0
// Depthwise-input equalization: per-channel activation scales for the input of a depthwise conv,
// expressed with per-tensor quantization only.
//
// Why: a depthwise conv's output channel sees one input channel, so with one per-tensor scale for
// its input (set by the widest channel) the narrow channels keep only a few codes, or none:
// YOLOX-Nano's stem output spans channel maxima from 0.15 to 120, and the channel-loss rule
// (quant/channel_loss.h) has to keep that depthwise conv float, with its float producer (0.8 ms of
// a 6 ms INT8 run). Per-channel activation scales would fix it, but TensorRT, ORT's QDQ fusions and
// yoloq's int8 kernels all take per-tensor activations. Equalization gets the same effect within
// that convention (cross-layer equalization, Nagel et al. 2019, extended past a non-linearity):
//
//   X = act(P(x))  ->  D(X)        becomes        X' = act(P(x)) * k  ->  D'(X'),  D'.W[o] = D.W[o] / k[c(o)]
//
// which computes the same function in float. The producer's per-channel factors k live in its
// FusedConv channel scale S (ir/fused_ops.md: after the activation; folded into the output scales
// when the activation commutes with positive factors); D's weights are quantized per output
// channel, which is invariant to the per-channel division, so D's integer weights do not change.
// With k[c] = T / min(r[c], T), r[c] the channel's calibrated max |x| and T the per-tensor
// threshold the calibrator picked for X, X' quantized per tensor at T / 127 is X quantized per
// channel at min(r[c], T) / 127: every channel uses its full range, the outlier channels beyond T
// are clipped as before. X' has no zero point (it could not follow the channels): symmetric s8,
// or u8 from 0 when X never goes below zero.
//
// Where (QuantPolicy::equalize_depthwise): kLossy equalizes the depthwise convs the channel-loss
// rule would otherwise keep float; kAll every eligible one. Eligible: a quantized depthwise conv D
// whose input X is no graph output and is written by a Conv/FusedConv without
// residual or channel scale, directly or through a yq Activation (a table activation,
// quant/split_activations.h) whose input that conv writes for it alone; that Activation is folded
// back into the conv (the factors come after the activation, so no table can carry them).
// X may have other readers when each is a conv that reads it as its input 0, with a constant
// weight: a depthwise conv, or an ungrouped conv whose input channels then take the division (its
// per-output-channel weight scales change, its float function does not). YOLOv6Lite-S's heads read
// each level with a classification and a box depthwise conv; its stride-2 blocks read their input
// with a depthwise and a 1x1 conv.
// Or X is a channel Concat of such values (each read by the Concat alone): each piece's conv
// takes the factors of its channels. Why: YOLOv6Lite-S's stride-2 blocks join two branches in a
// Concat before a depthwise conv, channel maxima from 0.27 to 131 under one scale: with every conv
// INT8, keeping the first of them float alone gave back 10 mAP (one-float sensitivity sweep).
#pragma once

#include <optional>
#include <vector>

#include "base/status.h"
#include "ir/graph.h"
#include "quant/tensor_stats.h"

namespace yq::quant {

// One conv writing channels [offset, offset + channels) of X: X itself, or one input of X's Concat.
struct EqualizePiece {
  ir::ValueId value = ir::kNoValue;   // what the piece writes (X, or the Concat's input)
  ir::NodeId producer = ir::kNoNode;  // the conv computing it (through `table`, when set)
  ir::NodeId table = ir::kNoNode;     // a yq Activation between the conv and the value, or kNoNode
  int64_t offset = 0, channels = 0;
};

struct EqualizeSite {
  ir::NodeId depthwise = ir::kNoNode;
  ir::ValueId input = ir::kNoValue;  // X
  ir::NodeId concat = ir::kNoNode;   // the channel Concat writing X, or kNoNode (one piece: X's conv)
  std::vector<EqualizePiece> pieces;
  std::vector<ir::NodeId> readers;   // every conv reading X (the depthwise conv among them)
};

// The site when depthwise conv `dw` is eligible (see above); nullopt otherwise. Does not look at
// the quantization policy.
std::optional<EqualizeSite> equalization_site(const ir::Graph& g, const ir::Node& dw);

// The largest factor k gives a channel (a channel 1/4096 of T wide or narrower gets this).
inline constexpr float kMaxEqualizeFactor = 4096.f;

// Rewrites `site` in `g` after apply_quantization set X's per-tensor QParams without zero point
// (scale T/qmax) and D's weight QParams: folds the table Activation (if any) into the conv, gives the conv
// its channel scale k (from `stats` of X: TensorStats::channel_abs_max), divides D's weight (a new
// constant) and recomputes its per-channel QParams. Errors: X without such QParams or
// without per-channel statistics, a site that no longer matches the graph.
Status equalize_depthwise_input(ir::Graph& g, const EqualizeSite& site, const TensorStats& stats);

}  // namespace yq::quant
