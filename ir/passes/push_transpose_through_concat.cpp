// SPDX-License-Identifier: Apache-2.0
#include "ir/passes/push_transpose_through_concat.h"

#include <string>
#include <vector>

namespace yq::ir {

namespace {

// The Transpose's permutation (ONNX default: reversed dims) for a rank-r input; empty when it is
// not a permutation of 0..r-1.
std::vector<int64_t> permutation(const Node& t, size_t rank) {
  std::vector<int64_t> perm = t.attrs.get_ints("perm", {});
  if (perm.empty())
    for (size_t i = rank; i-- > 0;) perm.push_back(static_cast<int64_t>(i));
  std::vector<bool> seen(rank, false);
  if (perm.size() != rank) return {};
  for (int64_t p : perm) {
    if (p < 0 || p >= static_cast<int64_t>(rank) || seen[p]) return {};
    seen[p] = true;
  }
  return perm;
}

const Node* concat_feeding(const Graph& g, const Node& t) {
  if (!t.domain.empty() || t.op_type != "Transpose" || t.inputs().size() != 1 || t.outputs().size() != 1) return nullptr;
  const ValueId c = t.input(0);
  if (c == kNoValue || g.value(c).producer() == kNoNode) return nullptr;
  const Node& cat = g.node(g.value(c).producer());
  if (!cat.domain.empty() || cat.op_type != "Concat" || cat.inputs().size() < 2) return nullptr;
  return &cat;
}

}  // namespace

bool PushTransposeThroughConcat::match(const Graph& g, NodeId id) const {
  const Node& t = g.node(id);
  const Node* cat = concat_feeding(g, t);
  if (!cat) return false;
  const ValueId c = t.input(0), y = t.output(0);
  const Value& cv = g.value(c);
  if (cv.consumers().size() != 1 || g.is_graph_output(c) || cv.qparams || g.value(y).qparams) return false;
  if (!cv.shape_known || cv.shape.empty()) return false;
  for (ValueId x : cat->inputs())
    if (x == kNoValue || !g.value(x).shape_known || g.value(x).shape.size() != cv.shape.size()) return false;
  return !permutation(t, cv.shape.size()).empty();
}

Expected<bool> PushTransposeThroughConcat::apply(Graph& g, NodeId id) {
  if (!match(g, id)) return false;
  const Node& t = g.node(id);
  const NodeId cat_id = g.value(t.input(0)).producer();
  const ValueId y = t.output(0);
  const std::string t_name = t.name, cat_name = g.node(cat_id).name;
  const size_t rank = g.value(t.input(0)).shape.size();
  const std::vector<int64_t> perm = permutation(t, rank);
  int64_t axis = g.node(cat_id).attrs.get_int("axis", 0);
  if (axis < 0) axis += static_cast<int64_t>(rank);
  if (axis < 0 || axis >= static_cast<int64_t>(rank))
    return invalid_model("Concat '" + cat_name + "': axis out of range for rank " + std::to_string(rank));
  int64_t new_axis = 0;
  while (perm[new_axis] != axis) ++new_axis;
  const std::vector<ValueId> parts = g.node(cat_id).inputs();

  std::vector<ValueId> moved;
  for (size_t k = 0; k < parts.size(); ++k) {
    const Value& xv = g.value(parts[k]);
    Shape s(rank);
    for (size_t i = 0; i < rank; ++i) s[i] = xv.shape[perm[i]];
    const ValueId o = g.add_value(g.unique_name(xv.name + "_transposed"), xv.dtype, s, true);
    Attributes a;
    a.set("perm", perm);
    g.add_node("Transpose", g.unique_name(t_name + "_" + std::to_string(k)), {parts[k]}, {o}, a);
    moved.push_back(o);
  }
  g.remove_node(id);
  g.remove_node(cat_id);
  Attributes ca;
  ca.set("axis", new_axis);
  g.add_node("Concat", cat_name, moved, {y}, ca);
  return true;
}

}  // namespace yq::ir
