// SPDX-License-Identifier: Apache-2.0
// A yq Activation between two int8 values runs as a 256-entry byte table (int8_table.cpp), which
// must equal the fake-quant reference exactly: the table is built with qmath's own rounding.
#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include "quant/qmath.h"
#include "runtime/kernels/int8/int8_kernels.h"
#include "tests/runtime_int8/int8_test_util.h"

namespace yq::runtime {
namespace {

using namespace int8_testing;

struct TableCase {
  const char* act;
  Shape shape;
  DType out_dtype;
};

// x (s8, scale 0.06) -> Activation(act) -> y (scale 0.03, s8 or u8) -> graph output. The input
// holds exact multiples of x's scale, so the entry quantize step cannot round differently from
// the reference either: any difference is the table's.
class Int8Table : public ::testing::TestWithParam<TableCase> {};

TEST_P(Int8Table, EqualsTheFakeQuantReferenceExactly) {
  const TableCase& c = GetParam();
  ir::Graph g;
  const ir::ValueId x = add_input(g, "x", c.shape);
  const ir::ValueId y = add_act(g, "y", c.shape);
  ir::Attributes a;
  a.set("activation", std::string(c.act));
  if (std::string(c.act) == "hardswish") {
    a.set("activation_alpha", 1.f / 6);
    a.set("activation_beta", 0.5f);
  }
  const ir::NodeId n = g.add_node("Activation", "act", {x}, {y}, a);
  g.node(n).domain = "yq";
  g.add_output(y);
  g.value(x).qparams = sym(0.06f);
  g.value(y).qparams = *ir::QParams::per_tensor(0.03f, 0, c.out_dtype);
  if (c.out_dtype == DType::kU8) {
    g.value(y).qparams->qmin = 0;
    g.value(y).qparams->qmax = 255;
  }
  Tensor in = Tensor::empty(DType::kF32, c.shape);
  for (int64_t i = 0; i < in.numel(); ++i) in.data<float>()[i] = 0.06f * static_cast<float>((i * 37) % 256 - 128);
  RunOut fast = run(g, {in}, true);
  RunOut ref = run(g, {in}, false);
  ASSERT_EQ(fast.outputs.size(), 1u);
  ASSERT_EQ(ref.outputs.size(), 1u);
  bool table = false;
  for (const auto& k : fast.stats.kernels) table = table || k.impl == std::string("int8:table:") + c.act;
  EXPECT_TRUE(table) << "the Activation did not run as a byte table";
  EXPECT_EQ(fast.stats.quantize_ops, 1);
  EXPECT_EQ(fast.stats.dequantize_ops, 1);
  Diff d = diff_lsb(fast.outputs[0], ref.outputs[0], 0.03, 1e-6);
  EXPECT_EQ(d.nonzero, 0) << d.nonzero << " of " << d.n << " differ, max " << d.max_abs / 0.03 << " LSB";
}

INSTANTIATE_TEST_SUITE_P(
    Activations, Int8Table,
    ::testing::Values(TableCase{"silu", {1, 3, 7, 9}, DType::kI8},             // a tail shorter than 64
                      TableCase{"silu", {1, 16, 48, 48}, DType::kI8},          // the multi-threaded path
                      TableCase{"hardswish", {1, 8, 20, 20}, DType::kI8},
                      TableCase{"sigmoid", {1, 8, 20, 20}, DType::kU8}),
    [](const ::testing::TestParamInfo<TableCase>& p) {
      return std::string(p.param.act) + "_" + std::to_string(p.index);
    });

// Every code through make_byte_table and run_byte_table, at lengths around the 64-byte block.
TEST(Int8Table, RunByteTableMapsEveryByteAtEveryLength) {
  int8::ByteTable t{};
  for (int i = 0; i < 256; ++i) t.out[i] = static_cast<uint8_t>((i * 7 + 3) & 0xff);
  for (int64_t n : {0, 1, 63, 64, 65, 256, 1000, 40000}) {
    std::vector<uint8_t> in(static_cast<size_t>(n)), out(static_cast<size_t>(n));
    for (int64_t i = 0; i < n; ++i) in[i] = static_cast<uint8_t>((i * 131) & 0xff);
    int8::run_byte_table(t, in.data(), out.data(), n);
    for (int64_t i = 0; i < n; ++i) ASSERT_EQ(out[i], t.out[in[i]]) << "n " << n << " at " << i;
  }
}

// run_byte_table_rows: every row mapped at its place in the wider output rows, the bytes between
// rows untouched, for rows shorter than, equal to and longer than one 64-byte block.
TEST(Int8Table, RunByteTableRowsWritesEachRowAtItsStride) {
  int8::ByteTable t{};
  for (int i = 0; i < 256; ++i) t.out[i] = static_cast<uint8_t>((i * 5 + 11) & 0xff);
  for (int64_t len : {1, 24, 64, 80, 130}) {
    const int64_t rows = 300, stride = len + 37;
    std::vector<uint8_t> in(static_cast<size_t>(rows * len)), out(static_cast<size_t>(rows * stride), 0xA5);
    for (size_t i = 0; i < in.size(); ++i) in[i] = static_cast<uint8_t>((i * 131 + 7) & 0xff);
    int8::run_byte_table_rows(t, in.data(), out.data(), rows, len, stride);
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t k = 0; k < stride; ++k) {
        const uint8_t want = k < len ? t.out[in[r * len + k]] : 0xA5;
        ASSERT_EQ(out[r * stride + k], want) << "len " << len << " row " << r << " byte " << k;
      }
  }
}

// run_table_add against the fake-quant definition, quantize(silu(dequantize(t)) + dequantize(r)),
// at lengths around the 16-value blocks and the parallel threshold, for s8 and u8 residuals and
// outputs: never more than one code apart, and one code only at a rounding tie (rare).
TEST(Int8TableAdd, EqualsTheFakeQuantDefinitionWithinOneCode) {
  const auto silu = [](float v) { return v / (1.f + std::exp(-v)); };
  const ir::QParams t = *ir::QParams::per_tensor(6.f / 255, 170, DType::kU8);
  for (DType rt : {DType::kU8, DType::kI8})
    for (DType yt : {DType::kU8, DType::kI8}) {
      const ir::QParams r = rt == DType::kU8 ? *ir::QParams::per_tensor(1.1f / 255, 20, DType::kU8) : sym(1.f / 127);
      const ir::QParams y = yt == DType::kU8 ? *ir::QParams::per_tensor(4.f / 255, 40, DType::kU8) : sym(2.f / 127);
      const int8::TableAdd ta = int8::make_table_add(t, r, y, silu);
      for (int64_t n : {1, 15, 16, 17, 1000, 40000 + 13}) {
        std::vector<uint8_t> tc(static_cast<size_t>(n)), rc(static_cast<size_t>(n)), out(static_cast<size_t>(n));
        for (int64_t i = 0; i < n; ++i) {
          tc[i] = static_cast<uint8_t>((i * 131 + 5) & 0xff);
          rc[i] = static_cast<uint8_t>((i * 71 + 9) & 0xff);
        }
        int8::run_table_add(ta, tc.data(), rc.data(), out.data(), n);
        int64_t off_by_one = 0;
        for (int64_t i = 0; i < n; ++i) {
          const int32_t tq = t.dtype == DType::kU8 ? tc[i] : static_cast<int8_t>(tc[i]);
          const int32_t rq = rt == DType::kU8 ? rc[i] : static_cast<int8_t>(rc[i]);
          const float v = silu(quant::dequantize_value(tq, t.scales[0], t.zero_points[0])) +
                          quant::dequantize_value(rq, r.scales[0], r.zero_points[0]);
          const int32_t want = quant::quantize_value(v, y.scales[0], y.zero_points[0], y.qmin, y.qmax);
          const int32_t got = yt == DType::kU8 ? out[i] : static_cast<int8_t>(out[i]);
          ASSERT_LE(std::abs(got - want), 1) << "n " << n << " at " << i;
          off_by_one += got != want;
        }
        EXPECT_LE(off_by_one * 100, n) << "n " << n << ": " << off_by_one << " values one code off";
      }
    }
}

}  // namespace
}  // namespace yq::runtime
