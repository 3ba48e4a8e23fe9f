// SPDX-License-Identifier: Apache-2.0
// oneDNN int8 Conv/FusedConv against the fake-quant reference (EngineOptions::use_onednn = false)
// on random data with fixed seeds.
//
// Why a 1-LSB difference can occur on an int8 output: both paths compute the same real value
//   v = act(sum(fq(x)*fq(w)) + b) + fq(R)
// and round v / s_y half-to-even, but they get there differently: the int32 accumulator is exact
// and oneDNN forms (acc + b/(s_x*s_w)) * (s_x*s_w), applies its (polynomial) activation and
// multiplies by 1/s_y, while the reference sums f32 products of dequantized values in another
// order, uses libm's activation and divides by s_y. These differ by a few f32 ulps, so when v/s_y
// lies within those ulps of a .5 tie (or an integer boundary) the two round to neighbouring
// integers. Anything larger than one LSB is a real bug (wrong scale, bias or post-op order).
#include <gtest/gtest.h>

#include <cmath>

#include "tests/runtime_int8/int8_test_util.h"

namespace yq::runtime {
namespace {

using namespace int8_testing;

struct ConvCase {
  const char* name;
  int64_t ic, oc, k, stride, group;
  const char* act;
  bool residual;
  bool int8_out;
  bool int8_kernel = true;  // false: the planner must fall back to f32 conv + quantize
  bool zero_points = false;  // x, R and y as u8 with zero points (oneDNN src zp, sum zp, linear beta)
  // A channel scale S (input 4, factors 0.05 to 20): folded into the output scales after
  // none/relu/leaky_relu, a binary_mul post-op after the others.
  bool channel_scale = false;
};

// u8 over [lo, hi] with a zero point (qmath's asymmetric params).
ir::QParams u8_zp(float lo, float hi) { return quant::asymmetric_u8_qparams(lo, hi); }

// Builds x[1,ic,9,11] -> (Fused)Conv -> y with qparams on x, W (per channel), R and (optionally) y.
ir::Graph conv_graph(const ConvCase& c, float y_scale) {
  ir::Graph g;
  const int64_t h = 9, w = 11, pad = c.k / 2;
  const int64_t oh = (h + 2 * pad - c.k) / c.stride + 1, ow = (w + 2 * pad - c.k) / c.stride + 1;
  ir::ValueId x = add_input(g, "x", {1, c.ic, h, w});
  g.value(x).qparams = c.zero_points ? u8_zp(-0.3f, 1.f) : sym(1.f / 127);
  Tensor wt = random_tensor({c.oc, c.ic / c.group, c.k, c.k}, 11, -0.5f, 0.5f);
  ir::QParams wq = quant::per_channel_weight_qparams(wt, 0);
  ir::ValueId wv = add_const(g, "w", wt);
  g.value(wv).qparams = wq;
  ir::ValueId b = add_const(g, "b", random_tensor({c.oc}, 12, -0.3f, 0.3f));
  std::vector<ir::ValueId> ins = {x, wv, b};
  if (c.residual) {
    ir::ValueId r = add_input(g, "r", {1, c.oc, oh, ow});
    g.value(r).qparams = c.zero_points ? u8_zp(-0.4f, 1.4f) : sym(1.5f / 127);
    ins.push_back(r);
  }
  if (c.channel_scale) {
    Tensor s = random_tensor({c.oc}, 13, -1.f, 1.f);
    for (int64_t i = 0; i < c.oc; ++i) s.data<float>()[i] = std::pow(20.f, s.data<float>()[i]);
    if (!c.residual) ins.push_back(ir::kNoValue);
    ins.push_back(add_const(g, "s", s));
  }
  ir::ValueId y = add_act(g, "y", {1, c.oc, oh, ow});
  if (c.int8_out && y_scale > 0) g.value(y).qparams = c.zero_points ? u8_zp(-y_scale * 40, y_scale * 215) : sym(y_scale);
  ir::Attributes a;
  a.set("kernel_shape", std::vector<int64_t>{c.k, c.k});
  a.set("strides", std::vector<int64_t>{c.stride, c.stride});
  a.set("pads", std::vector<int64_t>{pad, pad, pad, pad});
  a.set("group", c.group);
  a.set("activation", std::string(c.act));
  if (std::string(c.act) == "leaky_relu") a.set("activation_alpha", 0.1f);
  if (std::string(c.act) == "clip") {
    a.set("activation_alpha", -0.5f);
    a.set("activation_beta", 0.75f);
  }
  if (std::string(c.act) == "hardsigmoid") {
    a.set("activation_alpha", 0.2f);
    a.set("activation_beta", 0.5f);
  }
  if (std::string(c.act) == "hardswish") {
    a.set("activation_alpha", 1.f / 6);
    a.set("activation_beta", 0.5f);
  }
  ir::NodeId n = g.add_node("FusedConv", "conv", ins, {y}, a);
  g.node(n).domain = "yq";
  g.add_output(y);
  return g;
}

class Int8Conv : public ::testing::TestWithParam<ConvCase> {};

TEST_P(Int8Conv, MatchesFakeQuantReference) {
  const ConvCase& c = GetParam();
  std::vector<Tensor> inputs = {random_tensor({1, c.ic, 9, 11}, 21)};
  {
    ir::Graph probe = conv_graph(c, 0);
    const Shape& rs = c.residual ? probe.value(probe.inputs()[1]).shape : Shape{};
    if (c.residual) inputs.push_back(random_tensor(rs, 22, -1.4f, 1.4f));
  }
  // The output scale from the reference output's range (as calibration would pick it).
  float y_scale = 0;
  {
    RunOut probe = run(conv_graph(c, 0), inputs, false);
    ASSERT_EQ(probe.outputs.size(), 1u);
    float amax = 0;
    for (float v : probe.outputs[0].values<float>()) amax = std::max(amax, std::fabs(v));
    y_scale = std::max(amax, 1e-3f) / 127;
  }
  ir::Graph g = conv_graph(c, y_scale);
  RunOut fast = run(g, inputs, true);
  RunOut ref = run(g, inputs, false);
  ASSERT_EQ(fast.outputs.size(), 1u);
  ASSERT_EQ(ref.outputs.size(), 1u);
  EXPECT_EQ(fast.stats.int8_kernels, c.int8_kernel ? 1 : 0) << c.name;
  bool int8_impl = false;
  // oneDNN's int8 conv, or yoloq's 1x1 kernel with the HardSwish epilogue (int8::PointwiseTable)
  for (const KernelInfo& k : fast.stats.kernels)
    int8_impl |= k.node == "conv" && (k.impl.rfind("onednn:conv_int8", 0) == 0 || k.impl == "int8:conv1x1+hardswish");
  EXPECT_EQ(int8_impl, c.int8_kernel) << c.name;
  if (c.int8_kernel) {
    EXPECT_EQ(fast.stats.quantize_ops, c.residual ? 2 : 1) << c.name;  // x (and R) on entry
    EXPECT_EQ(fast.stats.requantize_ops, 0) << c.name;
    // y on exit; an R with a zero point summed into an f32 dst is dequantized by a step of its own
    const int r_dequantize = c.zero_points && c.residual && !c.int8_out ? 1 : 0;
    EXPECT_EQ(fast.stats.dequantize_ops, (c.int8_out ? 1 : 0) + r_dequantize) << c.name;
  }

  if (c.int8_out) {
    // Outputs are multiples of s_y: exact, or one LSB apart at a rounding boundary (see the top).
    Diff d = diff_lsb(fast.outputs[0], ref.outputs[0], y_scale, 1e-3 * y_scale);
    EXPECT_EQ(d.over_1lsb, 0) << c.name << ": max diff " << d.max_abs / y_scale << " LSB";
    // Boundary cases are rare: a wrong epilogue shows up as many 1-LSB misses.
    EXPECT_LE(d.nonzero, d.n / 100) << c.name << ": " << d.nonzero << " of " << d.n << " elements differ";
  } else {
    // f32 output: the same real value up to f32 rounding and oneDNN's activation approximations.
    float amax = 0;
    for (float v : ref.outputs[0].values<float>()) amax = std::max(amax, std::fabs(v));
    Diff d = diff_lsb(fast.outputs[0], ref.outputs[0], 0, 1e-4 * amax + 1e-5);
    EXPECT_EQ(d.nonzero, 0) << c.name << ": max diff " << d.max_abs << " vs max|ref| " << amax;
  }
}

const ConvCase kCases[] = {
    {"plain", 16, 32, 3, 1, 1, "", false, true},
    {"plain_f32_out", 16, 32, 3, 1, 1, "", false, false},
    {"depthwise", 16, 16, 3, 1, 16, "relu", false, true},
    {"grouped", 16, 32, 3, 1, 4, "silu", false, true},
    {"strided", 8, 24, 3, 2, 1, "silu", false, true},
    {"pointwise", 24, 40, 1, 1, 1, "silu", false, true},
    {"relu", 16, 32, 3, 1, 1, "relu", false, true},
    {"leaky_relu", 16, 32, 3, 1, 1, "leaky_relu", false, true},
    {"sigmoid", 16, 32, 3, 1, 1, "sigmoid", false, true},
    {"silu", 16, 32, 3, 1, 1, "silu", false, true},
    {"tanh", 16, 32, 3, 1, 1, "tanh", false, true},
    {"clip", 16, 32, 3, 1, 1, "clip", false, true},
    {"hardsigmoid", 16, 32, 3, 1, 1, "hardsigmoid", false, true},
    {"hardswish", 16, 32, 3, 1, 1, "hardswish", false, true},
    {"hardsigmoid_f32_out", 16, 32, 3, 1, 1, "hardsigmoid", false, false},
    {"hardsigmoid_residual", 16, 32, 3, 1, 1, "hardsigmoid", true, true, false},
    {"relu_residual", 16, 32, 3, 1, 1, "relu", true, true},
    {"residual_int8_out", 16, 32, 3, 1, 1, "silu", true, true},
    {"residual_f32_out", 16, 32, 3, 1, 1, "silu", true, false},
    {"residual_1x1", 32, 32, 1, 1, 1, "", true, true},
    // Zero points: padding must read as the value 0 (code zp), sums and outputs shift.
    {"zp_plain", 16, 32, 3, 1, 1, "", false, true, true, true},
    {"zp_depthwise_strided", 32, 32, 3, 2, 32, "", false, true, true, true},
    {"zp_pointwise_silu", 24, 40, 1, 1, 1, "silu", false, true, true, true},
    {"zp_f32_out", 16, 32, 3, 1, 1, "", false, false, true, true},
    {"zp_residual_int8_out", 16, 32, 3, 1, 1, "silu", true, true, true, true},
    {"zp_residual_f32_out", 16, 32, 3, 1, 1, "silu", true, false, true, true},
    // Channel scales (depthwise-input equalization's producer side).
    {"scale_silu", 16, 32, 3, 1, 1, "silu", false, true, true, false, true},
    {"scale_silu_f32_out", 16, 32, 3, 1, 1, "silu", false, false, true, false, true},
    {"scale_hardswish_1x1", 24, 40, 1, 1, 1, "hardswish", false, true, true, false, true},
    {"scale_relu_folded", 16, 32, 3, 1, 1, "relu", false, true, true, false, true},
    {"scale_linear_depthwise_folded", 16, 16, 3, 1, 16, "", false, true, true, false, true},
    {"scale_silu_residual", 16, 32, 3, 1, 1, "silu", true, true, true, false, true},
    {"scale_relu_residual_folded", 16, 32, 3, 1, 1, "relu", true, true, true, false, true},
    {"scale_zp_silu", 24, 40, 1, 1, 1, "silu", false, true, true, true, true},
};

INSTANTIATE_TEST_SUITE_P(Cases, Int8Conv, ::testing::ValuesIn(kCases),
                         [](const ::testing::TestParamInfo<ConvCase>& i) { return std::string(i.param.name); });

}  // namespace
}  // namespace yq::runtime
