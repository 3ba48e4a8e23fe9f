// SPDX-License-Identifier: Apache-2.0
// Helpers for the engine tests: small graphs built in code with shapes set by hand, random inputs
// from a fixed seed, and the oneDNN-vs-reference comparison every kernel test uses.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "ir/graph.h"
#include "runtime/engine.h"

namespace yq::runtime::testing {

inline Tensor random_tensor(const Shape& shape, uint32_t seed, float lo = -1.f, float hi = 1.f) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(lo, hi);
  Tensor t = Tensor::empty(DType::kF32, shape);
  float* p = t.data<float>();
  for (int64_t i = 0; i < t.numel(); ++i) p[i] = dist(rng);
  return t;
}

inline ir::ValueId add_input(ir::Graph& g, const std::string& name, const Shape& shape) {
  ir::ValueId v = g.add_value(name, DType::kF32, shape, true);
  g.add_input(v);
  return v;
}

inline ir::ValueId add_act(ir::Graph& g, const std::string& name, const Shape& shape) {
  return g.add_value(name, DType::kF32, shape, true);
}

inline ir::ValueId add_const(ir::Graph& g, const std::string& name, const Shape& shape, uint32_t seed) {
  ir::ValueId v = g.add_constant(name, random_tensor(shape, seed));
  g.value(v).shape = shape;
  g.value(v).shape_known = true;
  return v;
}

// Max |a-b| must stay within 1e-4 * max|ref| + 1e-5.
inline void expect_close(const Tensor& got, const Tensor& ref, const std::string& what) {
  ASSERT_EQ(got.shape(), ref.shape()) << what;
  ASSERT_EQ(got.dtype(), ref.dtype()) << what;
  const float* a = got.data<float>();
  const float* b = ref.data<float>();
  float max_ref = 0.f, max_diff = 0.f;
  int64_t worst = 0;
  for (int64_t i = 0; i < ref.numel(); ++i) {
    max_ref = std::max(max_ref, std::fabs(b[i]));
    float d = std::fabs(a[i] - b[i]);
    if (!(d <= max_diff)) {  // also catches NaN
      max_diff = d;
      worst = i;
    }
  }
  EXPECT_LE(max_diff, 1e-4f * max_ref + 1e-5f)
      << what << ": worst at flat index " << worst << " got " << a[worst] << " ref " << b[worst];
}

struct RunResult {
  std::vector<Tensor> outputs;
  EngineStats stats;
};

inline RunResult run_graph(const ir::Graph& g, const std::vector<Tensor>& inputs, bool use_onednn,
                           EngineOptions opts = {}) {
  opts.use_onednn = use_onednn;
  opts.threads = 2;
  auto e = Engine::create(g, opts);
  EXPECT_TRUE(e.ok()) << e.status().message();
  if (!e.ok()) return {};
  RunResult r;
  Status s = (*e)->run(inputs, &r.outputs);
  EXPECT_TRUE(s.ok()) << s.message();
  // A second run must give the same answer (no state leaks between runs through the arena).
  std::vector<Tensor> again;
  s = (*e)->run(inputs, &again);
  EXPECT_TRUE(s.ok()) << s.message();
  for (size_t i = 0; i < again.size() && i < r.outputs.size(); ++i)
    EXPECT_EQ(0, std::memcmp(again[i].raw(), r.outputs[i].raw(), again[i].nbytes())) << "run 2 differs, output " << i;
  r.stats = (*e)->stats();
  return r;
}

// Runs `g` on oneDNN and on the reference kernels and compares every output. Returns the oneDNN
// run's stats so callers can check which kernels were used.
inline EngineStats compare_onednn_vs_ref(const ir::Graph& g, const std::vector<Tensor>& inputs,
                                         const std::string& what) {
  RunResult fast = run_graph(g, inputs, true);
  RunResult ref = run_graph(g, inputs, false);
  EXPECT_EQ(ref.stats.onednn_kernels, 0) << what;
  EXPECT_EQ(fast.outputs.size(), ref.outputs.size()) << what;
  for (size_t i = 0; i < fast.outputs.size() && i < ref.outputs.size(); ++i)
    expect_close(fast.outputs[i], ref.outputs[i], what + " output " + std::to_string(i));
  return fast.stats;
}

inline int64_t conv_out(int64_t in, int64_t k, int64_t s, int64_t pb, int64_t pe, int64_t d) {
  return (in + pb + pe - ((k - 1) * d + 1)) / s + 1;
}

}  // namespace yq::runtime::testing
