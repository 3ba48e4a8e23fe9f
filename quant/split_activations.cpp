// SPDX-License-Identifier: Apache-2.0
#include "quant/split_activations.h"

#include <set>
#include <string>

#include "ir/passes/fuse_conv_act.h"
#include "ir/passes/pattern_utils.h"

namespace yq::quant {

Expected<int> split_activations(ir::Graph& g, const QuantPolicy& policy) {
  if (policy.table_activations.empty()) return 0;
  YQ_ASSIGN_OR_RETURN(QuantPlan plan, plan_quantization(g, policy));
  const std::set<ir::ValueId> quantized(plan.activations.begin(), plan.activations.end());
  int split = 0;
  for (ir::NodeId id : plan.compute_nodes) {
    const ir::Node& n = g.node(id);
    if (!ir::is_fused_conv(n) || ir::has_residual(n)) continue;
    const std::string act = n.attrs.get_string("activation", "");
    const ir::ValueId y = n.output(0);
    if (!policy.table_activations.count(act) || !quantized.count(y)) continue;
    ir::Attributes attrs;
    for (const char* a : {"activation", "activation_alpha", "activation_beta"}) {
      auto it = n.attrs.all().find(a);
      if (it != n.attrs.all().end()) attrs.set(a, it->second);
    }
    const std::string name = n.name;
    const ir::Value& yv = g.value(y);
    const ir::ValueId t = g.add_value(g.unique_name(yv.name + "_preact"), DType::kF32, yv.shape, yv.shape_known);
    g.set_node_output(id, 0, t);
    g.node(id).attrs.set("activation", std::string());
    g.node(id).attrs.erase("activation_alpha");
    g.node(id).attrs.erase("activation_beta");
    const ir::NodeId a = g.add_node(ir::kActivationOpType, g.unique_name(name + "_act"), {t}, {y}, attrs);
    g.node(a).domain = ir::kYqDomain;
    ++split;
  }
  return split;
}

Expected<int> refuse_float_activations(ir::Graph& g) {
  ir::FuseConvAct fuse;
  int folded = 0;
  for (ir::NodeId id : g.topo_order()) {
    if (!g.node(id).alive() || !ir::is_activation_node(g.node(id)) || !fuse.match(g, id)) continue;
    YQ_ASSIGN_OR_RETURN(bool changed, fuse.apply(g, id));
    folded += changed ? 1 : 0;
  }
  return folded;
}

ir::ValueId block_output(const ir::Graph& g, const ir::Node& conv) {
  const ir::ValueId y = conv.output(0);
  const auto& readers = g.value(y).consumers();
  if (readers.size() == 1 && ir::is_activation_node(g.node(readers[0])) && !g.is_graph_output(y)) {
    return g.node(readers[0]).output(0);
  }
  return y;
}

}  // namespace yq::quant
