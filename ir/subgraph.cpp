// SPDX-License-Identifier: Apache-2.0
#include "ir/subgraph.h"

#include <string>

#include "base/check.h"

namespace yq::ir {

Expected<Graph> extract_subgraph(const Graph& g, const std::set<NodeId>& nodes,
                                 const std::vector<ValueId>& extra_outputs) {
  for (NodeId n : nodes) {
    if (n < 0 || static_cast<size_t>(n) >= g.node_capacity() || !g.node(n).alive()) {
      return invalid_argument("extract_subgraph: node id " + std::to_string(n) + " is not a live node of the graph");
    }
  }
  auto produced_inside = [&](ValueId v) {
    const NodeId p = g.value(v).producer();
    return p != kNoNode && nodes.count(p) > 0;
  };
  for (ValueId v : extra_outputs) {
    if (v < 0 || static_cast<size_t>(v) >= g.value_capacity() || !g.value(v).alive()) {
      return invalid_argument("extract_subgraph: extra output id " + std::to_string(v) +
                              " is not a live value of the graph");
    }
    if (!produced_inside(v)) {
      return invalid_argument("extract_subgraph: extra output '" + g.value(v).name +
                              "' is not produced by a selected node");
    }
  }

  Graph sub;
  sub.name = g.name;
  sub.opsets = g.opsets;
  sub.ir_version = g.ir_version;
  sub.producer_name = g.producer_name;
  sub.metadata = g.metadata;

  std::vector<ValueId> copy_of(g.value_capacity(), kNoValue);  // g's id -> sub's id
  auto copy_value = [&](ValueId v) {
    if (copy_of[v] != kNoValue) return copy_of[v];
    const Value& src = g.value(v);
    const ValueId id = sub.add_value(src.name, src.dtype, src.shape, src.shape_known);
    Value& dst = sub.value(id);
    dst.constant = src.constant;
    dst.qparams = src.qparams;
    copy_of[v] = id;
    return id;
  };

  for (NodeId id : g.topo_order()) {
    if (nodes.count(id) == 0) continue;
    const Node& n = g.node(id);
    std::vector<ValueId> ins, outs;
    for (ValueId v : n.inputs()) {
      if (v == kNoValue) {
        ins.push_back(kNoValue);
        continue;
      }
      // A value produced inside was copied with its producer (topological order); anything else
      // that is not a constant must be fed from outside.
      const bool boundary = copy_of[v] == kNoValue && !g.value(v).is_constant() && !produced_inside(v);
      ins.push_back(copy_value(v));
      if (boundary) sub.add_input(copy_of[v]);
    }
    for (ValueId v : n.outputs()) outs.push_back(copy_value(v));
    const NodeId nid = sub.add_node(n.op_type, n.name, std::move(ins), std::move(outs), n.attrs);
    sub.node(nid).domain = n.domain;
  }

  auto add_output_once = [&](ValueId v) {
    const ValueId s = copy_of[v];
    if (!sub.is_graph_output(s)) sub.add_output(s);
  };
  for (ValueId v : g.outputs()) {
    if (produced_inside(v)) add_output_once(v);
  }
  for (ValueId v : extra_outputs) add_output_once(v);
  return sub;
}

std::set<NodeId> downstream_nodes(const Graph& g, const std::vector<NodeId>& seeds) {
  std::set<NodeId> out;
  std::vector<NodeId> todo;
  for (NodeId n : seeds) {
    YQ_CHECK(g.node(n).alive()) << "downstream_nodes: seed node " << n << " is dead";
    if (out.insert(n).second) todo.push_back(n);
  }
  while (!todo.empty()) {
    const NodeId n = todo.back();
    todo.pop_back();
    for (ValueId v : g.node(n).outputs()) {
      if (v == kNoValue) continue;
      for (NodeId c : g.value(v).consumers()) {
        if (out.insert(c).second) todo.push_back(c);
      }
    }
  }
  return out;
}

}  // namespace yq::ir
