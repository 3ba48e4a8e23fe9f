// SPDX-License-Identifier: Apache-2.0
// Small graph builder for the IR tests: graph inputs with known shapes, constants, and nodes
// whose outputs get generated names.
#pragma once

#include <string>
#include <vector>

#include "ir/graph.h"
#include "ir/shape_inference.h"

namespace yq::ir::testing {

class GraphBuilder {
 public:
  Graph g;

  ValueId input(const std::string& name, Shape shape, DType dtype = DType::kF32) {
    ValueId v = g.add_value(name, dtype, std::move(shape), true);
    g.add_input(v);
    return v;
  }
  ValueId constant(const std::string& name, Tensor t) { return g.add_constant(name, std::move(t)); }
  ValueId ints(const std::vector<int64_t>& v) {
    return constant(g.unique_name("c"), Tensor::from_vector<int64_t>(v, {static_cast<int64_t>(v.size())}));
  }
  ValueId floats(const std::vector<float>& v) {
    return constant(g.unique_name("c"), Tensor::from_vector<float>(v, {static_cast<int64_t>(v.size())}));
  }
  ValueId weights(Shape shape) { return constant(g.unique_name("w"), Tensor::zeros(DType::kF32, std::move(shape))); }

  // Adds a node named `name` with `n_out` fresh outputs; returns them.
  std::vector<ValueId> node_n(const std::string& op, const std::string& name, std::vector<ValueId> inputs, int n_out,
                              Attributes attrs = {}) {
    std::vector<ValueId> outs;
    for (int i = 0; i < n_out; ++i) outs.push_back(g.add_value(name + "_out" + std::to_string(i)));
    g.add_node(op, name, std::move(inputs), outs, std::move(attrs));
    for (ValueId o : outs) g.add_output(o);
    return outs;
  }
  ValueId node(const std::string& op, std::vector<ValueId> inputs, Attributes attrs = {}) {
    return node_n(op, g.unique_name(op), std::move(inputs), 1, std::move(attrs))[0];
  }

  Status infer(const ConstantEvaluator* ev = nullptr) {
    ShapeInferenceOptions opts;
    opts.evaluator = ev;
    return infer_shapes(g, opts);
  }
  const Shape& shape(ValueId v) const { return g.value(v).shape; }
  DType dtype(ValueId v) const { return g.value(v).dtype; }
};

// Builds Attributes inline: attrs({{"axis", int64_t{1}}}).
inline Attributes attrs(std::initializer_list<std::pair<const char*, AttrValue>> kv) {
  Attributes a;
  for (const auto& [k, v] : kv) a.set(k, v);
  return a;
}

inline bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

}  // namespace yq::ir::testing
