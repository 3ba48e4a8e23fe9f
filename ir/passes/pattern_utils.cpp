// SPDX-License-Identifier: Apache-2.0
#include "ir/passes/pattern_utils.h"

namespace yq::ir {

bool only_consumer_is(const Graph& g, ValueId v, NodeId consumer) {
  if (v == kNoValue) return false;
  const Value& val = g.value(v);
  return val.consumers().size() == 1 && val.consumers()[0] == consumer && !g.is_graph_output(v) && !val.qparams;
}

bool has_qparams(const Graph& g, ValueId v) { return v != kNoValue && g.value(v).qparams.has_value(); }

const Tensor* constant_f32(const Graph& g, ValueId v) {
  if (v == kNoValue) return nullptr;
  const Value& val = g.value(v);
  if (!val.constant || val.constant->dtype() != DType::kF32) return nullptr;
  return &*val.constant;
}

std::optional<double> constant_scalar(const Graph& g, ValueId v) {
  if (v == kNoValue) return std::nullopt;
  const Value& val = g.value(v);
  if (!val.constant || val.constant->numel() != 1) return std::nullopt;
  const Tensor& t = *val.constant;
  if (t.dtype() == DType::kF32) return static_cast<double>(t.data<float>()[0]);
  if (t.dtype() == DType::kF16) return std::nullopt;  // no f16 conversion at the IR level yet
  return static_cast<double>(t.to_int64_vector()[0]);
}

std::optional<std::vector<int64_t>> constant_ints(const Graph& g, ValueId v) {
  if (v == kNoValue || !g.value(v).constant) return std::nullopt;
  const Tensor& t = *g.value(v).constant;
  if (t.dtype() != DType::kI64 && t.dtype() != DType::kI32) return std::nullopt;
  return t.to_int64_vector();
}

bool is_onnx_conv(const Node& n) { return n.op_type == "Conv" && n.domain.empty(); }

bool is_fused_conv(const Node& n) { return n.op_type == kFusedConvOpType && (n.domain == kYqDomain || n.domain.empty()); }
bool is_activation_node(const Node& n) { return n.op_type == kActivationOpType && n.domain == kYqDomain; }

bool has_residual(const Node& n) { return n.input(kFusedConvResidualInput) != kNoValue; }
bool has_channel_scale(const Node& n) { return n.input(kFusedConvChannelScaleInput) != kNoValue; }

bool is_plain_fused_conv(const Node& n) {
  return is_fused_conv(n) && n.attrs.get_string("activation", "").empty() && !has_residual(n) &&
         !has_channel_scale(n);
}

bool has_constant_conv_params(const Graph& g, const Node& conv) {
  const Tensor* w = constant_f32(g, conv.input(1));
  if (w == nullptr || w->rank() != 4 || has_qparams(g, conv.input(1)) || has_qparams(g, conv.input(2))) return false;
  if (conv.input(2) == kNoValue) return true;
  const Tensor* b = constant_f32(g, conv.input(2));
  return b != nullptr && b->numel() == w->dim(0);
}

void make_fused_conv(Graph& g, NodeId id) {
  Node& n = g.node(id);
  if (is_fused_conv(n)) return;
  n.op_type = kFusedConvOpType;
  n.domain = kYqDomain;
  n.attrs.set("activation", std::string());
}

void set_channel_scale(Graph& g, NodeId n, const std::string& prefix, const std::vector<double>& factors) {
  make_fused_conv(g, n);
  const Shape shape{static_cast<int64_t>(factors.size())};
  const ValueId sv = add_f32_constant(g, prefix, factors, shape);
  g.value(sv).shape = shape;
  g.value(sv).shape_known = true;
  while (g.node(n).inputs().size() < kFusedConvChannelScaleInput) g.set_node_input(n, g.node(n).inputs().size(), kNoValue);
  g.set_node_input(n, kFusedConvChannelScaleInput, sv);
}

NodeId split_activation(Graph& g, NodeId n) {
  YQ_CHECK(is_fused_conv(g.node(n)) && !has_residual(g.node(n)) && !has_channel_scale(g.node(n)) &&
           !g.node(n).attrs.get_string("activation", "").empty())
      << "split_activation: '" << g.node(n).name << "' is not a FusedConv with an activation and nothing after it";
  Attributes attrs;
  for (const char* a : {"activation", "activation_alpha", "activation_beta"}) {
    auto it = g.node(n).attrs.all().find(a);
    if (it != g.node(n).attrs.all().end()) attrs.set(a, it->second);
  }
  const std::string name = g.node(n).name;
  const ValueId y = g.node(n).output(0);
  const Value& yv = g.value(y);
  const ValueId t = g.add_value(g.unique_name(yv.name + "_preact"), DType::kF32, yv.shape, yv.shape_known);
  g.set_node_output(n, 0, t);
  g.node(n).attrs.set("activation", std::string());
  g.node(n).attrs.erase("activation_alpha");
  g.node(n).attrs.erase("activation_beta");
  const NodeId a = g.add_node(kActivationOpType, g.unique_name(name + "_act"), {t}, {y}, attrs);
  g.node(a).domain = kYqDomain;
  return a;
}

NodeId split_residual_activation(Graph& g, NodeId n) {
  YQ_CHECK(is_fused_conv(g.node(n)) && has_residual(g.node(n)) && !has_channel_scale(g.node(n)) &&
           !g.node(n).attrs.get_string("activation", "").empty())
      << "split_residual_activation: '" << g.node(n).name << "' is not a FusedConv with an activation and a residual";
  const ValueId r = g.node(n).input(kFusedConvResidualInput);
  g.set_node_input(n, kFusedConvResidualInput, kNoValue);
  const ValueId y = g.node(n).output(0);
  const Value& yv = g.value(y);
  const ValueId a = g.add_value(g.unique_name(yv.name + "_act"), DType::kF32, yv.shape, yv.shape_known);
  const std::string name = g.node(n).name;
  g.set_node_output(n, 0, a);
  const NodeId act = split_activation(g, n);  // conv -> t -> Activation -> a
  g.add_node("Add", g.unique_name(name + "_residual"), {a, r}, {y});
  return act;
}

std::optional<ResidualAdd> residual_add_after(const Graph& g, ValueId a) {
  if (a == kNoValue || g.is_graph_output(a) || g.value(a).consumers().size() != 1) return std::nullopt;
  const NodeId id = g.value(a).consumers()[0];
  const Node& add = g.node(id);
  if (add.op_type != "Add" || !add.domain.empty() || add.inputs().size() != 2 || add.outputs().size() != 1)
    return std::nullopt;
  const ValueId r = add.input(0) == a ? add.input(1) : add.input(0);
  if (r == a || r == kNoValue || g.value(r).is_constant() || g.value(r).shape != g.value(a).shape) return std::nullopt;
  return ResidualAdd{id, r};
}

void replace_output_with(Graph& g, NodeId keep, const std::vector<NodeId>& doomed, ValueId out) {
  const ValueId old = g.node(keep).output(0);
  Value& o = g.value(out);
  // The surviving value inherits what was known about the tensor if its own record is empty
  // (a fused output has the same dtype/shape as the activation/add it replaces).
  if (!o.shape_known && g.value(old).shape_known) {
    o.shape = g.value(old).shape;
    o.shape_known = true;
    o.dtype = g.value(old).dtype;
  }
  for (NodeId d : doomed) g.remove_node(d);
  g.set_node_output(keep, 0, out);
}

ValueId add_f32_constant(Graph& g, const std::string& prefix, const std::vector<double>& data, const Shape& shape) {
  Tensor t = Tensor::empty(DType::kF32, shape);
  YQ_CHECK_EQ(t.numel(), static_cast<int64_t>(data.size()));
  float* p = t.data<float>();
  for (size_t i = 0; i < data.size(); ++i) p[i] = static_cast<float>(data[i]);
  return g.add_constant(g.unique_name(prefix), std::move(t));
}

}  // namespace yq::ir
