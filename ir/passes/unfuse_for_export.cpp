// SPDX-License-Identifier: Apache-2.0
#include "ir/passes/unfuse_for_export.h"

#include <string>
#include <vector>

#include "ir/passes/pattern_utils.h"

namespace yq::ir {

namespace {

const char* const kActAttrs[] = {"activation", "activation_alpha", "activation_beta"};

}  // namespace

bool UnfuseForExport::match(const Graph& g, NodeId n) const { return is_fused_conv(g.node(n)); }

Expected<bool> UnfuseForExport::apply(Graph& g, NodeId id) {
  if (!match(g, id)) return false;
  const Node& fused = g.node(id);
  const std::string name = fused.name;
  const std::string act = fused.attrs.get_string("activation", "");
  const float alpha = fused.attrs.get_float("activation_alpha", 0.f);
  const float beta = fused.attrs.get_float("activation_beta", 0.f);
  const ValueId x = fused.input(0), w = fused.input(1), b = fused.input(2);
  const ValueId r = fused.input(kFusedConvResidualInput);
  const ValueId y = fused.output(0);
  static const char* const kKnown[] = {"", "relu", "leaky_relu", "sigmoid", "silu", "hardswish", "hardsigmoid", "clip", "tanh"};
  bool known = false;
  for (const char* k : kKnown) known = known || act == k;
  if (!known) return invalid_model("unfuse_for_export: node '" + name + "' has unknown activation '" + act + "'");

  {
    Node& n = g.node(id);
    n.op_type = "Conv";
    n.domain.clear();
    for (const char* a : kActAttrs) n.attrs.erase(a);
  }
  std::vector<ValueId> conv_inputs = {x, w};
  if (b != kNoValue) conv_inputs.push_back(b);
  g.set_node_inputs(id, conv_inputs);
  if (act.empty() && r == kNoValue) return true;

  // A fresh value shaped like y for each intermediate result of the chain.
  const Value& yv = g.value(y);
  const Shape shape = yv.shape;
  const bool shape_known = yv.shape_known;
  auto fresh = [&](const std::string& suffix) { return g.add_value(g.unique_name(name + suffix), DType::kF32, shape, shape_known); };
  auto node_name = [&](const std::string& suffix) { return g.unique_name(name + suffix); };

  const ValueId conv_out = fresh("_conv");
  g.set_node_output(id, 0, conv_out);
  // The activation writes y directly unless a residual Add follows.
  const ValueId act_out = act.empty() ? conv_out : (r == kNoValue ? y : fresh("_act"));
  if (act == "relu") {
    g.add_node("Relu", node_name("_relu"), {conv_out}, {act_out});
  } else if (act == "leaky_relu") {
    Attributes at;
    at.set("alpha", alpha);
    g.add_node("LeakyRelu", node_name("_leaky_relu"), {conv_out}, {act_out}, at);
  } else if (act == "sigmoid") {
    g.add_node("Sigmoid", node_name("_sigmoid"), {conv_out}, {act_out});
  } else if (act == "tanh") {
    g.add_node("Tanh", node_name("_tanh"), {conv_out}, {act_out});
  } else if (act == "hardsigmoid") {
    Attributes at;
    at.set("alpha", alpha);
    at.set("beta", beta);
    g.add_node("HardSigmoid", node_name("_hardsigmoid"), {conv_out}, {act_out}, at);
  } else if (act == "silu" || act == "hardswish") {
    const ValueId gate = fresh("_gate");
    if (act == "silu") {
      g.add_node("Sigmoid", node_name("_sigmoid"), {conv_out}, {gate});
    } else {
      Attributes at;
      at.set("alpha", alpha);
      at.set("beta", beta);
      g.add_node("HardSigmoid", node_name("_hardsigmoid"), {conv_out}, {gate}, at);
    }
    g.add_node("Mul", node_name("_mul"), {conv_out, gate}, {act_out});
  } else if (act == "clip") {
    const ValueId lo = add_f32_constant(g, name + "_clip_min", {alpha}, {});
    const ValueId hi = add_f32_constant(g, name + "_clip_max", {beta}, {});
    g.add_node("Clip", node_name("_clip"), {conv_out, lo, hi}, {act_out});
  }
  if (r != kNoValue) g.add_node("Add", node_name("_add"), {act_out, r}, {y});
  return true;
}

}  // namespace yq::ir
