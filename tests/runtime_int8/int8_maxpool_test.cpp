// SPDX-License-Identifier: Apache-2.0
// yoloq's int8 nhwc MaxPool (int8_maxpool.cpp) against the fake-quant reference: max of codes of
// one scale is exact, so the outputs must be equal, for s8 and for u8 with a zero point, with
// padding, strides, ceil mode, and channel counts below, at and above one 64-byte vector.
#include <gtest/gtest.h>

#include "runtime/kernels/int8/int8_kernels.h"
#include "tests/runtime_int8/int8_test_util.h"

namespace yq::runtime {
namespace {

using namespace int8_testing;

struct PoolCase {
  int64_t c, h, w, k, s, pad;
  bool ceil;
  bool u8;
};

class Int8MaxPool : public ::testing::TestWithParam<PoolCase> {};

int64_t pooled(int64_t in, int64_t k, int64_t s, int64_t pad, bool ceil) {
  const int64_t span = in + 2 * pad - k;
  return (ceil ? (span + s - 1) / s : span / s) + 1;
}

TEST_P(Int8MaxPool, EqualsTheReference) {
  if (!int8::maxpool_nhwc_supported()) GTEST_SKIP() << "SKIPPED: this CPU has no AVX-512BW";
  const PoolCase p = GetParam();
  const int64_t oh = pooled(p.h, p.k, p.s, p.pad, p.ceil), ow = pooled(p.w, p.k, p.s, p.pad, p.ceil);
  ir::Graph g;
  ir::ValueId x = add_input(g, "x", {2, p.c, p.h, p.w});
  // u8 with a zero point: values from -0.3 upwards, as after SiLU.
  const ir::QParams qp = p.u8 ? *ir::QParams::per_tensor(1.3f / 255, 60, DType::kU8) : sym(1.f / 127);
  g.value(x).qparams = qp;
  ir::ValueId y = add_act(g, "y", {2, p.c, oh, ow});
  ir::Attributes a;
  a.set("kernel_shape", std::vector<int64_t>{p.k, p.k});
  a.set("strides", std::vector<int64_t>{p.s, p.s});
  a.set("pads", std::vector<int64_t>{p.pad, p.pad, p.pad, p.pad});
  a.set("ceil_mode", int64_t{p.ceil ? 1 : 0});
  g.add_node("MaxPool", "pool", {x}, {y}, a);
  g.value(y).qparams = qp;
  g.add_output(y);
  std::vector<Tensor> in = {random_tensor({2, p.c, p.h, p.w}, 31, p.u8 ? -0.3f : -1.f, 1.f)};
  RunOut fast = run(g, in, true);
  RunOut ref = run(g, in, false);
  ASSERT_EQ(fast.outputs.size(), 1u);
  ASSERT_EQ(ref.outputs.size(), 1u);
  bool ours = false;
  for (const KernelInfo& k : fast.stats.kernels) ours = ours || (k.node == "pool" && k.impl == "int8:nhwc:MaxPool");
  EXPECT_TRUE(ours);
  Diff d = diff_lsb(fast.outputs[0], ref.outputs[0], qp.scales[0], 0.0);
  EXPECT_EQ(d.nonzero, 0) << "max diff " << d.max_abs / qp.scales[0] << " LSB";
}

INSTANTIATE_TEST_SUITE_P(Shapes, Int8MaxPool,
                         ::testing::Values(PoolCase{24, 17, 19, 3, 2, 1, false, false},  // a stem pool, odd sizes
                                           PoolCase{80, 9, 9, 5, 1, 2, false, false},    // SPP: > 64 channels
                                           PoolCase{64, 13, 13, 13, 1, 6, false, true},  // SPP 13x13, u8 zp
                                           PoolCase{7, 11, 10, 2, 2, 0, true, true},     // ceil mode, tiny C
                                           PoolCase{130, 6, 7, 3, 3, 1, true, false}));  // 3 vectors, ceil

}  // namespace
}  // namespace yq::runtime
