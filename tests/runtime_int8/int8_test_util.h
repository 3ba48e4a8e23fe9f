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

// A conv's attributes: k x k kernel, stride 1, "same" padding, yq FusedConv activation `act`.
inline ir::Attributes conv_attrs(int64_t k, const char* act) {
  ir::Attributes a;
  a.set("kernel_shape", std::vector<int64_t>{k, k});
  a.set("strides", std::vector<int64_t>{1, 1});
  a.set("pads", std::vector<int64_t>{k / 2, k / 2, k / 2, k / 2});
  a.set("activation", std::string(act));
  return a;
}

// A Concat node `node` of `inputs` along axis 1 (channels) writing a new value `value` of shape
// `out` (no qparams); returns it.
inline ir::ValueId add_channel_concat(ir::Graph& g, const std::string& node,
                                      const std::vector<ir::ValueId>& inputs, const std::string& value,
                                      const Shape& out) {
  ir::ValueId y = add_act(g, value, out);
  ir::Attributes ca;
  ca.set("axis", int64_t{1});
  g.add_node("Concat", node, inputs, {y}, ca);
  return y;
}

// A 1x1 FusedConv x -> y with activation `act` (none by default), per-channel int8 weights
// (seeded).
inline ir::ValueId add_pointwise_conv(ir::Graph& g, const std::string& name, ir::ValueId x, int64_t ic,
                                      int64_t oc, const Shape& out, uint32_t seed, const char* act = "") {
  ir::ValueId w = add_const(g, name + ".w", random_tensor({oc, ic, 1, 1}, seed, -0.4f, 0.4f));
  g.value(w).qparams = quant::per_channel_weight_qparams(*g.value(w).constant, 0);
  ir::ValueId y = add_act(g, name + ".y", out);
  g.node(g.add_node("FusedConv", name, {x, w}, {y}, conv_attrs(1, act))).domain = "yq";
  return y;
}

// SiLU of `pre` as a yq Activation (node `name`_silu) writing a new value `name`.
inline ir::ValueId add_silu(ir::Graph& g, const std::string& name, ir::ValueId pre) {
  ir::ValueId a = add_act(g, name, g.value(pre).shape);
  ir::Attributes sa;
  sa.set("activation", std::string("silu"));
  g.node(g.add_node("Activation", name + "_silu", {pre}, {a}, sa)).domain = "yq";
  return a;
}

struct RunOut {
  std::vector<Tensor> outputs;
  EngineStats stats;
};

// Runs g once on 2 threads: on oneDNN and yoloq's int8 kernels (row chains, fused 1x1 conv +
// table and fused gate + quantize kernels unless told otherwise), or on the reference kernels (the
// oracle).
inline RunOut run(const ir::Graph& g, const std::vector<Tensor>& inputs, bool use_onednn, bool row_chains = true,
                  bool fuse_pointwise_tables = true, bool fuse_gate_quantize = true) {
  EngineOptions o;
  o.use_onednn = use_onednn;
  o.row_chains = row_chains;
  o.fuse_pointwise_tables = fuse_pointwise_tables;
  o.fuse_gate_quantize = fuse_gate_quantize;
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

// Every output against the reference, output i in units of lsbs[i]: never more than one LSB apart,
// and at most 1 in 50 elements one LSB apart.
inline void expect_outputs_within_one_lsb(const RunOut& fast, const RunOut& ref, const std::vector<double>& lsbs) {
  ASSERT_EQ(fast.outputs.size(), ref.outputs.size());
  ASSERT_LE(ref.outputs.size(), lsbs.size());
  for (size_t i = 0; i < ref.outputs.size(); ++i) {
    Diff d = diff_lsb(fast.outputs[i], ref.outputs[i], lsbs[i], 1e-3 * lsbs[i]);
    EXPECT_EQ(d.over_1lsb, 0) << "output " << i << " max diff " << d.max_abs / lsbs[i] << " LSB";
    EXPECT_LE(d.nonzero * 50, d.n) << "output " << i << ": " << d.nonzero << " of " << d.n << " differ";
  }
}

}  // namespace yq::runtime::int8_testing
