// SPDX-License-Identifier: Apache-2.0
#include "quant/split_activations.h"

#include <set>
#include <string>

#include "ir/passes/fuse_conv_act.h"
#include "ir/passes/fuse_conv_add.h"
#include "ir/passes/pattern_utils.h"

namespace yq::quant {

Expected<int> split_activations(ir::Graph& g, const QuantPolicy& policy) {
  if (policy.table_activations.empty()) return 0;
  YQ_ASSIGN_OR_RETURN(QuantPlan plan, plan_quantization(g, policy));
  const std::set<ir::ValueId> quantized(plan.activations.begin(), plan.activations.end());
  int split = 0;
  for (ir::NodeId id : plan.compute_nodes) {
    const ir::Node& n = g.node(id);
    if (!ir::is_fused_conv(n) || ir::has_channel_scale(n)) continue;
    const std::string act = n.attrs.get_string("activation", "");
    const ir::ValueId y = n.output(0);
    if (!policy.table_activations.count(act) || !quantized.count(y)) continue;
    // A residual conv's add follows its activation: table and add run as one int8 pass.
    if (ir::has_residual(n)) {
      ir::split_residual_activation(g, id);
    } else {
      ir::split_activation(g, id);
    }
    ++split;
  }
  return split;
}

Expected<int> refuse_float_activations(ir::Graph& g) {
  ir::FuseConvAct fuse;
  ir::FuseConvAdd fuse_add;
  int folded = 0;
  for (ir::NodeId id : g.topo_order()) {
    if (!g.node(id).alive() || !ir::is_activation_node(g.node(id)) || !fuse.match(g, id)) continue;
    // The residual Add after a split residual conv folds back too (fuse_conv_add fires on the
    // Add once the activation is the conv's again).
    const ir::ValueId a = g.node(id).output(0);
    const std::vector<ir::NodeId> readers = g.value(a).consumers();
    YQ_ASSIGN_OR_RETURN(bool changed, fuse.apply(g, id));
    folded += changed ? 1 : 0;
    if (changed && readers.size() == 1 && fuse_add.match(g, readers[0])) {
      YQ_ASSIGN_OR_RETURN(bool added, fuse_add.apply(g, readers[0]));
      (void)added;
    }
  }
  return folded;
}

ir::ValueId block_output(const ir::Graph& g, const ir::Node& conv) {
  const ir::ValueId y = conv.output(0);
  const auto& readers = g.value(y).consumers();
  if (readers.size() == 1 && ir::is_activation_node(g.node(readers[0])) && !g.is_graph_output(y)) {
    const ir::ValueId a = g.node(readers[0]).output(0);
    const std::optional<ir::ResidualAdd> residual = ir::residual_add_after(g, a);
    return residual ? g.node(residual->add).output(0) : a;
  }
  return y;
}

Expected<std::vector<std::string>> rank_table_damage(const ir::Graph& g, const QuantPolicy& policy,
                                                     const std::map<ir::ValueId, TensorStats>& stats,
                                                     const CalibOptions& calib, GroupQParamsCache* cache) {
  YQ_ASSIGN_OR_RETURN(QuantPlan plan, plan_quantization(g, policy));
  std::map<ir::ValueId, size_t> group_of;
  for (size_t i = 0; i < plan.groups.size(); ++i)
    for (ir::ValueId v : plan.groups[i]) group_of[v] = i;
  struct Damage {
    double ratio;
    size_t order;
    std::string conv;
  };
  std::vector<Damage> damages;
  for (size_t i = 0; i < plan.groups.size(); ++i) {
    if (!plan.group_activations[i]) continue;
    const ir::ValueId t = plan.groups[i].front();  // a pre-activation is a group of its own
    const ir::Node* conv = g.producer_of(t);
    const auto& readers = g.value(t).consumers();
    if (conv == nullptr || readers.size() != 1) continue;
    const ir::ValueId a = g.node(readers[0]).output(0);
    // A split residual conv: the rounding that follows the table is its Add's output's.
    const std::optional<ir::ResidualAdd> residual = ir::residual_add_after(g, a);
    const ir::ValueId y = residual ? g.node(residual->add).output(0) : a;
    auto yg = group_of.find(y);
    auto st = stats.find(t);
    if (yg == group_of.end() || st == stats.end()) return invalid_argument("rank_table_damage: no statistics for '" + g.value(t).name + "'");
    const CalibOptions t_opts = group_calib_options(plan, i, calib);
    YQ_ASSIGN_OR_RETURN(double err, activation_error(st->second, t_opts));
    YQ_ASSIGN_OR_RETURN(ir::QParams qy, calibrate_group(g, plan.groups[yg->second], stats,
                                                        group_calib_options(plan, yg->second, calib), cache));
    const double s_y = qy.scales[0];
    damages.push_back({err / (s_y * s_y / 12.0), damages.size(), conv->name});
  }
  std::stable_sort(damages.begin(), damages.end(), [](const Damage& a, const Damage& b) { return a.ratio > b.ratio; });
  std::vector<std::string> out;
  for (const Damage& d : damages) out.push_back(d.conv);
  return out;
}

}  // namespace yq::quant
