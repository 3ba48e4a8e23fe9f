// SPDX-License-Identifier: Apache-2.0
// A squeeze-excitation gate (an f32 tensor times one float per channel) whose product only int8
// readers take runs as one int8::quantize_gated step (EngineOptions::fuse_gate_quantize): the same
// codes as oneDNN's Mul followed by the quantize, and within one LSB of the reference.
#include <gtest/gtest.h>

#include <cstring>
#include <string>

#include "tests/runtime_int8/int8_test_util.h"

namespace yq::runtime {
namespace {

using namespace int8_testing;

int count_impl(const EngineStats& stats, const std::string& impl) {
  int n = 0;
  for (const KernelInfo& k : stats.kernels) n += k.impl == impl;
  return n;
}

// YOLOv6Lite-S's block: an int8 1x1 conv writing f32 (nhwc) for a float depthwise conv, whose
// output times a gate (a graph input here) goes quantized into an int8 1x1 conv. 11 rows (bands
// of 5 and 6 when chained), channel counts below, at and across 16.
void check_gate(int64_t c, const ir::QParams& product_q) {
  SCOPED_TRACE(std::to_string(c) + " channels");
  ir::Graph g;
  const Shape s{1, c, 11, 9};
  ir::ValueId x = add_input(g, "x", {1, 16, 11, 9});
  g.value(x).qparams = sym(1.f / 127);
  ir::ValueId a = add_pointwise_conv(g, "pw0", x, 16, c, s, 4100, "relu");  // f32 out: no qparams
  ir::ValueId dw_w = add_const(g, "dw.w", random_tensor({c, 1, 3, 3}, 4101, -0.6f, 0.6f));  // float
  ir::ValueId d = add_act(g, "dw.y", s);
  ir::Attributes da = conv_attrs(3, "");
  da.set("group", c);
  g.node(g.add_node("FusedConv", "dw", {a, dw_w}, {d}, da)).domain = "yq";
  ir::ValueId gate = add_input(g, "gate", {1, c, 1, 1});
  ir::ValueId y = add_act(g, "product", s);
  g.add_node("Mul", "se_mul", {d, gate}, {y});
  g.value(y).qparams = product_q;
  ir::ValueId z = add_pointwise_conv(g, "pw1", y, c, 32, {1, 32, 11, 9}, 4102);  // f32 out
  g.add_output(z);
  const std::vector<Tensor> in = {random_tensor({1, 16, 11, 9}, 93), random_tensor({1, c, 1, 1}, 94, 0.f, 1.f)};
  for (bool chains : {true, false}) {
    SCOPED_TRACE(chains ? "row chains" : "no row chains");
    RunOut fused = run(g, in, true, chains);
    RunOut apart = run(g, in, true, chains, true, /*fuse_gate_quantize=*/false);
    RunOut ref = run(g, in, false);
    EXPECT_EQ(count_impl(fused.stats, "int8:gate+quantize"), 1);
    EXPECT_EQ(count_impl(apart.stats, "int8:gate+quantize"), 0);
    ASSERT_EQ(fused.outputs.size(), 1u);
    ASSERT_EQ(apart.outputs.size(), 1u);
    EXPECT_EQ(std::memcmp(fused.outputs[0].raw(), apart.outputs[0].raw(), fused.outputs[0].nbytes()), 0);
    // pw1's output in units of what one product code moves it at most: sum_c |w| * s_product.
    expect_outputs_within_one_lsb(fused, ref, {0.4 * static_cast<double>(c) * product_q.scales[0]});
  }
}

TEST(GateQuantize, SameCodesAsTheMulAndTheQuantizeApart) {
  check_gate(8, *ir::QParams::per_tensor(3.f / 255, 120, DType::kU8));
  check_gate(16, sym(0.02f));
  check_gate(40, *ir::QParams::per_tensor(2.f / 255, 90, DType::kU8));
}

}  // namespace
}  // namespace yq::runtime
