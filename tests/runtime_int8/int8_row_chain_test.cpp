// SPDX-License-Identifier: Apache-2.0
// Row chains (runtime/row_chain.h): runs of steps split into bands of image rows, one per thread.
// The band arithmetic on its own, then graphs with every kind of chained step (1x1 and 3x3 convs,
// stride 2, tables, table + add into a Concat, a padded source, an f32 conv with its SiLU pass and
// quantize) over odd row counts: the same bytes with chains as without, and within an LSB of the
// reference.
#include <gtest/gtest.h>

#include <cstring>
#include <map>

#include "runtime/row_chain.h"
#include "tests/runtime_int8/int8_test_util.h"

namespace yq::runtime {
namespace {

using namespace int8_testing;

TEST(RowBand, SplitsRowsIntoNearlyEqualContiguousBands) {
  for (int64_t rows : {2, 7, 13, 52}) {
    for (int bands : {1, 2, 3}) {
      if (rows < bands) continue;
      int64_t next = 0;
      for (int b = 0; b < bands; ++b) {
        const auto [r0, r1] = row_band(rows, b, bands);
        EXPECT_EQ(r0, next);
        EXPECT_GE(r1 - r0, rows / bands);
        EXPECT_LE(r1 - r0, rows / bands + 1);
        next = r1;
      }
      EXPECT_EQ(next, rows);
    }
  }
}

// A cut's input rows [in0, in1) and its padded rows above and below.
void expect_cut(const RowCut& cut, int64_t in0, int64_t in1, int64_t pad_top, int64_t pad_bottom) {
  EXPECT_EQ(cut.in0, in0);
  EXPECT_EQ(cut.in1, in1);
  EXPECT_EQ(cut.pad_top, pad_top);
  EXPECT_EQ(cut.pad_bottom, pad_bottom);
}

TEST(CutRows, ReadsTheHaloAndPadsOnlyAtTheImageEdges) {
  // 3x3, stride 1, padding 1 over 11 rows: output rows [0, 5) read input rows [0, 6) with one
  // padded row above; [5, 11) read [4, 11) with one below.
  const ConvRows same{3, 1, 1, 11, 11};
  expect_cut(cut_rows(same, 0, 5), 0, 6, 1, 0);
  expect_cut(cut_rows(same, 5, 11), 4, 11, 0, 1);
  // 3x3, stride 2, padding 1 over 11 rows (6 out): [3, 6) read rows 5..11 of which 11 is padding.
  const ConvRows down{3, 2, 1, 11, 6};
  expect_cut(cut_rows(down, 3, 6), 5, 11, 0, 1);
  // Unpadded (a padded source): every band reads kh - 1 rows beyond its own, never padding.
  const ConvRows valid{3, 1, 0, 13, 11};
  expect_cut(cut_rows(valid, 5, 11), 5, 13, 0, 0);
}

// A 3x3 FusedConv (no activation) with `group` groups and the given stride, "same" padding.
ir::ValueId add_conv3x3(ir::Graph& g, const std::string& name, ir::ValueId x, int64_t ic, int64_t oc, int64_t group,
                        int64_t stride, const Shape& out, uint32_t seed) {
  ir::ValueId w = add_const(g, name + ".w", random_tensor({oc, ic / group, 3, 3}, seed, -0.6f, 0.6f));
  g.value(w).qparams = quant::per_channel_weight_qparams(*g.value(w).constant, 0);
  ir::ValueId b = add_const(g, name + ".b", random_tensor({oc}, seed + 1, -0.2f, 0.2f));
  ir::ValueId y = add_act(g, name + ".y", out);
  ir::Attributes ca = conv_attrs(3, "");
  ca.set("strides", std::vector<int64_t>{stride, stride});
  ca.set("group", group);
  g.node(g.add_node("FusedConv", name, {x, w, b}, {y}, ca)).domain = "yq";
  return y;
}

// A CSP-like block over 11 x 13 pixels (bands of 5 and 6 rows): 1x1 conv + SiLU table into a
// padded buffer (one fused kernel), a depthwise 3x3 conv over it, table, 1x1 conv whose table +
// add (the residual) and a side branch's table write into a Concat, then a stride-2 3x3 conv and
// a 1x1 conv.
ir::Graph csp_block() {
  ir::Graph g;
  const Shape s16{1, 16, 11, 13}, s32{1, 32, 11, 13};
  const ir::QParams pre_q = *ir::QParams::per_tensor(6.f / 255, 170, DType::kU8);
  const ir::QParams act_q = *ir::QParams::per_tensor(2.f / 255, 40, DType::kU8);
  ir::ValueId x = add_input(g, "x", s16);
  g.value(x).qparams = sym(1.f / 127);
  ir::ValueId pre = add_pointwise_conv(g, "pw1", x, 16, 32, s32, 2100);
  g.value(pre).qparams = pre_q;
  ir::ValueId a = add_silu(g, "a", pre);
  g.value(a).qparams = act_q;
  ir::ValueId d = add_conv3x3(g, "dw", a, 32, 32, 32, 1, s32, 2101);
  g.value(d).qparams = pre_q;
  ir::ValueId b = add_silu(g, "b", d);
  g.value(b).qparams = act_q;
  ir::ValueId pre2 = add_pointwise_conv(g, "pw2", b, 32, 32, s32, 2102);
  g.value(pre2).qparams = pre_q;
  ir::ValueId res = add_act(g, "res", s32);
  g.add_node("Add", "residual", {add_silu(g, "c", pre2), b}, {res});
  ir::ValueId pre3 = add_pointwise_conv(g, "side", b, 32, 24, {1, 24, 11, 13}, 2103);
  g.value(pre3).qparams = pre_q;
  ir::ValueId side = add_silu(g, "e", pre3);
  const ir::QParams cat_q = *ir::QParams::per_tensor(4.f / 255, 40, DType::kU8);
  g.value(res).qparams = cat_q;
  g.value(side).qparams = cat_q;
  ir::ValueId cat = add_channel_concat(g, "concat", {res, side}, "cat", {1, 56, 11, 13});
  g.value(cat).qparams = cat_q;
  ir::ValueId down = add_conv3x3(g, "down", cat, 56, 16, 1, 2, {1, 16, 6, 7}, 2104);
  g.value(down).qparams = sym(0.05f);
  g.add_output(down);
  ir::ValueId head = add_pointwise_conv(g, "head", cat, 56, 8, {1, 8, 11, 13}, 2105);
  g.value(head).qparams = sym(0.05f);
  g.add_output(head);
  return g;
}

// YOLOX-Nano's stem: an int8 conv writing f32, its SiLU as yoloq's pass, a float stride-2
// depthwise conv (kept float), its output quantized for a 1x1 int8 conv and table.
ir::Graph float_stem() {
  ir::Graph g;
  ir::ValueId x = add_input(g, "x", {1, 8, 22, 26});
  g.value(x).qparams = sym(1.f / 127);
  Tensor wt = random_tensor({16, 8, 3, 3}, 2200, -0.4f, 0.4f);
  ir::ValueId w = add_const(g, "stem.w", wt);
  g.value(w).qparams = quant::per_channel_weight_qparams(wt, 0);
  ir::ValueId y = add_act(g, "stem.y", {1, 16, 22, 26});
  g.node(g.add_node("FusedConv", "stem", {x, w}, {y}, conv_attrs(3, "silu"))).domain = "yq";
  ir::ValueId dw_w = add_const(g, "dw.w", random_tensor({16, 1, 3, 3}, 2201, -0.6f, 0.6f));
  ir::ValueId d = add_act(g, "dw.y", {1, 16, 11, 13});
  ir::Attributes ca = conv_attrs(3, "silu");
  ca.set("strides", std::vector<int64_t>{2, 2});
  ca.set("group", int64_t{16});
  g.node(g.add_node("FusedConv", "dw", {y, dw_w}, {d}, ca)).domain = "yq";
  g.value(d).qparams = *ir::QParams::per_tensor(3.f / 255, 30, DType::kU8);
  ir::ValueId pre = add_pointwise_conv(g, "pw", d, 16, 32, {1, 32, 11, 13}, 2202);
  g.value(pre).qparams = *ir::QParams::per_tensor(6.f / 255, 170, DType::kU8);
  ir::ValueId a = add_silu(g, "a", pre);
  g.value(a).qparams = sym(0.02f);
  g.add_output(a);
  return g;
}

// Node name -> its kernel's row chain (-1: none).
std::map<std::string, int> chains_of(const EngineStats& s) {
  std::map<std::string, int> m;
  for (const KernelInfo& k : s.kernels) m[k.node] = k.row_chain;
  return m;
}

void expect_same_bytes(const RunOut& a, const RunOut& b) {
  ASSERT_EQ(a.outputs.size(), b.outputs.size());
  for (size_t i = 0; i < a.outputs.size(); ++i) {
    ASSERT_EQ(a.outputs[i].nbytes(), b.outputs[i].nbytes());
    EXPECT_EQ(std::memcmp(a.outputs[i].raw(), b.outputs[i].raw(), a.outputs[i].nbytes()), 0) << "output " << i;
  }
}

TEST(RowChains, CspBlockRunsAsOneChainWithTheSameBytes) {
  ir::Graph g = csp_block();
  const std::vector<Tensor> in = {random_tensor({1, 16, 11, 13}, 90)};
  RunOut chained = run(g, in, true);
  RunOut alone = run(g, in, true, /*row_chains=*/false);
  RunOut ref = run(g, in, false);
  std::map<std::string, int> c = chains_of(chained.stats);
  // Every conv and table: one chain, the depthwise and the stride-2 convs as its halo steps.
  for (const char* node : {"pw1", "dw", "b_silu", "pw2", "c_silu+residual", "side", "down", "head"})
    EXPECT_EQ(c.count(node), 1u) << node;
  for (const char* node : {"pw1", "dw", "b_silu", "pw2", "c_silu+residual", "side", "down", "head"})
    EXPECT_EQ(c[node], 0) << node;
  for (const KernelInfo& k : alone.stats.kernels) EXPECT_EQ(k.row_chain, -1) << k.node;
  std::map<std::string, std::string> impl;
  for (const KernelInfo& k : chained.stats.kernels) impl[k.node] = k.impl;
  EXPECT_EQ(impl["pw1"], "int8:conv1x1+table:silu(padded for dw)");
  EXPECT_EQ(impl["c_silu+residual"], "int8:table-add:silu(into concat)");
  EXPECT_EQ(impl["side"], "int8:conv1x1+table:silu(into concat)");  // 24 channels: a masked block
  expect_same_bytes(chained, alone);
  expect_outputs_within_one_lsb(chained, ref, {0.05, 0.05});
  // Unfused, side's table writes its rows into the concat inside the chain: the same bytes.
  RunOut unfused = run(g, in, true, true, /*fuse_pointwise_tables=*/false);
  std::map<std::string, int> cu = chains_of(unfused.stats);
  EXPECT_EQ(cu.count("e_silu"), 1u);
  EXPECT_EQ(cu["e_silu"], 0);
  for (const KernelInfo& k : unfused.stats.kernels)
    if (k.node == "e_silu") EXPECT_EQ(k.impl, "int8:table:silu(into concat)");
  expect_same_bytes(chained, unfused);
}

TEST(RowChains, FloatStemWithItsSiluPassAndQuantizeChains) {
  ir::Graph g = float_stem();
  const std::vector<Tensor> in = {random_tensor({1, 8, 22, 26}, 91)};
  RunOut chained = run(g, in, true);
  RunOut alone = run(g, in, true, /*row_chains=*/false);
  std::map<std::string, int> c = chains_of(chained.stats);
  std::string silu_pass, quantize;
  for (const KernelInfo& k : chained.stats.kernels) {
    if (k.impl.rfind("plain:swish", 0) == 0) silu_pass = k.node;
    if (k.op == "Quantize" && k.impl == "int8:dense") quantize = k.node;
  }
  ASSERT_FALSE(silu_pass.empty());
  ASSERT_FALSE(quantize.empty());
  for (const std::string& node : {std::string("stem"), silu_pass, std::string("dw"), quantize, std::string("pw")})
    EXPECT_EQ(c[node], 0) << node;
  expect_same_bytes(chained, alone);
}

}  // namespace
}  // namespace yq::runtime
