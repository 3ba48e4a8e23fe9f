// SPDX-License-Identifier: Apache-2.0
#include "ir/passes/unfuse_for_export.h"

#include <string>
#include <vector>

#include "ir/passes/pattern_utils.h"

namespace yq::ir {

namespace {

const char* const kActAttrs[] = {"activation", "activation_alpha", "activation_beta"};

// Emits the standard ONNX ops computing `out = act(in)` (ir/fused_ops.md's activation names),
// naming new nodes and values after `name`.
void emit_activation(Graph& g, const std::string& name, const std::string& act, float alpha, float beta, ValueId in,
                     ValueId out) {
  auto node_name = [&](const std::string& suffix) { return g.unique_name(name + suffix); };
  if (act == "relu") {
    g.add_node("Relu", node_name("_relu"), {in}, {out});
  } else if (act == "leaky_relu") {
    Attributes at;
    at.set("alpha", alpha);
    g.add_node("LeakyRelu", node_name("_leaky_relu"), {in}, {out}, at);
  } else if (act == "sigmoid") {
    g.add_node("Sigmoid", node_name("_sigmoid"), {in}, {out});
  } else if (act == "tanh") {
    g.add_node("Tanh", node_name("_tanh"), {in}, {out});
  } else if (act == "hardsigmoid") {
    Attributes at;
    at.set("alpha", alpha);
    at.set("beta", beta);
    g.add_node("HardSigmoid", node_name("_hardsigmoid"), {in}, {out}, at);
  } else if (act == "silu" || act == "hardswish") {
    const Value& ov = g.value(out);
    const ValueId gate = g.add_value(g.unique_name(name + "_gate"), DType::kF32, ov.shape, ov.shape_known);
    if (act == "silu") {
      g.add_node("Sigmoid", node_name("_sigmoid"), {in}, {gate});
    } else {
      Attributes at;
      at.set("alpha", alpha);
      at.set("beta", beta);
      g.add_node("HardSigmoid", node_name("_hardsigmoid"), {in}, {gate}, at);
    }
    g.add_node("Mul", node_name("_mul"), {in, gate}, {out});
  } else if (act == "clip") {
    const ValueId lo = add_f32_constant(g, name + "_clip_min", {alpha}, {});
    const ValueId hi = add_f32_constant(g, name + "_clip_max", {beta}, {});
    g.add_node("Clip", node_name("_clip"), {in, lo, hi}, {out});
  }
}

bool known_activation(const std::string& act) {
  static const char* const kKnown[] = {"", "relu", "leaky_relu", "sigmoid", "silu", "hardswish", "hardsigmoid", "clip", "tanh"};
  for (const char* k : kKnown) {
    if (act == k) return true;
  }
  return false;
}

// A yq Activation becomes the same ops; the node itself is removed.
Expected<bool> unfuse_activation(Graph& g, NodeId id) {
  const Node& n = g.node(id);
  const std::string name = n.name;
  const std::string act = n.attrs.get_string("activation", "");
  const float alpha = n.attrs.get_float("activation_alpha", 0.f);
  const float beta = n.attrs.get_float("activation_beta", 0.f);
  if (act.empty() || !known_activation(act)) {
    return invalid_model("unfuse_for_export: node '" + name + "' has unknown activation '" + act + "'");
  }
  const ValueId x = n.input(0), y = n.output(0);
  g.remove_node(id);
  emit_activation(g, name, act, alpha, beta, x, y);
  return true;
}

}  // namespace

bool UnfuseForExport::match(const Graph& g, NodeId n) const {
  return is_fused_conv(g.node(n)) || is_activation_node(g.node(n));
}

Expected<bool> UnfuseForExport::apply(Graph& g, NodeId id) {
  if (!match(g, id)) return false;
  if (is_activation_node(g.node(id))) return unfuse_activation(g, id);
  const Node& fused = g.node(id);
  const std::string name = fused.name;
  const std::string act = fused.attrs.get_string("activation", "");
  const float alpha = fused.attrs.get_float("activation_alpha", 0.f);
  const float beta = fused.attrs.get_float("activation_beta", 0.f);
  const ValueId x = fused.input(0), w = fused.input(1), b = fused.input(2);
  const ValueId r = fused.input(kFusedConvResidualInput);
  const ValueId s = fused.input(kFusedConvChannelScaleInput);
  const ValueId y = fused.output(0);
  if (!known_activation(act)) return invalid_model("unfuse_for_export: node '" + name + "' has unknown activation '" + act + "'");

  {
    Node& n = g.node(id);
    n.op_type = "Conv";
    n.domain.clear();
    for (const char* a : kActAttrs) n.attrs.erase(a);
  }
  std::vector<ValueId> conv_inputs = {x, w};
  if (b != kNoValue) conv_inputs.push_back(b);
  g.set_node_inputs(id, conv_inputs);
  if (act.empty() && r == kNoValue && s == kNoValue) return true;

  // A fresh value shaped like y for each intermediate result of the chain.
  const Value& yv = g.value(y);
  const Shape shape = yv.shape;
  const bool shape_known = yv.shape_known;
  auto fresh = [&](const std::string& suffix) { return g.add_value(g.unique_name(name + suffix), DType::kF32, shape, shape_known); };

  const ValueId conv_out = fresh("_conv");
  g.set_node_output(id, 0, conv_out);
  // Each op writes y directly when it is the last: activation, then the channel scale's Mul by a
  // [1, M, 1, ...] constant, then the residual Add.
  const ValueId act_out = act.empty() ? conv_out : (r == kNoValue && s == kNoValue ? y : fresh("_act"));
  if (!act.empty()) emit_activation(g, name, act, alpha, beta, conv_out, act_out);
  ValueId scaled = act_out;
  if (s != kNoValue) {
    const Tensor* st = constant_f32(g, s);
    if (st == nullptr) return invalid_model("unfuse_for_export: node '" + name + "' has a channel scale that is not an f32 constant");
    Shape bshape(shape.size(), 1);
    if (bshape.size() < 2) return invalid_model("unfuse_for_export: node '" + name + "' has a channel scale on a rank < 2 output");
    bshape[1] = st->numel();
    std::vector<double> data(st->data<float>(), st->data<float>() + st->numel());
    const ValueId sc = add_f32_constant(g, name + "_channel_scale", data, bshape);
    g.value(sc).shape = bshape;
    g.value(sc).shape_known = true;
    scaled = r == kNoValue ? y : fresh("_scaled");
    g.add_node("Mul", g.unique_name(name + "_channel_scale_mul"), {act_out, sc}, {scaled});
  }
  if (r != kNoValue) g.add_node("Add", g.unique_name(name + "_add"), {scaled, r}, {y});
  return true;
}

}  // namespace yq::ir
