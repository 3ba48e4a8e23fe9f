// SPDX-License-Identifier: Apache-2.0
#include "ir/graph.h"

#include <algorithm>
#include <queue>
#include <set>

#include "base/check.h"

namespace yq::ir {

ValueId Graph::add_value(const std::string& vname, DType dtype, Shape shape, bool shape_known) {
  Value v;
  v.id = static_cast<ValueId>(values_.size());
  v.name = vname.empty() ? unique_name("v") : vname;
  v.dtype = dtype;
  v.shape = std::move(shape);
  v.shape_known = shape_known;
  YQ_CHECK(value_by_name_.count(v.name) == 0) << "duplicate value name '" << v.name << "'";
  value_by_name_[v.name] = v.id;
  values_.push_back(std::move(v));
  return values_.back().id;
}

ValueId Graph::add_constant(const std::string& vname, Tensor t) {
  const ValueId id = add_value(vname, t.dtype(), t.shape(), true);
  values_[id].constant = std::move(t);
  return id;
}

NodeId Graph::add_node(const std::string& op_type, const std::string& nname, std::vector<ValueId> inputs,
                       std::vector<ValueId> outputs, Attributes attrs) {
  Node n;
  n.id = static_cast<NodeId>(nodes_.size());
  n.op_type = op_type;
  n.name = nname.empty() ? unique_name(op_type) : nname;
  n.attrs = std::move(attrs);
  for (ValueId in : inputs) {
    if (in == kNoValue) continue;
    YQ_CHECK(in >= 0 && static_cast<size_t>(in) < values_.size() && values_[in].alive_) << "bad input id " << in;
    values_[in].consumers_.push_back(n.id);
  }
  for (ValueId out : outputs) {
    YQ_CHECK(out >= 0 && static_cast<size_t>(out) < values_.size()) << "bad output id " << out;
    YQ_CHECK(values_[out].producer_ == kNoNode) << "value '" << values_[out].name << "' already has a producer";
    values_[out].producer_ = n.id;
  }
  n.inputs_ = std::move(inputs);
  n.outputs_ = std::move(outputs);
  nodes_.push_back(std::move(n));
  return nodes_.back().id;
}

void Graph::add_input(ValueId v) { inputs_.push_back(v); }
void Graph::add_output(ValueId v) { outputs_.push_back(v); }

namespace {
void erase_one(std::vector<NodeId>& v, NodeId id) {
  auto it = std::find(v.begin(), v.end(), id);
  YQ_CHECK(it != v.end()) << "edge bookkeeping out of sync for node " << id;
  v.erase(it);
}
}  // namespace

void Graph::set_node_input(NodeId nid, size_t index, ValueId v) {
  Node& n = node(nid);
  YQ_CHECK(index <= n.inputs_.size());
  if (index == n.inputs_.size()) n.inputs_.push_back(kNoValue);
  const ValueId old = n.inputs_[index];
  if (old != kNoValue) erase_one(values_[old].consumers_, nid);
  n.inputs_[index] = v;
  if (v != kNoValue) values_.at(v).consumers_.push_back(nid);
}

void Graph::set_node_inputs(NodeId nid, std::vector<ValueId> inputs) {
  Node& n = node(nid);
  for (ValueId old : n.inputs_) {
    if (old != kNoValue) erase_one(values_[old].consumers_, nid);
  }
  n.inputs_ = std::move(inputs);
  for (ValueId v : n.inputs_) {
    if (v != kNoValue) values_.at(v).consumers_.push_back(nid);
  }
}

void Graph::set_node_output(NodeId nid, size_t index, ValueId v) {
  Node& n = node(nid);
  YQ_CHECK(index <= n.outputs_.size());
  if (index == n.outputs_.size()) n.outputs_.push_back(kNoValue);
  const ValueId old = n.outputs_[index];
  if (old != kNoValue && values_[old].producer_ == nid) values_[old].producer_ = kNoNode;
  YQ_CHECK(values_.at(v).producer_ == kNoNode) << "value '" << values_[v].name << "' already has a producer";
  n.outputs_[index] = v;
  values_[v].producer_ = nid;
}

void Graph::replace_all_uses(ValueId from, ValueId to) {
  if (from == to) return;
  const std::vector<NodeId> users = values_.at(from).consumers_;
  for (NodeId nid : users) {
    Node& n = nodes_[nid];
    for (size_t i = 0; i < n.inputs_.size(); ++i) {
      if (n.inputs_[i] == from) set_node_input(nid, i, to);
    }
  }
  for (ValueId& o : outputs_) {
    if (o == from) o = to;
  }
}

void Graph::remove_node(NodeId nid) {
  Node& n = node(nid);
  for (ValueId in : n.inputs_) {
    if (in != kNoValue) erase_one(values_[in].consumers_, nid);
  }
  for (ValueId out : n.outputs_) {
    if (out != kNoValue && values_[out].producer_ == nid) values_[out].producer_ = kNoNode;
  }
  n.inputs_.clear();
  n.outputs_.clear();
  n.alive_ = false;
}

int Graph::sweep_values() {
  int removed = 0;
  for (Value& v : values_) {
    if (!v.alive_ || v.producer_ != kNoNode || !v.consumers_.empty()) continue;
    if (is_graph_input(v.id) || is_graph_output(v.id)) continue;
    v.alive_ = false;
    v.constant.reset();
    value_by_name_.erase(v.name);
    ++removed;
  }
  return removed;
}

std::string Graph::unique_name(const std::string& prefix) {
  for (;;) {
    std::string n = prefix + "_yq" + std::to_string(name_counter_++);
    if (value_by_name_.count(n) == 0) return n;
  }
}

Node& Graph::node(NodeId id) {
  YQ_CHECK(id >= 0 && static_cast<size_t>(id) < nodes_.size()) << "node id " << id;
  return nodes_[id];
}
const Node& Graph::node(NodeId id) const {
  YQ_CHECK(id >= 0 && static_cast<size_t>(id) < nodes_.size()) << "node id " << id;
  return nodes_[id];
}
Value& Graph::value(ValueId id) {
  YQ_CHECK(id >= 0 && static_cast<size_t>(id) < values_.size()) << "value id " << id;
  return values_[id];
}
const Value& Graph::value(ValueId id) const {
  YQ_CHECK(id >= 0 && static_cast<size_t>(id) < values_.size()) << "value id " << id;
  return values_[id];
}

std::optional<ValueId> Graph::find_value(const std::string& vname) const {
  auto it = value_by_name_.find(vname);
  if (it == value_by_name_.end()) return std::nullopt;
  return it->second;
}

bool Graph::is_graph_output(ValueId v) const { return std::find(outputs_.begin(), outputs_.end(), v) != outputs_.end(); }
bool Graph::is_graph_input(ValueId v) const { return std::find(inputs_.begin(), inputs_.end(), v) != inputs_.end(); }

std::vector<NodeId> Graph::live_nodes() const {
  std::vector<NodeId> out;
  for (const Node& n : nodes_) {
    if (n.alive_) out.push_back(n.id);
  }
  return out;
}

size_t Graph::live_node_count() const {
  return static_cast<size_t>(std::count_if(nodes_.begin(), nodes_.end(), [](const Node& n) { return n.alive_; }));
}

std::vector<NodeId> Graph::topo_order() const {
  // Kahn's algorithm with a min-heap on id, so the order is deterministic and stays close to
  // the file's order (ONNX files are already topologically sorted).
  std::vector<int> pending(nodes_.size(), 0);
  for (const Node& n : nodes_) {
    if (!n.alive_) continue;
    for (ValueId in : n.inputs_) {
      if (in != kNoValue && values_[in].producer_ != kNoNode) ++pending[n.id];
    }
  }
  std::priority_queue<NodeId, std::vector<NodeId>, std::greater<>> ready;
  for (const Node& n : nodes_) {
    if (n.alive_ && pending[n.id] == 0) ready.push(n.id);
  }
  std::vector<NodeId> order;
  while (!ready.empty()) {
    const NodeId id = ready.top();
    ready.pop();
    order.push_back(id);
    for (ValueId out : nodes_[id].outputs_) {
      if (out == kNoValue) continue;
      for (NodeId c : values_[out].consumers_) {
        if (--pending[c] == 0) ready.push(c);
      }
    }
  }
  YQ_CHECK(order.size() == live_node_count()) << "graph has a cycle";
  return order;
}

const Node* Graph::producer_of(ValueId v) const {
  const NodeId p = value(v).producer_;
  return p == kNoNode ? nullptr : &nodes_[p];
}

Status Graph::verify() const {
  auto fail = [](const std::string& m) { return internal_error("graph verify: " + m); };
  for (const Node& n : nodes_) {
    if (!n.alive_) continue;
    for (ValueId in : n.inputs_) {
      if (in == kNoValue) continue;
      if (in < 0 || static_cast<size_t>(in) >= values_.size()) return fail("node '" + n.name + "' has bad input id");
      const Value& v = values_[in];
      if (!v.alive_) return fail("node '" + n.name + "' reads dead value '" + v.name + "'");
      if (std::count(v.consumers_.begin(), v.consumers_.end(), n.id) !=
          std::count(n.inputs_.begin(), n.inputs_.end(), in)) {
        return fail("consumer list of '" + v.name + "' disagrees with node '" + n.name + "'");
      }
      if (v.producer_ == kNoNode && !v.constant && !is_graph_input(in)) {
        return fail("node '" + n.name + "' reads '" + v.name + "', which nothing produces");
      }
    }
    for (ValueId out : n.outputs_) {
      if (out == kNoValue) continue;
      if (values_.at(out).producer_ != n.id) return fail("producer of '" + values_[out].name + "' is not '" + n.name + "'");
    }
  }
  for (const Value& v : values_) {
    if (!v.alive_) continue;
    for (NodeId c : v.consumers_) {
      if (!nodes_.at(c).alive_) return fail("value '" + v.name + "' lists dead consumer '" + nodes_[c].name + "'");
    }
    if (v.producer_ != kNoNode && !nodes_.at(v.producer_).alive_) return fail("value '" + v.name + "' has a dead producer");
  }
  for (ValueId o : outputs_) {
    const Value& v = values_.at(o);
    if (!v.alive_ || (v.producer_ == kNoNode && !v.constant && !is_graph_input(o))) {
      return fail("graph output '" + v.name + "' is not produced");
    }
  }
  // Acyclic: topo_order covers every live node.
  std::vector<int> pending(nodes_.size(), 0);
  size_t live = 0;
  std::vector<NodeId> ready;
  for (const Node& n : nodes_) {
    if (!n.alive_) continue;
    ++live;
    for (ValueId in : n.inputs_) {
      if (in != kNoValue && values_[in].producer_ != kNoNode) ++pending[n.id];
    }
    if (pending[n.id] == 0) ready.push_back(n.id);
  }
  size_t seen = 0;
  while (!ready.empty()) {
    const NodeId id = ready.back();
    ready.pop_back();
    ++seen;
    for (ValueId out : nodes_[id].outputs_) {
      if (out == kNoValue) continue;
      for (NodeId c : values_[out].consumers_) {
        if (--pending[c] == 0) ready.push_back(c);
      }
    }
  }
  if (seen != live) return fail("graph has a cycle");
  return ok_status();
}

}  // namespace yq::ir
