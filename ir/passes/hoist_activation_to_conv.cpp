// SPDX-License-Identifier: Apache-2.0
#include "ir/passes/hoist_activation_to_conv.h"

#include <optional>

#include "ir/passes/pattern_utils.h"

namespace yq::ir {
namespace {

bool is_layout_only(const Node& n) {
  return n.domain.empty() && (n.op_type == "Reshape" || n.op_type == "Transpose" || n.op_type == "Flatten" ||
                              n.op_type == "Squeeze" || n.op_type == "Unsqueeze");
}

bool is_hoistable(const Node& n) {
  return n.domain.empty() && (n.op_type == "Sigmoid" || n.op_type == "Relu" || n.op_type == "Tanh" ||
                              n.op_type == "LeakyRelu" || n.op_type == "HardSigmoid");
}

// The chain's first node (reading the conv's output), or nullopt.
std::optional<NodeId> chain_head(const Graph& g, const Node& act) {
  if (!is_hoistable(act) || act.inputs().size() != 1 || act.outputs().size() != 1) return std::nullopt;
  if (g.is_graph_output(act.output(0))) return std::nullopt;
  ValueId v = act.input(0);
  NodeId consumer = act.id;
  std::optional<NodeId> head;
  for (int hops = 0; hops < 8; ++hops) {
    if (v == kNoValue || !only_consumer_is(g, v, consumer)) return std::nullopt;
    const Node* p = g.producer_of(v);
    if (p == nullptr) return std::nullopt;
    if (is_layout_only(*p)) {
      head = p->id;
      consumer = p->id;
      v = p->input(0);
      continue;
    }
    const bool conv = is_onnx_conv(*p) || is_plain_fused_conv(*p);
    if (!conv || !head) return std::nullopt;
    return head;
  }
  return std::nullopt;
}

}  // namespace

bool HoistActivationToConv::match(const Graph& g, NodeId n) const { return chain_head(g, g.node(n)).has_value(); }

Expected<bool> HoistActivationToConv::apply(Graph& g, NodeId id) {
  const auto head = chain_head(g, g.node(id));
  if (!head) return false;
  const ValueId conv_out = g.node(*head).input(0);
  const ValueId chain_out = g.node(id).input(0);
  const ValueId act_out = g.node(id).output(0);
  const Value& cv = g.value(conv_out);
  const ValueId activated = g.add_value(g.unique_name(cv.name + "_act"), cv.dtype, cv.shape, cv.shape_known);
  // Readers of the activation now read the chain's end; the activation moves to the conv output.
  g.replace_all_uses(act_out, chain_out);
  g.set_node_input(id, 0, conv_out);
  g.set_node_output(id, 0, activated);
  g.set_node_input(*head, 0, activated);
  return true;
}

}  // namespace yq::ir
