// SPDX-License-Identifier: Apache-2.0
// Pooling, concat, unary and binary eltwise, and resize on oneDNN against the reference kernels,
// both on plain graph inputs and on blocked conv outputs (so the blocked-layout paths run too).
#include <gtest/gtest.h>

#include <limits>

#include "tests/runtime/engine_test_util.h"

namespace yq::runtime {
namespace {

using testing::add_act;
using testing::add_const;
using testing::add_input;
using testing::compare_onednn_vs_ref;
using testing::random_tensor;

// x [1,c,h,w] -> (optionally a 1x1 conv to `c` channels, which leaves a blocked layout) -> value.
ir::ValueId source(ir::Graph& g, const Shape& s, bool via_conv, const std::string& name = "x") {
  ir::ValueId x = add_input(g, name, s);
  if (!via_conv) return x;
  ir::ValueId w = add_const(g, name + "_w", {s[1], s[1], 1, 1}, 99);
  ir::ValueId y = add_act(g, name + "_conv", s);
  ir::Attributes a;
  a.set("kernel_shape", std::vector<int64_t>{1, 1});
  g.add_node("Conv", name + "_conv", {x, w}, {y}, a);
  return y;
}

int count_impl(const EngineStats& st, const std::string& prefix) {
  int n = 0;
  for (const KernelInfo& k : st.kernels) n += k.impl.rfind(prefix, 0) == 0;
  return n;
}

struct PoolCase {
  std::string label, op;
  int64_t c, h, w;
  std::vector<int64_t> kernel, strides, pads;
  int64_t ceil_mode = 0, count_include_pad = 0;
  Shape out;
};

class PoolTest : public ::testing::TestWithParam<std::tuple<PoolCase, bool>> {};

TEST_P(PoolTest, MatchesReference) {
  const auto& [c, via_conv] = GetParam();
  ir::Graph g;
  ir::ValueId x = source(g, {1, c.c, c.h, c.w}, via_conv);
  ir::ValueId y = add_act(g, "y", c.out);
  ir::Attributes a;
  if (!c.kernel.empty()) {
    a.set("kernel_shape", c.kernel);
    a.set("strides", c.strides);
    a.set("pads", c.pads);
    a.set("ceil_mode", c.ceil_mode);
    if (c.op == "AveragePool") a.set("count_include_pad", c.count_include_pad);
  }
  g.add_node(c.op, "pool", {x}, {y}, a);
  g.add_output(y);
  EngineStats st = compare_onednn_vs_ref(g, {random_tensor({1, c.c, c.h, c.w}, 3)}, c.label);
  EXPECT_EQ(count_impl(st, "onednn:pool"), 1) << c.label;
}

INSTANTIATE_TEST_SUITE_P(
    All, PoolTest,
    ::testing::Combine(
        ::testing::Values(
            PoolCase{"max_k3s2p1_odd", "MaxPool", 10, 13, 15, {3, 3}, {2, 2}, {1, 1, 1, 1}, 0, 0, {1, 10, 7, 8}},
            PoolCase{"max_k5s1p2_sppf", "MaxPool", 19, 9, 9, {5, 5}, {1, 1}, {2, 2, 2, 2}, 0, 0, {1, 19, 9, 9}},
            PoolCase{"max_ceil", "MaxPool", 7, 10, 11, {3, 3}, {2, 2}, {0, 0, 0, 0}, 1, 0, {1, 7, 5, 5}},
            PoolCase{"avg_exclude_pad", "AveragePool", 9, 8, 7, {3, 3}, {2, 2}, {1, 1, 1, 1}, 0, 0, {1, 9, 4, 4}},
            PoolCase{"avg_include_pad", "AveragePool", 9, 8, 7, {3, 3}, {2, 2}, {1, 1, 1, 1}, 0, 1, {1, 9, 4, 4}},
            PoolCase{"global_avg", "GlobalAveragePool", 24, 7, 9, {}, {}, {}, 0, 0, {1, 24, 1, 1}}),
        ::testing::Bool()),
    [](const auto& p) { return std::get<0>(p.param).label + (std::get<1>(p.param) ? "_blocked" : "_plain"); });

TEST(Concat, ChannelsBlockedAndPlain) {
  for (bool via_conv : {false, true}) {
    ir::Graph g;
    ir::ValueId a = source(g, {1, 5, 6, 7}, via_conv, "a");
    ir::ValueId b = source(g, {1, 16, 6, 7}, via_conv, "b");
    ir::ValueId c = source(g, {1, 3, 6, 7}, false, "c");
    ir::ValueId y = add_act(g, "y", {1, 24, 6, 7});
    ir::Attributes at;
    at.set("axis", int64_t{1});
    g.add_node("Concat", "cat", {a, b, c}, {y}, at);
    g.add_output(y);
    EngineStats st = compare_onednn_vs_ref(
        g, {random_tensor({1, 5, 6, 7}, 1), random_tensor({1, 16, 6, 7}, 2), random_tensor({1, 3, 6, 7}, 3)},
        via_conv ? "concat blocked" : "concat plain");
    EXPECT_EQ(count_impl(st, "plain:Concat"), 1);
  }
}

TEST(Concat, NegativeAxisRank3) {
  ir::Graph g;
  ir::ValueId a = add_input(g, "a", {1, 4, 5});
  ir::ValueId b = add_input(g, "b", {1, 4, 3});
  ir::ValueId y = add_act(g, "y", {1, 4, 8});
  ir::Attributes at;
  at.set("axis", int64_t{-1});
  g.add_node("Concat", "cat", {a, b}, {y}, at);
  g.add_output(y);
  EngineStats st = compare_onednn_vs_ref(g, {random_tensor({1, 4, 5}, 1), random_tensor({1, 4, 3}, 2)}, "concat -1");
  EXPECT_EQ(count_impl(st, "plain:Concat"), 1);
}

struct UnaryCase {
  std::string op;
  std::vector<std::pair<std::string, float>> attrs;
  bool clip_inputs = false;
};

class UnaryTest : public ::testing::TestWithParam<std::tuple<UnaryCase, bool>> {};

TEST_P(UnaryTest, MatchesReference) {
  const auto& [c, via_conv] = GetParam();
  ir::Graph g;
  Shape s{1, 19, 5, 7};
  ir::ValueId x = source(g, s, via_conv);
  ir::ValueId y = add_act(g, "y", s);
  ir::Attributes a;
  for (const auto& [k, v] : c.attrs) a.set(k, v);
  std::vector<ir::ValueId> ins{x};
  if (c.clip_inputs) {
    ins.push_back(g.add_constant("lo", Tensor::scalar<float>(-0.25f)));
    ins.push_back(g.add_constant("hi", Tensor::scalar<float>(0.5f)));
  }
  g.add_node(c.op, "act", ins, {y}, a);
  g.add_output(y);
  EngineStats st = compare_onednn_vs_ref(g, {random_tensor(s, 8, -4.f, 4.f)}, c.op);
  EXPECT_EQ(count_impl(st, "onednn:eltwise"), 1) << c.op;
}

INSTANTIATE_TEST_SUITE_P(All, UnaryTest,
                         ::testing::Combine(::testing::Values(UnaryCase{"Relu", {}}, UnaryCase{"LeakyRelu", {{"alpha", 0.1f}}},
                                                              UnaryCase{"Sigmoid", {}}, UnaryCase{"Tanh", {}}, UnaryCase{"Exp", {}},
                                                              UnaryCase{"HardSwish", {}},
                                                              UnaryCase{"HardSigmoid", {{"alpha", 1.f / 6}, {"beta", 0.5f}}},
                                                              UnaryCase{"HardSigmoid", {}}, UnaryCase{"Clip", {}, true}),
                                            ::testing::Bool()),
                         [](const auto& p) {
                           const UnaryCase& c = std::get<0>(p.param);
                           return c.op + std::to_string(c.attrs.size()) + (std::get<1>(p.param) ? "_blocked" : "_plain");
                         });

struct BinaryCase {
  std::string label, op;
  Shape a, b, out;
  bool b_const = false;
  bool expect_onednn = true;
};

class BinaryTest : public ::testing::TestWithParam<std::tuple<BinaryCase, bool>> {};

TEST_P(BinaryTest, MatchesReference) {
  const auto& [c, via_conv] = GetParam();
  ir::Graph g;
  ir::ValueId a = c.a.size() == 4 ? source(g, c.a, via_conv, "a") : add_input(g, "a", c.a);
  std::vector<Tensor> inputs{random_tensor(c.a, 1)};
  ir::ValueId b;
  if (c.b_const) {
    b = add_const(g, "b", c.b, 2);
  } else {
    b = c.b.size() == 4 && c.b == c.a ? source(g, c.b, via_conv, "b") : add_input(g, "b", c.b);
    inputs.push_back(random_tensor(c.b, 2, 0.5f, 2.f));
  }
  ir::ValueId y = add_act(g, "y", c.out);
  g.add_node(c.op, "bin", {a, b}, {y});
  g.add_output(y);
  EngineStats st = compare_onednn_vs_ref(g, inputs, c.label);
  EXPECT_EQ(count_impl(st, "onednn:binary"), c.expect_onednn ? 1 : 0) << c.label;
}

INSTANTIATE_TEST_SUITE_P(
    All, BinaryTest,
    ::testing::Combine(
        ::testing::Values(BinaryCase{"add_same", "Add", {1, 19, 5, 7}, {1, 19, 5, 7}, {1, 19, 5, 7}},
                          BinaryCase{"mul_same", "Mul", {1, 19, 5, 7}, {1, 19, 5, 7}, {1, 19, 5, 7}},
                          BinaryCase{"sub_same", "Sub", {1, 19, 5, 7}, {1, 19, 5, 7}, {1, 19, 5, 7}},
                          BinaryCase{"div_same", "Div", {1, 19, 5, 7}, {1, 19, 5, 7}, {1, 19, 5, 7}},
                          BinaryCase{"mul_per_channel_const", "Mul", {1, 19, 5, 7}, {1, 19, 1, 1}, {1, 19, 5, 7}, true},
                          BinaryCase{"add_rank3_bcast_const", "Add", {1, 19, 5, 7}, {19, 1, 1}, {1, 19, 5, 7}, true},
                          BinaryCase{"div_per_channel_input", "Div", {1, 19, 5, 7}, {1, 19, 1, 1}, {1, 19, 5, 7}},
                          BinaryCase{"mul_src0_broadcast_swapped", "Mul", {1, 19, 1, 1}, {1, 19, 5, 7}, {1, 19, 5, 7}},
                          BinaryCase{"sub_src0_broadcast_ref", "Sub", {1, 19, 1, 1}, {1, 19, 5, 7}, {1, 19, 5, 7},
                                     false, false},
                          BinaryCase{"mul_rank3_rows", "Mul", {1, 30, 85}, {1, 30, 85}, {1, 30, 85}},
                          BinaryCase{"add_scalar_const", "Add", {1, 30, 85}, {}, {1, 30, 85}, true}),
        ::testing::Bool()),
    [](const auto& p) { return std::get<0>(p.param).label + (std::get<1>(p.param) ? "_blocked" : "_plain"); });

struct ResizeCase {
  std::string label, mode, coord, nearest_mode;
  Shape in, out;
  bool use_sizes = false;
  bool expect_onednn = true;
};

class ResizeTest : public ::testing::TestWithParam<std::tuple<ResizeCase, bool>> {};

TEST_P(ResizeTest, MatchesReference) {
  const auto& [c, via_conv] = GetParam();
  ir::Graph g;
  ir::ValueId x = source(g, c.in, via_conv);
  ir::ValueId roi = g.add_constant("roi", Tensor::from_vector<float>({}, {0}));
  ir::ValueId scales, sizes = ir::kNoValue;
  if (c.use_sizes) {
    scales = g.add_constant("scales", Tensor::from_vector<float>({}, {0}));
    sizes = g.add_constant("sizes", Tensor::from_vector<int64_t>(std::vector<int64_t>(c.out.begin(), c.out.end()), {4}));
  } else {
    std::vector<float> s;
    for (int i = 0; i < 4; ++i) s.push_back(static_cast<float>(c.out[i]) / static_cast<float>(c.in[i]));
    scales = g.add_constant("scales", Tensor::from_vector<float>(s, {4}));
  }
  ir::ValueId y = add_act(g, "y", c.out);
  ir::Attributes a;
  a.set("mode", c.mode);
  a.set("coordinate_transformation_mode", c.coord);
  if (!c.nearest_mode.empty()) a.set("nearest_mode", c.nearest_mode);
  std::vector<ir::ValueId> ins{x, roi, scales};
  if (sizes != ir::kNoValue) ins.push_back(sizes);
  g.add_node("Resize", "resize", ins, {y}, a);
  g.add_output(y);
  EngineStats st = compare_onednn_vs_ref(g, {random_tensor(c.in, 4)}, c.label);
  EXPECT_EQ(count_impl(st, "onednn:resampling"), c.expect_onednn ? 1 : 0) << c.label;
}

INSTANTIATE_TEST_SUITE_P(
    All, ResizeTest,
    ::testing::Combine(
        ::testing::Values(
            ResizeCase{"nearest_x2", "nearest", "asymmetric", "floor", {1, 7, 5, 6}, {1, 7, 10, 12}},
            ResizeCase{"nearest_x3_sizes", "nearest", "asymmetric", "floor", {1, 5, 3, 4}, {1, 5, 9, 12}, true},
            ResizeCase{"linear_half_pixel_x2", "linear", "half_pixel", "", {1, 7, 5, 6}, {1, 7, 10, 12}},
            ResizeCase{"linear_half_pixel_sizes", "linear", "half_pixel", "", {1, 3, 5, 6}, {1, 3, 7, 9}, true},
            ResizeCase{"nearest_round_prefer_floor_ref", "nearest", "asymmetric", "round_prefer_floor",
                       {1, 7, 5, 6}, {1, 7, 15, 18}, false, false},
            ResizeCase{"linear_align_corners_ref", "linear", "align_corners", "", {1, 3, 5, 6}, {1, 3, 10, 12},
                       false, false}),
        ::testing::Bool()),
    [](const auto& p) { return std::get<0>(p.param).label + (std::get<1>(p.param) ? "_blocked" : "_plain"); });

}  // namespace
}  // namespace yq::runtime
