// SPDX-License-Identifier: Apache-2.0
// int8::PointwiseTable, a 1x1 int8 conv and its byte table in one pass: against its documented
// arithmetic computed one value at a time (exact), over u8 and s8 sources and pre-activations,
// pixel counts off the 5/6/8-pixel blocks, channel blocks of 16 to 128 and a source wider than the
// conv's channels, written dense, into a Concat's pixels and into a padded buffer's rows; then in
// graphs, the same bytes as oneDNN's conv followed by the table pass.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>

#include "ir/passes/pattern_utils.h"
#include "runtime/kernels/int8/int8_kernels.h"
#include "tests/runtime_int8/int8_test_util.h"

namespace yq::runtime {
namespace {

using namespace int8_testing;

struct Case {
  int64_t ic, oc, pixels, src_stride;
  bool src_s8, dst_u8;
  int64_t per_row, row_stride;  // destination: rows of per_row pixels, row_stride bytes apart
};

// Output o of pixel p: the sum of its source codes (u8, or s8 when c.src_s8) times w[o][i].
int32_t accumulate(const Case& c, const std::vector<uint8_t>& src, const std::vector<int8_t>& w, int64_t p,
                   int64_t o) {
  int32_t acc = 0;
  for (int64_t i = 0; i < c.ic; ++i) {
    const uint8_t x = src[p * c.src_stride + i];
    acc += (c.src_s8 ? static_cast<int32_t>(static_cast<int8_t>(x)) : static_cast<int32_t>(x)) * w[o * c.ic + i];
  }
  return acc;
}

// v rounded half to even and saturated to the code range (u8 or s8), as a byte.
uint8_t code_of(float v, bool u8) {
  const float lo = u8 ? 0.f : -128.f, hi = u8 ? 255.f : 127.f;
  return static_cast<uint8_t>(static_cast<int32_t>(std::nearbyint(std::min(std::max(v, lo), hi))));
}

// Where output o of pixel p lands in the destination.
int64_t dst_index(const Case& c, int64_t p, int64_t o) {
  return (p / c.per_row) * c.row_stride + (p % c.per_row) * c.oc + o;
}

TEST(PointwiseTable, MatchesItsArithmeticValueByValue) {
  if (!int8::pointwise_table_supported()) GTEST_SKIP() << "SKIPPED: no AVX-512 VNNI + VBMI on this CPU";
  std::mt19937 rng(7);
  std::uniform_int_distribution<int> byte(0, 255);
  const Case cases[] = {
      {16, 32, 37, 16, false, true, 37, 37 * 32},  // dense (one row)
      {64, 64, 11, 64, true, false, 11, 11 * 64},  // s8 in and out
      {36, 16, 19, 40, false, true, 1, 48},        // a wider source; into a Concat of 48 channels
      {32, 48, 23, 32, true, true, 5, 7 * 48 + 16},  // three channel blocks; padded rows
      {8, 80, 7, 8, false, false, 7, 7 * 80},      // five blocks (4 + 1)
      {128, 128, 13, 128, false, true, 13, 13 * 128},
      {4, 16, 1, 4, false, true, 1, 16},           // one pixel, one group of 4 channels
      {24, 8, 29, 24, false, true, 29, 29 * 8},    // 8 channels: one masked block
      {16, 24, 13, 16, true, true, 3, 5 * 24 + 8},  // 16 + 8; padded rows
      {32, 72, 9, 32, false, false, 9, 9 * 72},    // 4 blocks + a masked fifth
  };
  for (const Case& c : cases) {
    SCOPED_TRACE("ic " + std::to_string(c.ic) + " oc " + std::to_string(c.oc) + " pixels " + std::to_string(c.pixels));
    std::vector<int8_t> w(c.oc * c.ic);
    for (int8_t& v : w) v = static_cast<int8_t>(byte(rng) - 128);
    std::vector<float> scale(c.oc), bias(c.oc);
    for (int64_t o = 0; o < c.oc; ++o) {
      scale[o] = 1e-4f * static_cast<float>(1 + byte(rng));
      bias[o] = static_cast<float>(byte(rng) - 128) * 37.5f;
    }
    const float alpha = 0.7f, beta = c.dst_u8 ? 100.f : 3.f;
    int8::ByteTable table;
    for (int i = 0; i < 256; ++i) table.out[i] = static_cast<uint8_t>(byte(rng));
    auto k = int8::make_pointwise_table(w.data(), c.oc, c.ic, scale.data(), bias.data(), alpha, beta, c.src_s8,
                                        c.dst_u8, table);
    ASSERT_TRUE(k.has_value());
    std::vector<uint8_t> src(c.pixels * c.src_stride + 8);
    for (uint8_t& v : src) v = static_cast<uint8_t>(byte(rng));
    const int64_t rows = (c.pixels + c.per_row - 1) / c.per_row;
    std::vector<uint8_t> dst(rows * c.row_stride + 64, 0xEE), want = dst;
    for (int64_t p = 0; p < c.pixels; ++p)
      for (int64_t o = 0; o < c.oc; ++o) {
        const float acc = static_cast<float>(accumulate(c, src, w, p, o));
        const float f = std::fmaf((acc + bias[o]) * scale[o], alpha, beta);
        want[dst_index(c, p, o)] = table.out[code_of(f, c.dst_u8)];
      }
    int8::run_pointwise_table(*k, src.data(), c.src_stride, dst.data(), c.per_row * c.oc, c.row_stride, 0, c.pixels);
    EXPECT_EQ(std::memcmp(dst.data(), want.data(), dst.size()), 0);
    // A range of pixels writes those pixels only.
    std::vector<uint8_t> part(dst.size(), 0xEE);
    int8::run_pointwise_table(*k, src.data(), c.src_stride, part.data(), c.per_row * c.oc, c.row_stride, 0,
                              c.pixels / 2);
    int8::run_pointwise_table(*k, src.data(), c.src_stride, part.data(), c.per_row * c.oc, c.row_stride,
                              c.pixels / 2, c.pixels);
    EXPECT_EQ(std::memcmp(part.data(), want.data(), part.size()), 0);
  }
}

// The HardSwish epilogue (make_pointwise_hardswish): out = saturate(round(hardswish(f) * mul[o] +
// zp)), f = (acc + bias) * scale, hardswish(f) = f * min(max(f / 6 + 1/2, 0), 1), against that
// arithmetic value by value (the kernel's float operations, so every code matches).
TEST(PointwiseTable, HardSwishEpilogueMatchesItsArithmeticValueByValue) {
  if (!int8::pointwise_table_supported()) GTEST_SKIP() << "SKIPPED: no AVX-512 VNNI + VBMI on this CPU";
  std::mt19937 rng(8);
  std::uniform_int_distribution<int> byte(0, 255);
  const Case cases[] = {
      {16, 32, 37, 16, false, true, 37, 37 * 32},
      {64, 64, 11, 64, true, false, 11, 11 * 64},
      {32, 48, 23, 32, true, true, 5, 7 * 48 + 16},
      {8, 80, 7, 8, false, false, 7, 7 * 80},
      {24, 8, 29, 24, true, true, 29, 29 * 8},  // 8 channels: one masked block
      {16, 56, 13, 16, false, true, 13, 13 * 56},  // 3 blocks + 8
  };
  for (const Case& c : cases) {
    SCOPED_TRACE("ic " + std::to_string(c.ic) + " oc " + std::to_string(c.oc) + " pixels " + std::to_string(c.pixels));
    std::vector<int8_t> w(c.oc * c.ic);
    for (int8_t& v : w) v = static_cast<int8_t>(byte(rng) - 128);
    std::vector<float> scale(c.oc), bias(c.oc), mul(c.oc);
    for (int64_t o = 0; o < c.oc; ++o) {
      // acc spreads about 74 * 128 * sqrt(ic): f mostly within +-8, every piece of hardswish
      const float spread = 74.f * 128.f * std::sqrt(static_cast<float>(c.ic));
      scale[o] = 4.f / spread * (0.5f + static_cast<float>(byte(rng)) / 255.f);
      bias[o] = static_cast<float>(byte(rng) - 128) / 128.f * spread;
      mul[o] = 2.f + 0.05f * static_cast<float>(byte(rng));  // equalizing factor over the output scale
    }
    const float zp = c.dst_u8 ? 40.f : 0.f;
    auto k = int8::make_pointwise_hardswish(w.data(), c.oc, c.ic, scale.data(), bias.data(), mul.data(), zp, c.src_s8,
                                            c.dst_u8);
    ASSERT_TRUE(k.has_value());
    std::vector<uint8_t> src(c.pixels * c.src_stride + 8);
    for (uint8_t& v : src) v = static_cast<uint8_t>(byte(rng));
    const int64_t rows = (c.pixels + c.per_row - 1) / c.per_row;
    std::vector<uint8_t> dst(rows * c.row_stride + 64, 0xEE), want = dst;
    int saturated = 0;
    for (int64_t p = 0; p < c.pixels; ++p)
      for (int64_t o = 0; o < c.oc; ++o) {
        const float f = (static_cast<float>(accumulate(c, src, w, p, o)) + bias[o]) * scale[o];
        const float gate = std::min(std::max(std::fmaf(f, 1.f / 6, 0.5f), 0.f), 1.f);
        const float v = std::fmaf(f * gate, mul[o], zp);
        saturated += c.dst_u8 ? v < 0.f || v > 255.f : v < -128.f || v > 127.f;
        want[dst_index(c, p, o)] = code_of(v, c.dst_u8);
      }
    EXPECT_LT(saturated * 4, c.pixels * c.oc);  // most values inside the code range
    int8::run_pointwise_table(*k, src.data(), c.src_stride, dst.data(), c.per_row * c.oc, c.row_stride, 0, c.pixels);
    EXPECT_EQ(std::memcmp(dst.data(), want.data(), dst.size()), 0);
  }
}

// In a graph: a 1x1 conv with its HardSwish and an equalizing channel scale (what
// quant/equalize_depthwise.h makes of a depthwise conv's producer) runs as the HardSwish epilogue
// kernel; its codes within one of oneDNN's (conv with post-ops) and of the reference.
TEST(PointwiseTable, HardSwishConvWithChannelScaleInAGraph) {
  if (!int8::pointwise_table_supported()) GTEST_SKIP() << "SKIPPED: no AVX-512 VNNI + VBMI on this CPU";
  for (bool u8_src : {false, true})
  for (int64_t oc : {48, 24, 8}) {
    SCOPED_TRACE(std::string(u8_src ? "u8 source with a zero point" : "s8 source") + ", " + std::to_string(oc) +
                 " channels");
    ir::Graph g;
    ir::ValueId x = add_input(g, "x", {1, 32, 9, 11});
    g.value(x).qparams = u8_src ? *ir::QParams::per_tensor(2.f / 255, 60, DType::kU8) : sym(1.f / 127);
    ir::ValueId y = add_pointwise_conv(g, "pw", x, 32, oc, {1, oc, 9, 11}, 3200, "hardswish");
    std::vector<double> k(oc);
    for (int c = 0; c < oc; ++c) k[c] = 1.0 + (c % 7) * 1.5;
    ir::set_channel_scale(g, g.node(g.value(y).producer()).id, "pw_equalize", k);
    g.value(y).qparams = sym(0.03f);
    g.add_output(y);
    const std::vector<Tensor> in = {random_tensor({1, 32, 9, 11}, 95)};
    RunOut fused = run(g, in, true);
    RunOut onednn = run(g, in, true, true, /*fuse_pointwise_tables=*/false);
    RunOut ref = run(g, in, false);
    int kernels = 0;
    for (const KernelInfo& ki : fused.stats.kernels) kernels += ki.impl == "int8:conv1x1+hardswish";
    EXPECT_EQ(kernels, 1);
    for (const KernelInfo& ki : onednn.stats.kernels) EXPECT_EQ(ki.impl.find("conv1x1+"), std::string::npos);
    expect_outputs_within_one_lsb(fused, onednn, {0.03});
    expect_outputs_within_one_lsb(fused, ref, {0.03});
    Diff d = diff_lsb(fused.outputs[0], ref.outputs[0], 0.03, 1e-5);
    EXPECT_LT(d.max_abs, 0.03 * 1.001);
  }
}

// Two such convs joined by a channel Concat (YOLOv6Lite-S's stride-2 blocks before their
// equalized depthwise conv) write their codes into the Concat's pixels: no copy step is left.
TEST(PointwiseTable, HardSwishConvsWriteIntoTheirConcat) {
  if (!int8::pointwise_table_supported()) GTEST_SKIP() << "SKIPPED: no AVX-512 VNNI + VBMI on this CPU";
  ir::Graph g;
  ir::ValueId x = add_input(g, "x", {1, 32, 9, 11});
  g.value(x).qparams = sym(1.f / 127);
  const ir::QParams cat_q = sym(0.03f);
  std::vector<ir::ValueId> parts;
  for (int i = 0; i < 2; ++i) {
    const int64_t oc = i == 0 ? 16 : 24;
    const std::string name = "pw" + std::to_string(i);
    ir::ValueId y = add_pointwise_conv(g, name, x, 32, oc, {1, oc, 9, 11}, 3300 + i, "hardswish");
    std::vector<double> k(oc);
    for (int c = 0; c < oc; ++c) k[c] = 1.0 + (c % 5) * 2.0;
    ir::set_channel_scale(g, g.node(g.value(y).producer()).id, name + "_equalize", k);
    g.value(y).qparams = cat_q;
    parts.push_back(y);
  }
  ir::ValueId cat = add_channel_concat(g, "concat", parts, "cat", {1, 40, 9, 11});
  g.value(cat).qparams = cat_q;
  g.add_output(add_pointwise_conv(g, "next", cat, 40, 16, {1, 16, 9, 11}, 3310));
  const std::vector<Tensor> in = {random_tensor({1, 32, 9, 11}, 96)};
  RunOut fused = run(g, in, true);
  RunOut onednn = run(g, in, true, true, /*fuse_pointwise_tables=*/false);
  RunOut ref = run(g, in, false);
  int into = 0;
  for (const KernelInfo& ki : fused.stats.kernels) {
    into += ki.impl == "int8:conv1x1+hardswish(into concat)";
    EXPECT_NE(ki.node, "concat") << ki.impl;  // no copy step left
  }
  EXPECT_EQ(into, 2);
  // next's f32 output: a code of cat one apart moves it by at most sum |w| * 0.03.
  const double lsb = 40 * 0.4 * 0.03;
  expect_outputs_within_one_lsb(fused, onednn, {lsb});
  expect_outputs_within_one_lsb(fused, ref, {lsb});
}

TEST(PointwiseTable, DeclinesInputChannelsOffGroupsOfFour) {
  const int8_t w[17 * 5] = {};
  const float s[17] = {}, b[17] = {};
  int8::ByteTable t{};
  EXPECT_TRUE(int8::make_pointwise_table(w, 17, 4, s, b, 1.f, 0.f, false, true, t).has_value());  // any oc
  EXPECT_FALSE(int8::make_pointwise_table(w, 16, 5, s, b, 1.f, 0.f, false, true, t).has_value());  // ic % 4
}

// In graphs: fused exactly where a 1x1 conv's output only a table reads, and the same bytes as
// oneDNN's conv followed by the table (s8 and u8 sources; a Concat slice as source; outputs dense,
// into a Concat).
TEST(PointwiseTable, GraphsGiveTheBytesOfOneDnnsConvAndTheTable) {
  if (!int8::pointwise_table_supported()) GTEST_SKIP() << "SKIPPED: no AVX-512 VNNI + VBMI on this CPU";
  ir::Graph g;
  const Shape s{1, 32, 9, 11};
  ir::ValueId x = add_input(g, "x", {1, 16, 9, 11});
  g.value(x).qparams = sym(1.f / 127);  // s8 source
  ir::ValueId pre = add_pointwise_conv(g, "pw1", x, 16, 32, s, 3100);
  g.value(pre).qparams = *ir::QParams::per_tensor(6.f / 255, 170, DType::kU8);
  ir::ValueId a = add_silu(g, "a", pre);
  const ir::QParams cat_q = *ir::QParams::per_tensor(2.f / 255, 40, DType::kU8);
  g.value(a).qparams = cat_q;
  // u8 source, 24 channels (a masked last block)
  ir::ValueId pre2 = add_pointwise_conv(g, "pw2", a, 32, 24, {1, 24, 9, 11}, 3101);
  g.value(pre2).qparams = *ir::QParams::per_tensor(5.f / 255, 150, DType::kU8);
  ir::ValueId b = add_silu(g, "b", pre2);
  g.value(b).qparams = cat_q;
  ir::ValueId cat = add_channel_concat(g, "concat", {a, b}, "cat", {1, 56, 9, 11});
  g.value(cat).qparams = cat_q;
  ir::ValueId pre3 = add_pointwise_conv(g, "pw3", cat, 56, 64, {1, 64, 9, 11}, 3102);
  g.value(pre3).qparams = *ir::QParams::per_tensor(6.f / 255, 170, DType::kU8);
  ir::ValueId y = add_silu(g, "y", pre3);
  g.value(y).qparams = sym(0.02f);
  g.add_output(y);
  g.add_output(cat);
  const std::vector<Tensor> in = {random_tensor({1, 16, 9, 11}, 92)};
  RunOut fused = run(g, in, true);
  RunOut plain = run(g, in, true, true, /*fuse_pointwise_tables=*/false);
  RunOut ref = run(g, in, false);
  int kernels = 0;
  for (const KernelInfo& k : fused.stats.kernels) kernels += k.impl.rfind("int8:conv1x1+table:silu", 0) == 0;
  EXPECT_EQ(kernels, 3);
  for (const KernelInfo& k : plain.stats.kernels) EXPECT_EQ(k.impl.find("conv1x1+"), std::string::npos) << k.node;
  ASSERT_EQ(fused.outputs.size(), plain.outputs.size());
  for (size_t i = 0; i < fused.outputs.size(); ++i)
    EXPECT_EQ(std::memcmp(fused.outputs[i].raw(), plain.outputs[i].raw(), fused.outputs[i].nbytes()), 0) << i;
  expect_outputs_within_one_lsb(fused, ref, {0.02, 2.f / 255});
}

}  // namespace
}  // namespace yq::runtime
