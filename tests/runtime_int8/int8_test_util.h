// SPDX-License-Identifier: Apache-2.0
// Helpers for the int8 tests: graphs built in code with fixed seeds, and a comparison that counts
// differences in units of the output scale (LSB).
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "ir/graph.h"
#include "quant/qmath.h"
#include "runtime/engine.h"

namespace yq::runtime::int8_testing {

inline Tensor random_tensor(const Shape& shape, uint32_t seed, float lo = -1.f, float hi = 1.f) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(lo, hi);
  Tensor t = Tensor::empty(DType::kF32, shape);
  for (int64_t i = 0; i < t.numel(); ++i) t.data<float>()[i] = dist(rng);
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
inline ir::ValueId add_const(ir::Graph& g, const std::string& name, Tensor t) {
  Shape s = t.shape();
  ir::ValueId v = g.add_constant(name, std::move(t));
  g.value(v).shape = s;
  g.value(v).shape_known = true;
  return v;
}
inline ir::QParams sym(float scale) { return *ir::QParams::per_tensor(scale, 0, DType::kI8); }

struct RunOut {
  std::vector<Tensor> outputs;
  EngineStats stats;
};

inline RunOut run(const ir::Graph& g, const std::vector<Tensor>& inputs, bool use_onednn) {
  EngineOptions o;
  o.use_onednn = use_onednn;
  o.threads = 2;
  RunOut r;
  auto e = Engine::create(g, o);
  EXPECT_TRUE(e.ok()) << e.status().message();
  if (!e.ok()) return r;
  Status s = (*e)->run(inputs, &r.outputs);
  EXPECT_TRUE(s.ok()) << s.message();
  r.stats = (*e)->stats();
  return r;
}

struct Diff {
  double max_abs = 0;
  int64_t over_1lsb = 0;  // elements differing by more than one LSB (plus float slack)
  int64_t nonzero = 0;    // elements differing at all (beyond float slack)
  int64_t n = 0;
};

// Differences in units of `lsb`; `slack` absorbs f32 rounding of values that are otherwise equal.
inline Diff diff_lsb(const Tensor& got, const Tensor& ref, double lsb, double slack) {
  Diff d;
  EXPECT_EQ(got.shape(), ref.shape());
  if (got.shape() != ref.shape()) return d;
  d.n = ref.numel();
  for (int64_t i = 0; i < ref.numel(); ++i) {
    const double e = std::fabs(static_cast<double>(got.data<float>()[i]) - ref.data<float>()[i]);
    if (!(e <= d.max_abs)) d.max_abs = std::isnan(e) ? INFINITY : e;
    if (e > slack) ++d.nonzero;
    if (!(e <= lsb + slack)) ++d.over_1lsb;
  }
  return d;
}

}  // namespace yq::runtime::int8_testing
