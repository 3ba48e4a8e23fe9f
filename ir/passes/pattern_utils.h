// SPDX-License-Identifier: Apache-2.0
// Small read-only queries shared by the rewrite passes in this folder (selection helpers, in the
// spirit of ORT's qdq_selectors): "is this value read only by that node", "is this input a
// constant f32 tensor", "is this a conv we may rewrite". None of them edits the graph.
#pragma once

#include <optional>
#include <vector>

#include "base/tensor.h"
#include "ir/graph.h"

namespace yq::ir {

// The fused convolution that passes create (ir/fused_ops.md): inputs X, W, B?, R?, S?.
inline constexpr const char* kFusedConvOpType = "FusedConv";
inline constexpr const char* kActivationOpType = "Activation";
inline constexpr const char* kYqDomain = "yq";
inline constexpr size_t kFusedConvResidualInput = 3;
inline constexpr size_t kFusedConvChannelScaleInput = 4;

// True when `v` is read exactly once, by node `consumer`, is not a graph output and carries no
// qparams: the precondition for folding the producer of `v` into `consumer` (nobody else sees
// `v`, and no consumer reads it fake-quantized, which a fusion would silently drop).
bool only_consumer_is(const Graph& g, ValueId v, NodeId consumer);

// True when `v` is a value with qparams (ir/quantized_ir.md). Passes that would eliminate such a
// value, or rewrite a quantized weight, decline.
bool has_qparams(const Graph& g, ValueId v);

// The constant tensor held by `v` when it is an f32 constant; nullptr otherwise (also for kNoValue).
const Tensor* constant_f32(const Graph& g, ValueId v);

// The single element of a constant with exactly one element (scalar or [1]), read as double.
std::optional<double> constant_scalar(const Graph& g, ValueId v);

// The elements of an integer constant (int64/int32/...; not f32), e.g. Slice starts or Gather
// indices; nullopt for anything else (also for kNoValue).
std::optional<std::vector<int64_t>> constant_ints(const Graph& g, ValueId v);

// An ONNX Conv in the default domain.
bool is_onnx_conv(const Node& n);
// A yq FusedConv.
bool is_fused_conv(const Node& n);
// A yq Activation node (ir/fused_ops.md): one activation on its own, between quantized values.
bool is_activation_node(const Node& n);
// A FusedConv with no activation, residual or channel scale: it still behaves like a plain Conv
// with bias, so an activation or residual may still be folded after it.
bool is_plain_fused_conv(const Node& n);
bool has_residual(const Node& n);
bool has_channel_scale(const Node& n);

// A 2-d convolution whose weight (input 1) is a constant f32 [Co, Ci/group, kh, kw] tensor and
// whose bias (input 2) is absent or a constant f32 [Co]: what the weight-folding passes require.
// False when the weight or bias carries qparams: folding new values into a quantized weight
// would change what the quantized model computes.
bool has_constant_conv_params(const Graph& g, const Node& conv);

// Turns `n` (a Conv or FusedConv) into a FusedConv in place, keeping its id, name, inputs and
// Conv attributes; sets `activation` to "" if it had none.
void make_fused_conv(Graph& g, NodeId n);

// Gives conv `n` (a Conv or a FusedConv without one) the channel scale S = `factors`
// (ir/fused_ops.md, input 4) as a new constant named after `prefix`: makes it a FusedConv and
// fills the absent bias / residual slots with kNoValue.
void set_channel_scale(Graph& g, NodeId n, const std::string& prefix, const std::vector<double>& factors);

// Moves FusedConv `n`'s activation into a yq Activation node after it:
//   FusedConv(X, W, B; act) -> y    becomes    FusedConv(X, W, B) -> t -> Activation(act) -> y
// `t` is a new value "<y>_preact" (unique); y keeps its id, name and consumers. The conv must have
// an activation and no residual or channel scale (those come after the activation). Returns the
// Activation node's id. Used by quant/split_activations (tables) and the engine (the SiLU pass).
NodeId split_activation(Graph& g, NodeId n);

// The same for a FusedConv with a residual (and no channel scale), whose add comes after the
// activation (ir/fused_ops.md):
//   FusedConv(X, W, B, R; act) -> y    becomes
//   FusedConv(X, W, B) -> t -> Activation(act) -> a -> Add(a, R) -> y
// `t` ("<y>_preact") and `a` ("<y>_act") are new values; y keeps its id, name and consumers.
// Returns the Activation node's id. Used by quant/split_activations (table + add, int8::TableAdd).
NodeId split_residual_activation(Graph& g, NodeId n);

// The residual Add that alone reads value `a` (not a graph output): a two-input ONNX Add whose
// other input R is a non-constant value of a's shape. What split_residual_activation leaves after
// its Activation; the quantization policy and the INT8 engine's table + add both look for it.
struct ResidualAdd {
  NodeId add = kNoNode;
  ValueId residual = kNoValue;  // R
};
std::optional<ResidualAdd> residual_add_after(const Graph& g, ValueId a);

// Removes `doomed` (which must be the only reader of `keep`'s output 0, directly or through
// nodes also listed) and makes `keep` write `out` instead, so that downstream names stay. The old
// output of `keep` becomes unreferenced; sweep_values() removes it.
void replace_output_with(Graph& g, NodeId keep, const std::vector<NodeId>& doomed, ValueId out);

// A new f32 constant with a unique name derived from `prefix`.
ValueId add_f32_constant(Graph& g, const std::string& prefix, const std::vector<double>& data, const Shape& shape);

}  // namespace yq::ir
