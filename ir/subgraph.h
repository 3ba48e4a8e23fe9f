// SPDX-License-Identifier: Apache-2.0
// Subgraph extraction: a stand-alone Graph made of some of another graph's nodes, so that a caller
// can rerun only the part of a model a change can affect and feed the rest from values it already
// has (quant/sensitivity.cpp reruns only what depends on the layer under test).
//
// extract_subgraph(g, nodes, extra_outputs) builds a new Graph through the Graph API (add_value,
// add_node, add_input, add_output) holding:
//  * nodes: a copy of every selected node (op type, name, domain, attributes, input slots in order,
//    omitted optional inputs kept as kNoValue), added in g.topo_order(), so the new ids follow a
//    topological order;
//  * values: a copy of every value the selected nodes read or write (name, dtype, shape,
//    shape_known, constant, qparams). Constant tensors share storage with g (Tensor copies share);
//  * inputs: the non-constant values the selected nodes read that no selected node produces
//    (produced by an unselected node, or inputs of g), each once, in order of first read when the
//    selected nodes are visited in g.topo_order() and their inputs in slot order. An input keeps
//    its qparams, so its consumers still read its fake-quantized form (ir/quantized_ir.md);
//  * outputs: g's outputs that a selected node produces, in g's output order, then
//    `extra_outputs` in the order given; each value appears once.
// Names are kept and ids are not: callers map between the two graphs by value/node name. The
// graph-level fields (name, opsets, ir_version, producer_name, metadata) are copied. The result
// passes verify(). Cost: one g.topo_order() plus the selected nodes and their edges.
//
// Errors (kInvalidArgument): a selected id that is not a live node of g; an extra output that is
// not a live value produced by a selected node (the message names it).
#pragma once

#include <set>
#include <vector>

#include "base/status.h"
#include "ir/graph.h"

namespace yq::ir {

Expected<Graph> extract_subgraph(const Graph& g, const std::set<NodeId>& nodes,
                                 const std::vector<ValueId>& extra_outputs = {});

// The live nodes that depend on `seeds`: the seeds themselves and, transitively, every consumer
// of an output of a node already in the set. Dead or out-of-range seeds are a YQ_CHECK (callers
// pass ids they got from g).
std::set<NodeId> downstream_nodes(const Graph& g, const std::vector<NodeId>& seeds);

}  // namespace yq::ir
