// SPDX-License-Identifier: Apache-2.0
// Helpers for the reference-kernel tests: run one op through RefEvaluator on a one-node graph,
// and make seeded random tensors.
#pragma once

#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "ir/graph.h"
#include "runtime/kernels/ref/ref_kernels.h"

namespace yq::runtime::ref::testing {

// Runs `op` with `inputs` (nullptr = omitted) into outputs of the given dtype/shape.
inline Expected<std::vector<Tensor>> run_op(const std::string& op, const ir::Attributes& attrs,
                                            const std::vector<const Tensor*>& inputs,
                                            const std::vector<ir::TensorInfo>& outputs) {
  ir::Graph g;
  std::vector<ir::ValueId> in_ids, out_ids;
  for (size_t i = 0; i < inputs.size(); ++i) {
    in_ids.push_back(inputs[i] ? g.add_value("in" + std::to_string(i), inputs[i]->dtype(), inputs[i]->shape(), true)
                               : ir::kNoValue);
  }
  for (size_t i = 0; i < outputs.size(); ++i) out_ids.push_back(g.add_value("out" + std::to_string(i)));
  const ir::NodeId n = g.add_node(op, "test_" + op, in_ids, out_ids, attrs);
  RefEvaluator ev;
  return ev.evaluate(g.node(n), inputs, outputs);
}

// Single-output convenience: asserts success.
inline Tensor run1(const std::string& op, const ir::Attributes& attrs, const std::vector<const Tensor*>& inputs,
                   DType dtype, const Shape& shape) {
  auto r = run_op(op, attrs, inputs, {ir::TensorInfo{dtype, shape, nullptr}});
  EXPECT_TRUE(r.ok()) << op << ": " << r.status().message();
  if (!r.ok()) return Tensor::zeros(dtype, shape);
  return std::move(r).value()[0];
}

inline Tensor random_f32(const Shape& s, uint32_t seed, float lo = -1.0f, float hi = 1.0f) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(lo, hi);
  Tensor t = Tensor::empty(DType::kF32, s);
  for (int64_t i = 0; i < t.numel(); ++i) t.data<float>()[i] = dist(rng);
  return t;
}

inline Tensor f32(const std::vector<float>& v, const Shape& s) { return Tensor::from_vector<float>(v, s); }
inline Tensor i64(const std::vector<int64_t>& v, const Shape& s) { return Tensor::from_vector<int64_t>(v, s); }

inline void expect_near(const Tensor& got, const Tensor& want, double tol) {
  ASSERT_EQ(got.shape(), want.shape());
  ASSERT_EQ(got.dtype(), DType::kF32);
  for (int64_t i = 0; i < got.numel(); ++i) {
    const double w = want.data<float>()[i];
    ASSERT_NEAR(got.data<float>()[i], w, tol * (1.0 + std::fabs(w))) << "at flat index " << i;
  }
}

}  // namespace yq::runtime::ref::testing
