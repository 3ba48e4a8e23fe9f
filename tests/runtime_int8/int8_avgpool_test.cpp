// SPDX-License-Identifier: Apache-2.0
// yoloq's int8 nhwc AveragePool (int8_avgpool.cpp) against the fake-quant reference: the code sum
// is exact, the mean is rounded once, so the outputs agree within one LSB and rarely differ at all;
// with and without counting the padding, s8 and u8 with zero points on either side, channel counts
// below, at and above one 16-lane block.
#include <gtest/gtest.h>

#include "runtime/kernels/int8/int8_kernels.h"
#include "tests/runtime_int8/int8_test_util.h"

namespace yq::runtime {
namespace {

using namespace int8_testing;

struct AvgCase {
  int64_t c, h, w, k, s, pad;
  bool include_pad;
  bool in_u8, out_u8;
};

class Int8AvgPool : public ::testing::TestWithParam<AvgCase> {};

TEST_P(Int8AvgPool, MatchesTheReferenceWithinOneLsb) {
  if (!int8::avgpool_nhwc_supported()) GTEST_SKIP() << "SKIPPED: this CPU has no AVX-512BW/VL";
  const AvgCase p = GetParam();
  const int64_t oh = (p.h + 2 * p.pad - p.k) / p.s + 1, ow = (p.w + 2 * p.pad - p.k) / p.s + 1;
  ir::Graph g;
  ir::ValueId x = add_input(g, "x", {2, p.c, p.h, p.w});
  // u8 with a zero point: values from -0.3 upwards, as after SiLU.
  const ir::QParams qx = p.in_u8 ? *ir::QParams::per_tensor(1.3f / 255, 60, DType::kU8) : sym(1.f / 127);
  const ir::QParams qy = p.out_u8 ? *ir::QParams::per_tensor(0.9f / 255, 71, DType::kU8) : sym(0.7f / 127);
  g.value(x).qparams = qx;
  ir::ValueId y = add_act(g, "y", {2, p.c, oh, ow});
  ir::Attributes a;
  a.set("kernel_shape", std::vector<int64_t>{p.k, p.k});
  a.set("strides", std::vector<int64_t>{p.s, p.s});
  a.set("pads", std::vector<int64_t>{p.pad, p.pad, p.pad, p.pad});
  a.set("count_include_pad", int64_t{p.include_pad ? 1 : 0});
  g.add_node("AveragePool", "pool", {x}, {y}, a);
  g.value(y).qparams = qy;
  g.add_output(y);
  std::vector<Tensor> in = {random_tensor({2, p.c, p.h, p.w}, 41, p.in_u8 ? -0.3f : -1.f, 1.f)};
  RunOut fast = run(g, in, true);
  RunOut ref = run(g, in, false);
  ASSERT_EQ(fast.outputs.size(), 1u);
  ASSERT_EQ(ref.outputs.size(), 1u);
  bool ours = false;
  for (const KernelInfo& k : fast.stats.kernels) ours = ours || (k.node == "pool" && k.impl == "int8:nhwc:AveragePool");
  EXPECT_TRUE(ours);
  EXPECT_EQ(fast.stats.quantize_ops, 1);  // the input only: no dequantize/quantize around the pool
  EXPECT_EQ(fast.stats.dequantize_ops, 1);  // the output, leaving the engine as f32
  const double lsb = qy.scales[0];
  Diff d = diff_lsb(fast.outputs[0], ref.outputs[0], lsb, 1e-3 * lsb);
  EXPECT_EQ(d.over_1lsb, 0) << "max diff " << d.max_abs / lsb << " LSB";
  EXPECT_LE(d.nonzero * 100, d.n) << d.nonzero << " of " << d.n << " elements differ";
}

INSTANTIATE_TEST_SUITE_P(Shapes, Int8AvgPool,
                         ::testing::Values(AvgCase{48, 44, 44, 3, 2, 1, true, true, true},     // FastestDet's neck
                                           AvgCase{48, 15, 13, 3, 2, 1, false, true, false},  // excluding pads
                                           AvgCase{7, 9, 10, 2, 2, 0, false, false, true},    // tiny C, no pads
                                           AvgCase{37, 8, 9, 5, 1, 2, true, false, false}));  // 3 blocks, 5x5

}  // namespace
}  // namespace yq::runtime
