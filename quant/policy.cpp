// SPDX-License-Identifier: Apache-2.0
#include "quant/policy.h"

#include <algorithm>
#include <numeric>
#include <optional>

#include "ir/passes/pattern_utils.h"
#include "quant/equalize_depthwise.h"
#include "quant/qmath.h"

namespace yq::quant {

namespace {

// Union-find over value ids: groups of values that must share one QParams.
class ValueGroups {
 public:
  explicit ValueGroups(size_t n) : parent_(n) { std::iota(parent_.begin(), parent_.end(), 0); }
  ir::ValueId find(ir::ValueId v) {
    while (parent_[v] != v) {
      parent_[v] = parent_[parent_[v]];
      v = parent_[v];
    }
    return v;
  }
  // The smaller id becomes the root, so the result does not depend on union order.
  void unite(ir::ValueId a, ir::ValueId b) {
    a = find(a);
    b = find(b);
    if (a == b) return;
    if (b < a) std::swap(a, b);
    parent_[b] = a;
  }

 private:
  std::vector<ir::ValueId> parent_;
};

bool is_compute(const QuantPolicy& p, const ir::Node& n) { return p.compute_ops.count(n.op_type) != 0; }

// Resize preserves the scale only when it copies input elements (nearest); linear/cubic
// interpolation creates values between grid points, which is fine in float but is not the
// "carry the input's QParams" case.
bool is_scale_preserving(const QuantPolicy& p, const ir::Node& n) {
  if (!p.scale_preserving_ops.count(n.op_type)) return false;
  if (n.op_type == "Resize") return n.attrs.get_string("mode", "nearest") == "nearest";
  return true;
}

// The data inputs a scale-preserving node ties to its outputs: every input of a Concat, input 0
// of the others (shape/axes/roi/scales inputs are not data).
std::vector<ir::ValueId> tied_inputs(const ir::Node& n) {
  if (n.op_type == "Concat") return n.inputs();
  return {n.input(0)};
}

// Head decode: non-compute nodes with no path to a compute node. Computed in reverse
// topological order: a node reaches compute if some consumer of its outputs is compute or does.
std::set<ir::NodeId> find_head_nodes(const ir::Graph& g, const QuantPolicy& p) {
  std::vector<char> reaches(g.node_capacity(), 0);
  const std::vector<ir::NodeId> order = g.topo_order();
  std::set<ir::NodeId> head;
  for (auto it = order.rbegin(); it != order.rend(); ++it) {
    const ir::Node& n = g.node(*it);
    bool r = false;
    for (ir::ValueId out : n.outputs()) {
      if (out == ir::kNoValue) continue;
      for (ir::NodeId c : g.value(out).consumers()) {
        if (is_compute(p, g.node(c)) || reaches[c]) r = true;
      }
    }
    reaches[*it] = r;
    if (!r && !is_compute(p, n)) head.insert(*it);
  }
  return head;
}

}  // namespace

bool is_depthwise_conv(const ir::Graph& g, const ir::Node& n) {
  if (n.op_type != "Conv" && n.op_type != "FusedConv") return false;
  if (n.attrs.get_int("group", 1) <= 1 || n.inputs().size() < 2 || n.input(1) == ir::kNoValue) return false;
  const Shape& w = g.value(n.input(1)).shape;
  return w.size() >= 2 && w[1] == 1;
}

Expected<QuantPlan> plan_quantization(const ir::Graph& g, const QuantPolicy& policy) {
  std::set<std::string> names;
  for (ir::NodeId id : g.live_nodes()) names.insert(g.node(id).name);
  for (const std::string& k : policy.keep_float) {
    if (!names.count(k)) return invalid_argument("keep_float: no node named '" + k + "' in the graph");
  }

  QuantPlan plan;
  plan.asymmetric_u8 = policy.asymmetric_u8;
  if (policy.keep_head_float) plan.head_nodes = find_head_nodes(g, policy);

  ValueGroups groups(g.value_capacity());
  std::vector<char> read_quantized(g.value_capacity(), 0);
  std::set<ir::ValueId> weight_seen;

  for (ir::NodeId id : g.live_nodes()) {
    const ir::Node& n = g.node(id);
    if (policy.keep_float.count(n.name)) continue;
    if (is_compute(policy, n)) {
      if (!policy.quantize_depthwise && is_depthwise_conv(g, n)) continue;
      const ir::ValueId x = n.input(0);
      const ir::ValueId w = n.input(1);
      const ir::Value* wv = w == ir::kNoValue ? nullptr : &g.value(w);
      // A weight computed at run time cannot be quantized per channel ahead of time: the node
      // stays float (it declines rather than fails, like a pass precondition).
      if (x == ir::kNoValue || wv == nullptr || !wv->is_constant() || wv->constant->dtype() != DType::kF32 ||
          wv->constant->rank() < 2) {
        continue;
      }
      plan.compute_nodes.push_back(id);
      read_quantized[x] = 1;
      if (n.op_type == "FusedConv" && n.input(3) != ir::kNoValue) read_quantized[n.input(3)] = 1;
      if (weight_seen.insert(w).second) {
        const bool transposed = n.op_type == "ConvTranspose";
        plan.weights.push_back({w, transposed ? 1 : 0});
      }
      continue;
    }
    if (plan.head_nodes.count(id) || !is_scale_preserving(policy, n)) continue;
    const ir::ValueId anchor = n.output(0);
    if (anchor == ir::kNoValue) continue;
    for (ir::ValueId in : tied_inputs(n)) {
      if (in != ir::kNoValue) groups.unite(anchor, in);
    }
    for (ir::ValueId out : n.outputs()) {
      if (out != ir::kNoValue) groups.unite(anchor, out);
    }
  }

  // A group is quantized when any member is read quantized by a compute node.
  std::map<ir::ValueId, std::vector<ir::ValueId>> members;
  for (size_t v = 0; v < g.value_capacity(); ++v) {
    const ir::ValueId id = static_cast<ir::ValueId>(v);
    if (!g.value(id).alive() || g.value(id).dtype != DType::kF32) continue;
    members[groups.find(id)].push_back(id);
  }
  std::set<ir::ValueId> quantized_roots;
  for (size_t v = 0; v < g.value_capacity(); ++v) {
    if (read_quantized[v]) quantized_roots.insert(groups.find(static_cast<ir::ValueId>(v)));
  }
  // Depthwise convs whose input is equalized: X, and the pieces a Concat joins into X -> the conv.
  std::map<ir::ValueId, ir::NodeId> equalized;
  if (policy.equalize_depthwise != EqualizeDepthwise::kOff) {
    for (ir::NodeId id : plan.compute_nodes) {
      const ir::Node& n = g.node(id);
      if (policy.equalize_depthwise != EqualizeDepthwise::kAll && !policy.equalized_layers.count(n.name)) continue;
      if (auto site = equalization_site(g, n)) {
        equalized[site->input] = id;
        for (const EqualizePiece& piece : site->pieces) equalized[piece.value] = id;
      }
    }
  }
  // A yq Activation (quant/split_activations.h) whose output is quantized and whose input comes
  // from a quantized compute node reads that input quantized too: the engine then runs it as a
  // table over the input's codes. After a float conv it stays float (no new rounding there).
  const std::set<ir::NodeId> quantized_compute(plan.compute_nodes.begin(), plan.compute_nodes.end());
  std::map<ir::ValueId, std::pair<std::string, runtime::ref::Activation>> table_roots;
  for (ir::NodeId id : g.live_nodes()) {
    const ir::Node& n = g.node(id);
    if (!ir::is_activation_node(n) || n.output(0) == ir::kNoValue) continue;
    if (!policy.table_activations.count(n.attrs.get_string("activation", ""))) continue;
    // The table's output is quantized, or is read only by a residual Add whose output is (the
    // split of a residual conv: the engine runs table and add as one pass, int8::TableAdd; the
    // Add's other input is then read quantized, as the FusedConv's residual was).
    const std::optional<ir::ResidualAdd> residual = ir::residual_add_after(g, n.output(0));
    const ir::ValueId table_out = residual ? g.node(residual->add).output(0) : n.output(0);
    if (!quantized_roots.count(groups.find(table_out))) continue;
    const ir::Node* producer = g.producer_of(n.input(0));
    if (producer == nullptr || !quantized_compute.count(producer->id)) continue;
    if (policy.fused_activation_layers.count(producer->name)) continue;
    if (equalized.count(n.output(0))) continue;  // folds back into its conv: no table
    auto act = runtime::ref::node_activation(n);
    if (!act.ok()) return act.status().with_context("node '" + n.name + "'");
    quantized_roots.insert(groups.find(n.input(0)));
    if (residual) quantized_roots.insert(groups.find(residual->residual));
    table_roots[groups.find(n.input(0))] = {n.attrs.get_string("activation", ""), *act};
  }
  for (ir::ValueId root : quantized_roots) {  // std::set: ascending root = ascending first member
    if (members[root].empty()) continue;
    std::optional<CalibMethod> method;
    for (ir::ValueId v : members[root]) {
      auto it = policy.calib_methods.find(g.value(v).name);
      if (it != policy.calib_methods.end()) {
        method = it->second;
        break;
      }
    }
    plan.group_methods.push_back(method);
    auto table = table_roots.find(root);
    plan.group_activations.push_back(table == table_roots.end() ? std::nullopt : std::make_optional(table->second));
    // Equalized: a group of X alone, or of X and its Concat's pieces (tied to one scale).
    ir::NodeId eq_dw = ir::kNoNode;
    for (ir::ValueId v : members[root]) {
      auto eq = equalized.find(v);
      const ir::NodeId dw = eq == equalized.end() ? ir::kNoNode : eq->second;
      if (v == members[root].front()) eq_dw = dw;
      if (dw != eq_dw) eq_dw = ir::kNoNode;
    }
    plan.group_equalized.push_back(eq_dw);
    plan.groups.push_back(members[root]);
    plan.activations.insert(plan.activations.end(), members[root].begin(), members[root].end());
  }
  std::sort(plan.activations.begin(), plan.activations.end());
  std::sort(plan.weights.begin(), plan.weights.end(),
            [](const WeightPlan& a, const WeightPlan& b) { return a.value < b.value; });
  return plan;
}

GroupQParamsCache::Key GroupQParamsCache::key(const std::vector<ir::ValueId>& group, const CalibOptions& opts) {
  // An activation-aware threshold does not depend on the method.
  const int method = opts.activation ? -1 : static_cast<int>(opts.method);
  return {group,           method, opts.percentile, opts.symmetric, opts.unsigned_if_nonnegative, opts.zero_points,
          opts.activation_name};
}

const ir::QParams* GroupQParamsCache::find(const std::vector<ir::ValueId>& group, const CalibOptions& opts) const {
  auto it = memo_.find(key(group, opts));
  return it == memo_.end() ? nullptr : &it->second;
}

void GroupQParamsCache::insert(const std::vector<ir::ValueId>& group, const CalibOptions& opts, ir::QParams qp) {
  memo_.insert_or_assign(key(group, opts), std::move(qp));
}

Expected<ir::QParams> calibrate_group(const ir::Graph& g, const std::vector<ir::ValueId>& group,
                                      const std::map<ir::ValueId, TensorStats>& stats, const CalibOptions& opts,
                                      GroupQParamsCache* cache) {
  if (cache) {
    if (const ir::QParams* hit = cache->find(group, opts)) return *hit;
  }
  std::optional<TensorStats> merged;
  for (ir::ValueId v : group) {
    auto it = stats.find(v);
    if (it == stats.end()) return invalid_argument("no statistics for value '" + g.value(v).name + "'");
    if (!merged) {
      merged = it->second;
    } else {
      YQ_RETURN_IF_ERROR(merged->merge(it->second).with_context("value '" + g.value(v).name + "'"));
    }
  }
  if (!merged) return invalid_argument("an empty quantization group");
  auto qp = calibrate_activation(*merged, opts);
  if (!qp.ok()) return qp.status().with_context("value '" + g.value(group.front()).name + "'");
  if (cache) cache->insert(group, opts, *qp);
  return *qp;
}

CalibOptions group_calib_options(const QuantPlan& plan, size_t i, const CalibOptions& base) {
  CalibOptions o = base;
  if (plan.asymmetric_u8) o.symmetric = false;
  if (i < plan.group_methods.size() && plan.group_methods[i]) o.method = *plan.group_methods[i];
  if (i < plan.group_activations.size() && plan.group_activations[i]) {
    const runtime::ref::Activation act = plan.group_activations[i]->second;
    o.activation = [act](float x) { return act(x); };
    o.activation_name = plan.group_activations[i]->first;
  }
  if (i < plan.group_equalized.size() && plan.group_equalized[i] != ir::kNoNode) {
    // The threshold T of an equalized input becomes every channel's range: no zero point (u8 only
    // for a value that never goes below zero, whatever the factors).
    o.symmetric = true;
    o.zero_points = false;
  }
  return o;
}

Status apply_quantization(ir::Graph& g, const QuantPlan& plan, const std::map<ir::ValueId, TensorStats>& stats,
                          const CalibOptions& opts, GroupQParamsCache* cache) {
  for (size_t i = 0; i < plan.groups.size(); ++i) {
    const auto& group = plan.groups[i];
    if (group.empty()) continue;
    auto qp = calibrate_group(g, group, stats, group_calib_options(plan, i, opts), cache);
    if (!qp.ok()) return qp.status().with_context("apply_quantization");
    for (ir::ValueId v : group) g.value(v).qparams = *qp;
  }
  for (const WeightPlan& w : plan.weights) {
    ir::Value& v = g.value(w.value);
    if (!v.is_constant()) return invalid_argument("apply_quantization: weight '" + v.name + "' is not a constant");
    ir::QParams qp = per_channel_weight_qparams(*v.constant, w.axis);
    YQ_RETURN_IF_ERROR(qp.validate().with_context("weight '" + v.name + "'"));
    v.qparams = std::move(qp);
  }
  // Equalization rewrites the graph, so it comes last; sites are found again on the current graph.
  for (size_t i = 0; i < plan.group_equalized.size(); ++i) {
    if (plan.group_equalized[i] == ir::kNoNode) continue;
    auto site = equalization_site(g, g.node(plan.group_equalized[i]));
    if (!site) return internal_error("apply_quantization: depthwise conv '" + g.node(plan.group_equalized[i]).name +
                                     "' planned for equalization no longer qualifies");
    auto st = stats.find(site->input);
    if (st == stats.end()) return invalid_argument("no statistics for value '" + g.value(site->input).name + "'");
    YQ_RETURN_IF_ERROR(equalize_depthwise_input(g, *site, st->second).with_context("apply_quantization"));
  }
  return ok_status();
}

}  // namespace yq::quant
