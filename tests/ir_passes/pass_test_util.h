// SPDX-License-Identifier: Apache-2.0
// Test helpers for the pass tests: a graph builder with seeded random weights, op counting, and a
// tiny interpreter that runs a graph node by node through the reference kernels (the oracle) so
// a graph can be compared before and after a rewrite.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "base/status.h"
#include "base/tensor.h"
#include "ir/graph.h"
#include "ir/shape_inference.h"
#include "runtime/kernels/ref/ref_kernels.h"

namespace yq::ir::testing {

// Builds small NCHW graphs; every value gets its shape, so the interpreter can allocate outputs.
class GraphBuilder {
 public:
  explicit GraphBuilder(uint32_t seed) : rng_(seed) {}

  Graph g;
  NodeId last = kNoNode;  // the node added last

  Tensor random(const Shape& shape, float lo = -1.0f, float hi = 1.0f) {
    std::uniform_real_distribution<float> d(lo, hi);
    Tensor t = Tensor::empty(DType::kF32, shape);
    float* p = t.data<float>();
    for (int64_t i = 0; i < t.numel(); ++i) p[i] = d(rng_);
    return t;
  }

  ValueId input(const std::string& name, const Shape& shape) {
    const ValueId v = g.add_value(name, DType::kF32, shape, true);
    g.add_input(v);
    return v;
  }
  ValueId constant(const Tensor& t) { return g.add_constant(g.unique_name("c"), t); }
  // An int64 constant: 1-D [v.size()] (Reshape shapes, Slice starts, Gather indices, ...).
  ValueId ints(const std::vector<int64_t>& v) {
    Tensor t = Tensor::empty(DType::kI64, {static_cast<int64_t>(v.size())});
    for (size_t i = 0; i < v.size(); ++i) t.data<int64_t>()[i] = v[i];
    return constant(t);
  }
  void output(ValueId v) { g.add_output(v); }

  ValueId conv(ValueId x, int64_t co, int64_t k, int64_t stride = 1, int64_t pad = 0, int64_t group = 1,
               bool bias = true) {
    const Shape xs = g.value(x).shape;  // a copy: adding values may move the Value
    const int64_t ci = xs[1];
    const ValueId w = constant(random({co, ci / group, k, k}, -0.5f, 0.5f));
    std::vector<ValueId> ins{x, w};
    if (bias) ins.push_back(constant(random({co}, -0.5f, 0.5f)));
    const int64_t oh = (xs[2] + 2 * pad - k) / stride + 1;
    const int64_t ow = (xs[3] + 2 * pad - k) / stride + 1;
    const ValueId y = g.add_value(g.unique_name("conv_out"), DType::kF32, {xs[0], co, oh, ow}, true);
    Attributes a;
    a.set("kernel_shape", std::vector<int64_t>{k, k});
    a.set("strides", std::vector<int64_t>{stride, stride});
    a.set("pads", std::vector<int64_t>{pad, pad, pad, pad});
    a.set("dilations", std::vector<int64_t>{1, 1});
    a.set("group", group);
    last = g.add_node("Conv", g.unique_name("conv"), ins, {y}, a);
    return y;
  }

  // Inference BatchNormalization with random, well-conditioned statistics.
  ValueId bn(ValueId x, float eps = 1e-5f) {
    const int64_t c = g.value(x).shape[1];
    const ValueId gamma = constant(random({c}, 0.5f, 1.5f));
    const ValueId beta = constant(random({c}, -0.5f, 0.5f));
    const ValueId mean = constant(random({c}, -0.5f, 0.5f));
    const ValueId var = constant(random({c}, 0.5f, 2.0f));
    return bn_with(x, gamma, beta, mean, var, eps);
  }
  ValueId bn_with(ValueId x, ValueId gamma, ValueId beta, ValueId mean, ValueId var, float eps = 1e-5f) {
    Attributes a;
    a.set("epsilon", eps);
    return node("BatchNormalization", {x, gamma, beta, mean, var}, g.value(x).shape, a);
  }

  // A single-output node whose output has `shape` (default: the first input's shape).
  ValueId node(const std::string& op, const std::vector<ValueId>& ins, Shape shape = {}, Attributes a = {}) {
    if (shape.empty()) shape = g.value(ins[0]).shape;
    const ValueId y = g.add_value(g.unique_name(op + "_out"), DType::kF32, shape, true);
    last = g.add_node(op, g.unique_name(op), ins, {y}, a);
    return y;
  }
  ValueId unary(const std::string& op, ValueId x, Attributes a = {}) { return node(op, {x}, {}, a); }
  ValueId binary(const std::string& op, ValueId a, ValueId b) { return node(op, {a, b}); }

 private:
  std::mt19937 rng_;
};

inline int count_ops(const Graph& g, const std::string& op) {
  int n = 0;
  for (NodeId id : g.live_nodes()) n += g.node(id).op_type == op ? 1 : 0;
  return n;
}

// Runs `g` on `inputs` (one per graph input) through the reference kernels, in topological order.
// Output dtypes and shapes come from ir::infer_shapes on a copy (so a rewritten graph must still
// infer); the reference kernel of every op must exist.
inline Expected<std::vector<Tensor>> run_reference(Graph g, const std::vector<Tensor>& inputs) {
  for (size_t i = 0; i < g.value_capacity(); ++i) {
    Value& v = g.value(static_cast<ValueId>(i));
    if (!v.is_constant() && !g.is_graph_input(v.id)) v.shape_known = false;  // recomputed below
  }
  YQ_RETURN_IF_ERROR(infer_shapes(g).with_context("run_reference: shape inference"));
  std::map<ValueId, Tensor> env;
  if (inputs.size() != g.inputs().size()) return invalid_argument("run_reference: wrong input count");
  for (size_t i = 0; i < inputs.size(); ++i) env[g.inputs()[i]] = inputs[i];
  auto fetch = [&](ValueId v) -> const Tensor* {
    if (v == kNoValue) return nullptr;
    auto it = env.find(v);
    if (it != env.end()) return &it->second;
    const Value& val = g.value(v);
    return val.constant ? &*val.constant : nullptr;
  };
  for (NodeId id : g.topo_order()) {
    const Node& n = g.node(id);
    runtime::ref::RefKernelFn fn = runtime::ref::find_ref_kernel(n.op_type);
    if (fn == nullptr) return unsupported("run_reference: no reference kernel for " + n.op_type);
    std::vector<const Tensor*> in;
    for (ValueId v : n.inputs()) {
      const Tensor* t = fetch(v);
      if (v != kNoValue && t == nullptr) return internal_error("run_reference: '" + g.value(v).name + "' not computed");
      in.push_back(t);
    }
    std::vector<Tensor> out;
    for (ValueId v : n.outputs()) {
      const Value& val = g.value(v);
      if (!val.shape_known) return internal_error("run_reference: shape of '" + val.name + "' unknown");
      out.push_back(Tensor::empty(val.dtype, val.shape));
    }
    YQ_RETURN_IF_ERROR(fn(n, in, out).with_context("node '" + n.name + "'"));
    for (size_t i = 0; i < out.size(); ++i) env[n.output(i)] = out[i];
  }
  std::vector<Tensor> result;
  for (ValueId o : g.outputs()) {
    const Tensor* t = fetch(o);
    if (t == nullptr) return internal_error("run_reference: output '" + g.value(o).name + "' not computed");
    result.push_back(*t);
  }
  return result;
}

// max |a - b| <= rel * max|b| (+ a tiny floor for all-zero outputs): relative to the tensor's scale,
// so values near zero do not make the check meaningless.
inline ::testing::AssertionResult all_close(const Tensor& a, const Tensor& b, double rel) {
  if (a.shape() != b.shape()) return ::testing::AssertionFailure() << "shape " << shape_str(a.shape()) << " vs " << shape_str(b.shape());
  double max_diff = 0.0;
  double max_ref = 0.0;
  const float* pa = a.data<float>();
  const float* pb = b.data<float>();
  for (int64_t i = 0; i < a.numel(); ++i) {
    max_diff = std::max(max_diff, std::abs(static_cast<double>(pa[i]) - pb[i]));
    max_ref = std::max(max_ref, std::abs(static_cast<double>(pb[i])));
  }
  const double tol = rel * max_ref + 1e-7;
  if (max_diff <= tol) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "max |diff| " << max_diff << " > " << tol << " (max |ref| " << max_ref << ")";
}

// Runs `before` and `after` on the same seeded random inputs and compares every output.
inline void expect_same_outputs(const Graph& before, const Graph& after, double rel, uint32_t seed = 7) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> d(-2.0f, 2.0f);
  std::vector<Tensor> inputs;
  for (ValueId v : before.inputs()) {
    Tensor t = Tensor::empty(DType::kF32, before.value(v).shape);
    for (int64_t i = 0; i < t.numel(); ++i) t.data<float>()[i] = d(rng);
    inputs.push_back(t);
  }
  auto ra = run_reference(before, inputs);
  ASSERT_TRUE(ra.ok()) << "before: " << ra.status().message();
  auto rb = run_reference(after, inputs);
  ASSERT_TRUE(rb.ok()) << "after: " << rb.status().message();
  ASSERT_EQ(ra->size(), rb->size());
  for (size_t i = 0; i < ra->size(); ++i) EXPECT_TRUE(all_close((*rb)[i], (*ra)[i], rel)) << "output " << i;
}

}  // namespace yq::ir::testing

// Numeric tests need the reference kernel library; while it has not landed at all (no Conv), they
// skip instead of failing. A missing kernel for any other op is a failure.
#define YQ_REQUIRE_REF_KERNELS()                                                            \
  do {                                                                                      \
    if (::yq::runtime::ref::find_ref_kernel("Conv") == nullptr) {                           \
      GTEST_SKIP() << "reference kernels not available yet (no Conv kernel registered)";   \
    }                                                                                       \
  } while (0)
