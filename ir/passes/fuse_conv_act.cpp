// SPDX-License-Identifier: Apache-2.0
#include "ir/passes/fuse_conv_act.h"

#include <cmath>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "ir/passes/pattern_utils.h"

namespace yq::ir {

namespace {

// Exporters write 1/6 as a float; accept it to float precision.
constexpr double kHardSwishAlpha = 1.0 / 6.0;
constexpr double kHardSwishBeta = 0.5;
constexpr double kAttrTolerance = 1e-6;

struct ActMatch {
  NodeId conv = kNoNode;
  std::vector<NodeId> act_nodes;  // removed by apply (the activation, plus the gate for silu/hardswish)
  std::string activation;
  float alpha = 0.0f;
  float beta = 0.0f;
};

bool is_fusable_conv(const Node& n) { return is_onnx_conv(n) || is_plain_fused_conv(n); }

// The conv producing `x`, when it may absorb an activation; nullptr otherwise.
const Node* fusable_producer(const Graph& g, ValueId x) {
  if (x == kNoValue || g.is_graph_output(x)) return nullptr;
  const Node* p = g.producer_of(x);
  return (p != nullptr && is_fusable_conv(*p) && p->output(0) == x) ? p : nullptr;
}

bool is_hardswish_gate(const Node& hs) {
  return std::abs(hs.attrs.get_float("alpha", 0.2f) - kHardSwishAlpha) < kAttrTolerance &&
         std::abs(hs.attrs.get_float("beta", 0.5f) - kHardSwishBeta) < kAttrTolerance;
}

// Clip's bounds: inputs 1/2 since opset 11, attributes before. A bound given by a non-constant
// input cannot be baked into a post-op.
std::optional<std::pair<float, float>> clip_bounds(const Graph& g, const Node& n) {
  float lo = n.attrs.get_float("min", std::numeric_limits<float>::lowest());
  float hi = n.attrs.get_float("max", std::numeric_limits<float>::max());
  if (n.input(1) != kNoValue) {
    auto v = constant_scalar(g, n.input(1));
    if (!v) return std::nullopt;
    lo = static_cast<float>(*v);
  }
  if (n.input(2) != kNoValue) {
    auto v = constant_scalar(g, n.input(2));
    if (!v) return std::nullopt;
    hi = static_cast<float>(*v);
  }
  return std::make_pair(lo, hi);
}

// A Sigmoid / HardSigmoid whose output some Mul multiplies by its own input: a SiLU or HardSwish
// gate, which match_gated() fuses together with the Mul.
bool is_gate_of_mul(const Graph& g, const Node& n) {
  if (n.op_type != "Sigmoid" && n.op_type != "HardSigmoid") return false;
  for (NodeId c : g.value(n.output(0)).consumers()) {
    const Node& mul = g.node(c);
    if (mul.op_type == "Mul" && mul.inputs().size() == 2 &&
        (mul.input(0) == n.input(0) || mul.input(1) == n.input(0))) {
      return true;
    }
  }
  return false;
}

std::optional<ActMatch> match_unary(const Graph& g, NodeId id) {
  const Node& n = g.node(id);
  if ((!n.domain.empty() && !is_activation_node(n)) || n.outputs().size() != 1) return std::nullopt;
  ActMatch m;
  const std::string& op = n.op_type;
  if (op == "Relu") {
    m.activation = "relu";
  } else if (op == "LeakyRelu") {
    m.activation = "leaky_relu";
    m.alpha = n.attrs.get_float("alpha", 0.01f);
  } else if (op == "Sigmoid") {
    m.activation = "sigmoid";
  } else if (op == "Tanh") {
    m.activation = "tanh";
  } else if (op == "HardSigmoid") {
    m.activation = "hardsigmoid";
    m.alpha = n.attrs.get_float("alpha", 0.2f);
    m.beta = n.attrs.get_float("beta", 0.5f);
  } else if (op == "HardSwish") {
    m.activation = "hardswish";
    m.alpha = static_cast<float>(kHardSwishAlpha);
    m.beta = static_cast<float>(kHardSwishBeta);
  } else if (op == kActivationOpType && n.domain == kYqDomain) {
    m.activation = n.attrs.get_string("activation", "");
    m.alpha = n.attrs.get_float("activation_alpha", 0.0f);
    m.beta = n.attrs.get_float("activation_beta", 0.0f);
    if (m.activation.empty()) return std::nullopt;
  } else if (op == "Clip") {
    auto b = clip_bounds(g, n);
    if (!b) return std::nullopt;
    m.activation = "clip";
    m.alpha = b->first;
    m.beta = b->second;
  } else {
    return std::nullopt;
  }
  const ValueId x = n.input(0);
  m.act_nodes = {id};
  if (has_qparams(g, x)) {  // a quantized input stays a value: a standalone Activation reads it
    if (is_activation_node(n) || is_gate_of_mul(g, n)) return std::nullopt;  // the Mul's match takes the gate
    return m;
  }
  const Node* conv = fusable_producer(g, x);
  if (conv == nullptr || !only_consumer_is(g, x, id)) return std::nullopt;
  m.conv = conv->id;
  return m;
}

// Mul(x, gate(x)) with gate = Sigmoid (silu) or HardSigmoid(1/6, 0.5) (hardswish).
std::optional<ActMatch> match_gated(const Graph& g, NodeId id) {
  const Node& mul = g.node(id);
  if (mul.op_type != "Mul" || !mul.domain.empty() || mul.inputs().size() != 2) return std::nullopt;
  for (int xi = 0; xi < 2; ++xi) {
    const ValueId x = mul.input(xi);
    const ValueId s = mul.input(1 - xi);
    if (x == s || s == kNoValue) continue;
    const Node* gate = g.producer_of(s);
    if (gate == nullptr || !gate->domain.empty() || gate->input(0) != x) continue;
    ActMatch m;
    if (gate->op_type == "Sigmoid") {
      m.activation = "silu";
    } else if (gate->op_type == "HardSigmoid" && is_hardswish_gate(*gate)) {
      m.activation = "hardswish";
      m.alpha = static_cast<float>(kHardSwishAlpha);
      m.beta = static_cast<float>(kHardSwishBeta);
    } else {
      continue;
    }
    if (!only_consumer_is(g, s, id)) continue;
    m.act_nodes = {id, gate->id};
    // A quantized x cannot disappear into the conv (its rounding would be lost): the pair becomes
    // a standalone Activation reading it, whoever else reads x.
    if (has_qparams(g, x)) return m;
    const Node* conv = fusable_producer(g, x);
    if (conv == nullptr) continue;
    // x is read by exactly the gate and the Mul, once each.
    const auto& xc = g.value(x).consumers();
    if (xc.size() != 2 || !((xc[0] == gate->id && xc[1] == id) || (xc[0] == id && xc[1] == gate->id))) continue;
    m.conv = conv->id;
    return m;
  }
  return std::nullopt;
}

std::optional<ActMatch> find_match(const Graph& g, NodeId id) {
  if (auto m = match_gated(g, id)) return m;
  return match_unary(g, id);
}

}  // namespace

bool FuseConvAct::match(const Graph& g, NodeId n) const { return find_match(g, n).has_value(); }

Expected<bool> FuseConvAct::apply(Graph& g, NodeId n) {
  const auto m = find_match(g, n);
  if (!m) return false;
  const ValueId y = g.node(n).output(0);
  if (m->conv == kNoNode) {
    const ValueId x = g.node(m->act_nodes.back()).input(0);  // the gate's (or the unary op's) input
    const std::string name = g.node(n).name;
    for (NodeId d : m->act_nodes) g.remove_node(d);
    Attributes at;
    at.set("activation", m->activation);
    at.set("activation_alpha", m->alpha);
    at.set("activation_beta", m->beta);
    const NodeId a = g.add_node(kActivationOpType, name, {x}, {y}, at);
    g.node(a).domain = kYqDomain;
    return true;
  }
  make_fused_conv(g, m->conv);
  Node& conv = g.node(m->conv);
  conv.attrs.set("activation", m->activation);
  conv.attrs.set("activation_alpha", m->alpha);
  conv.attrs.set("activation_beta", m->beta);
  replace_output_with(g, m->conv, m->act_nodes, y);
  return true;
}

}  // namespace yq::ir
