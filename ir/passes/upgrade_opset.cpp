// SPDX-License-Identifier: Apache-2.0
#include "ir/passes/upgrade_opset.h"

#include <string>
#include <vector>

namespace yq::ir {

namespace {

constexpr const char* kLegacySoftmax = "yq_opset_lt13";

bool is_default(const Node& n) { return n.domain.empty(); }

ValueId add_i64_constant(Graph& g, const std::string& prefix, const std::vector<int64_t>& v) {
  return g.add_constant(g.unique_name(prefix), Tensor::from_vector<int64_t>(v, {static_cast<int64_t>(v.size())}));
}

Status upgrade_softmax(Graph& g, NodeId id) {
  const Node& n = g.node(id);
  const std::string name = n.name;
  const ValueId x = n.input(0), y = n.output(0);
  const Value& xv = g.value(x);
  const int64_t rank = static_cast<int64_t>(xv.shape.size());
  int64_t axis = n.attrs.get_int("axis", 1);  // the pre-13 default
  if (axis < 0) axis += rank;
  if (rank == 0 || axis < 0 || axis >= rank) {
    return invalid_model("upgrade_opset: Softmax '" + name + "' axis " + std::to_string(n.attrs.get_int("axis", 1)) +
                         " invalid for rank " + std::to_string(rank));
  }
  g.node(id).attrs.erase(kLegacySoftmax);
  if (axis == rank - 1) {  // flatten at the last dim == softmax over the last dim
    g.node(id).attrs.set("axis", int64_t{-1});
    return ok_status();
  }
  if (!xv.shape_known) {
    return unsupported("upgrade_opset: Softmax '" + name + "' over axis " + std::to_string(axis) +
                       " (not the last) needs a known input shape to rewrite for opset 13");
  }
  const Shape shape = xv.shape;
  int64_t outer = 1, inner = 1;
  for (int64_t i = 0; i < rank; ++i) (i < axis ? outer : inner) *= shape[i];
  const ValueId flat_shape = add_i64_constant(g, name + "_2d_shape", {outer, inner});
  const ValueId back_shape = add_i64_constant(g, name + "_orig_shape", shape);
  const ValueId flat = g.add_value(g.unique_name(name + "_2d"), DType::kF32, {outer, inner}, true);
  const ValueId soft = g.add_value(g.unique_name(name + "_2d_softmax"), DType::kF32, {outer, inner}, true);
  g.add_node("Reshape", g.unique_name(name + "_reshape_2d"), {x, flat_shape}, {flat});
  g.set_node_inputs(id, {flat});
  g.set_node_output(id, 0, soft);
  g.node(id).attrs.set("axis", int64_t{1});
  g.add_node("Reshape", g.unique_name(name + "_reshape_back"), {soft, back_shape}, {y});
  return ok_status();
}

}  // namespace

bool UpgradeOpset::match(const Graph& g, NodeId id) const {
  const Node& n = g.node(id);
  if (!is_default(n)) return false;
  if (n.op_type == "Split") return n.attrs.has("split");
  if (n.op_type == "Squeeze" || n.op_type == "Unsqueeze") return n.attrs.has("axes");
  if (n.op_type == "Softmax") return n.attrs.has(kLegacySoftmax);
  return false;
}

Expected<bool> UpgradeOpset::apply(Graph& g, NodeId id) {
  if (!match(g, id)) return false;
  Node& n = g.node(id);
  if (n.op_type == "Softmax") {
    YQ_RETURN_IF_ERROR(upgrade_softmax(g, id));
    return true;
  }
  const char* attr = n.op_type == "Split" ? "split" : "axes";
  const std::vector<int64_t> v = n.attrs.get_ints(attr);
  const std::string prefix = n.name + "_" + attr;
  n.attrs.erase(attr);
  const ValueId c = add_i64_constant(g, prefix, v);
  g.set_node_input(id, 1, c);
  return true;
}

Status upgrade_opset_to_13(Graph& g) {
  const auto it = g.opsets.find("");
  const int64_t opset = it == g.opsets.end() ? 13 : it->second;
  if (opset >= 13) return ok_status();
  if (opset < 11) return unsupported("upgrade_opset: opset " + std::to_string(opset) + " (expected 11..13)");
  for (NodeId id : g.live_nodes()) {
    if (g.node(id).op_type == "Upsample") {
      return unsupported("upgrade_opset: node '" + g.node(id).name + "' is an Upsample, which opset 13 does not have");
    }
  }
  UpgradeOpset pass;
  YQ_ASSIGN_OR_RETURN(int changed, run_pass_once(g, pass));
  (void)changed;
  g.opsets[""] = 13;
  return ok_status();
}

}  // namespace yq::ir
