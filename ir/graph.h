// SPDX-License-Identifier: Apache-2.0
// The graph IR that every yoloq layer works on.
//
// A Graph owns Nodes and Values and hands out stable integer ids (NodeId, ValueId) that stay
// valid for the graph's life: removing a node only marks it dead; ids are never reused.
// Values know their producer and consumers; only Graph methods edit those edges, so they
// cannot drift apart. Initializers and folded constants are Values with `constant` set.
// QParams (how a tensor is quantized) live on the Value.
//
// Ownership: a Graph is a plain value type (movable, copyable). Node/Value references returned
// by node()/value() are invalidated by add_node()/add_value() (the vectors may grow), so keep ids,
// not references, across edits.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "base/status.h"
#include "base/tensor.h"
#include "ir/attributes.h"
#include "ir/qparams.h"

namespace yq::ir {

using ValueId = int32_t;
using NodeId = int32_t;
constexpr ValueId kNoValue = -1;  // an omitted optional input (ONNX's empty name)
constexpr NodeId kNoNode = -1;

class Graph;

class Value {
 public:
  ValueId id = kNoValue;
  std::string name;
  DType dtype = DType::kF32;
  Shape shape;
  bool shape_known = false;           // set by shape inference (or import, for inputs)
  std::optional<Tensor> constant;     // initializer or folded constant
  std::optional<QParams> qparams;     // set by calibration / QDQ import

  NodeId producer() const { return producer_; }
  // One entry per use: a node reading this value twice appears twice.
  const std::vector<NodeId>& consumers() const { return consumers_; }
  bool is_constant() const { return constant.has_value(); }
  bool alive() const { return alive_; }

 private:
  friend class Graph;
  NodeId producer_ = kNoNode;
  std::vector<NodeId> consumers_;
  bool alive_ = true;
};

class Node {
 public:
  NodeId id = kNoNode;
  std::string op_type;  // ONNX op type ("Conv") or a yoloq fused op ("yq.ConvAct" etc.)
  std::string name;
  std::string domain;   // "" for the ONNX default domain
  Attributes attrs;

  const std::vector<ValueId>& inputs() const { return inputs_; }
  const std::vector<ValueId>& outputs() const { return outputs_; }
  ValueId input(size_t i) const { return i < inputs_.size() ? inputs_[i] : kNoValue; }
  ValueId output(size_t i) const { return i < outputs_.size() ? outputs_[i] : kNoValue; }
  bool alive() const { return alive_; }

 private:
  friend class Graph;
  std::vector<ValueId> inputs_;
  std::vector<ValueId> outputs_;
  bool alive_ = true;
};

class Graph {
 public:
  std::string name;
  std::map<std::string, int64_t> opsets;  // domain -> version ("" is the default domain)
  int64_t ir_version = 7;
  std::string producer_name;
  std::map<std::string, std::string> metadata;  // ONNX metadata_props, kept for export

  // --- building ---
  ValueId add_value(const std::string& name, DType dtype = DType::kF32, Shape shape = {}, bool shape_known = false);
  ValueId add_constant(const std::string& name, Tensor t);
  // Inputs may contain kNoValue for omitted optional inputs. Outputs must not have a producer yet.
  NodeId add_node(const std::string& op_type, const std::string& name, std::vector<ValueId> inputs,
                  std::vector<ValueId> outputs, Attributes attrs = {});
  void add_input(ValueId v);   // graph input (fed at run time)
  void add_output(ValueId v);  // graph output

  // --- editing (the only ways edges change) ---
  void set_node_input(NodeId n, size_t index, ValueId v);  // index may be == size to append
  void set_node_inputs(NodeId n, std::vector<ValueId> inputs);
  void set_node_output(NodeId n, size_t index, ValueId v);  // v must have no producer
  // Every read of `from` (node inputs and graph outputs) reads `to` instead.
  void replace_all_uses(ValueId from, ValueId to);
  // Detach a node from its inputs and outputs and mark it dead. Its outputs lose their producer.
  void remove_node(NodeId n);
  // Mark dead every value that is no longer referenced (no producer, no consumer, not a graph
  // input/output). Returns how many were removed.
  int sweep_values();
  // Make a unique value/node name with this prefix.
  std::string unique_name(const std::string& prefix);

  // --- reading ---
  Node& node(NodeId id);
  const Node& node(NodeId id) const;
  Value& value(ValueId id);
  const Value& value(ValueId id) const;
  std::optional<ValueId> find_value(const std::string& name) const;
  const std::vector<ValueId>& inputs() const { return inputs_; }
  const std::vector<ValueId>& outputs() const { return outputs_; }
  bool is_graph_output(ValueId v) const;
  bool is_graph_input(ValueId v) const;
  size_t node_capacity() const { return nodes_.size(); }   // ids range over [0, capacity)
  size_t value_capacity() const { return values_.size(); }
  std::vector<NodeId> live_nodes() const;  // in id order
  size_t live_node_count() const;
  // Live nodes in a topological order (stable: ties broken by id). Cycles are a YQ_CHECK.
  std::vector<NodeId> topo_order() const;
  // The single producer node of v, or nullptr for inputs / constants.
  const Node* producer_of(ValueId v) const;

  // Structural consistency: edges agree in both directions, ids in range, no dead references,
  // each value has at most one producer, acyclic. Cheap enough to run after every pass in debug.
  Status verify() const;

 private:
  std::vector<Node> nodes_;
  std::vector<Value> values_;
  std::vector<ValueId> inputs_;
  std::vector<ValueId> outputs_;
  std::map<std::string, ValueId> value_by_name_;
  int64_t name_counter_ = 0;
};

}  // namespace yq::ir
