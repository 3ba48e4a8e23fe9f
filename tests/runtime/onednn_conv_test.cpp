// SPDX-License-Identifier: Apache-2.0
// Conv / FusedConv on oneDNN against the reference kernels at odd shapes, every activation and
// both residual paths (in place over R, and copy of R into dst).
#include <gtest/gtest.h>

#include <dnnl.hpp>
#include <string>

#include "runtime/kernels/fp32/onednn_kernel.h"
#include "tests/runtime/engine_test_util.h"

namespace yq::runtime {
namespace {

using testing::add_act;
using testing::add_const;
using testing::add_input;
using testing::compare_onednn_vs_ref;
using testing::conv_out;
using testing::random_tensor;

struct ConvCase {
  std::string label;
  int64_t c, h, w, oc, k;
  int64_t stride = 1, dil = 1, group = 1;
  std::vector<int64_t> pads = {0, 0, 0, 0};
  bool bias = true;
  std::string act = "";
  std::vector<float> act_params = {};  // activation_alpha, activation_beta when given
};

// Adds a Conv (act empty, not fused) or FusedConv node reading x; returns the output value.
ir::ValueId add_conv(ir::Graph& g, const ConvCase& c, ir::ValueId x, const std::string& name, uint32_t seed,
                     bool fused, ir::ValueId residual = ir::kNoValue) {
  Shape ws{c.oc, c.c / c.group, c.k, c.k};
  ir::ValueId w = add_const(g, name + "_w", ws, seed);
  ir::ValueId b = c.bias ? add_const(g, name + "_b", {c.oc}, seed + 1) : ir::kNoValue;
  int64_t oh = conv_out(c.h, c.k, c.stride, c.pads[0], c.pads[2], c.dil);
  int64_t ow = conv_out(c.w, c.k, c.stride, c.pads[1], c.pads[3], c.dil);
  ir::ValueId y = add_act(g, name + "_y", {1, c.oc, oh, ow});
  ir::Attributes a;
  a.set("kernel_shape", std::vector<int64_t>{c.k, c.k});
  a.set("strides", std::vector<int64_t>{c.stride, c.stride});
  a.set("dilations", std::vector<int64_t>{c.dil, c.dil});
  a.set("pads", c.pads);
  a.set("group", c.group);
  std::vector<ir::ValueId> ins{x, w, b};
  if (fused) {
    a.set("activation", c.act);
    if (c.act_params.size() > 0) a.set("activation_alpha", c.act_params[0]);
    if (c.act_params.size() > 1) a.set("activation_beta", c.act_params[1]);
    if (residual != ir::kNoValue) ins.push_back(residual);
  }
  if (!c.bias && ins.size() == 3) ins.pop_back();
  g.add_node(fused ? "FusedConv" : "Conv", name, ins, {y}, a);
  return y;
}

class ConvTest : public ::testing::TestWithParam<ConvCase> {};

TEST_P(ConvTest, MatchesReference) {
  const ConvCase& c = GetParam();
  ir::Graph g;
  ir::ValueId x = add_input(g, "x", {1, c.c, c.h, c.w});
  ir::ValueId y = add_conv(g, c, x, "conv", 7, !c.act.empty());
  g.add_output(y);
  EngineStats st = compare_onednn_vs_ref(g, {random_tensor({1, c.c, c.h, c.w}, 11)}, c.label);
  EXPECT_EQ(st.onednn_kernels, 1) << c.label;
  // A small depthwise or 1x1 f32 conv runs its SiLU as yoloq's own pass over its output, in place
  // (ConvSwish below); these 3x3 convs keep it in the epilogue.
  const bool swish_pass = c.act == "silu" && (c.group == c.c || c.k == 1);
  EXPECT_EQ(st.ref_kernels, swish_pass ? 1 : 0) << c.label;
  int passes = 0;
  for (const KernelInfo& k : st.kernels) passes += k.impl == "plain:swish(in place)" ? 1 : 0;
  EXPECT_EQ(passes, swish_pass ? 1 : 0) << c.label;
}

// Which SiLU convs run the separate pass: depthwise and 1x1 ones up to 1 MiB of output. Above
// 1 MiB (a second pass through memory costs more), on a dense 3x3 conv (its arithmetic hides the
// epilogue) and with a residual (the sum follows the activation) the SiLU stays in the epilogue.
TEST(ConvSwish, DepthwiseAndPointwiseConvsUpToOneMebibyte) {
  ir::Graph g;
  ir::ValueId x = add_input(g, "x", {1, 8, 128, 128});
  ConvCase big{"big", 8, 128, 128, 24, 1, 1, 1, 1, {0, 0, 0, 0}, true, "silu"};  // 1.5 MiB out
  ir::ValueId y = add_conv(g, big, x, "big", 3, true);
  ConvCase dense{"dense", 24, 128, 128, 8, 3, 4, 1, 1, {1, 1, 1, 1}, true, "silu"};  // 32x32x8
  ir::ValueId z = add_conv(g, dense, y, "dense", 4, true);
  ConvCase dw{"dw", 8, 32, 32, 8, 3, 1, 1, 8, {1, 1, 1, 1}, true, "silu"};
  ir::ValueId d = add_conv(g, dw, z, "dw", 5, true);
  ConvCase pw{"pw", 8, 32, 32, 16, 1, 1, 1, 1, {0, 0, 0, 0}, true, "silu"};
  ir::ValueId p = add_conv(g, pw, d, "pw", 6, true);
  ConvCase res{"res", 16, 32, 32, 16, 1, 1, 1, 1, {0, 0, 0, 0}, true, "silu"};
  ir::ValueId r = add_conv(g, res, p, "res", 7, true, p);
  g.add_output(r);
  EngineStats st = compare_onednn_vs_ref(g, {random_tensor({1, 8, 128, 128}, 8)}, "swish bound");
  std::vector<std::string> passes;
  for (const KernelInfo& k : st.kernels)
    if (k.impl.rfind("plain:swish", 0) == 0) passes.push_back(k.node.substr(0, k.node.find("_act")));
  EXPECT_EQ(passes, (std::vector<std::string>{"dw", "pw"}));
}

INSTANTIATE_TEST_SUITE_P(
    Shapes, ConvTest,
    ::testing::Values(ConvCase{"odd_channels_3x3", 5, 9, 11, 7, 3, 1, 1, 1, {1, 1, 1, 1}},
                      ConvCase{"spatial_1x1", 17, 1, 1, 19, 1},
                      ConvCase{"stride2_odd", 12, 13, 15, 20, 3, 2, 1, 1, {1, 1, 1, 1}},
                      ConvCase{"stride2_no_bias", 16, 9, 7, 32, 3, 2, 1, 1, {1, 1, 1, 1}, false},
                      ConvCase{"dilated", 8, 12, 10, 8, 3, 1, 2, 1, {2, 2, 2, 2}},
                      ConvCase{"asymmetric_pads", 6, 10, 9, 10, 3, 2, 1, 1, {0, 1, 1, 0}},
                      ConvCase{"depthwise_3", 3, 11, 13, 3, 3, 1, 1, 3, {1, 1, 1, 1}},
                      ConvCase{"depthwise_24_s2", 24, 15, 17, 24, 3, 2, 1, 24, {1, 1, 1, 1}},
                      ConvCase{"depthwise_24_k5", 24, 10, 10, 24, 5, 1, 1, 24, {2, 2, 2, 2}},
                      ConvCase{"grouped", 8, 7, 9, 12, 3, 1, 1, 4, {1, 1, 1, 1}},
                      ConvCase{"first_layer_6x6_s2", 3, 20, 18, 16, 6, 2, 1, 1, {2, 2, 2, 2}}),
    [](const auto& p) { return p.param.label; });

INSTANTIATE_TEST_SUITE_P(
    Activations, ConvTest,
    ::testing::Values(ConvCase{"relu", 5, 9, 11, 24, 3, 1, 1, 1, {1, 1, 1, 1}, true, "relu"},
                      ConvCase{"leaky_relu", 5, 9, 11, 24, 3, 1, 1, 1, {1, 1, 1, 1}, true, "leaky_relu", {0.1f}},
                      ConvCase{"sigmoid", 5, 9, 11, 24, 3, 1, 1, 1, {1, 1, 1, 1}, true, "sigmoid"},
                      ConvCase{"silu", 5, 9, 11, 24, 3, 1, 1, 1, {1, 1, 1, 1}, true, "silu"},
                      ConvCase{"hardswish", 5, 9, 11, 24, 3, 1, 1, 1, {1, 1, 1, 1}, true, "hardswish",
                               {1.f / 6, 0.5f}},
                      ConvCase{"hardswish_default", 5, 9, 11, 24, 3, 1, 1, 1, {1, 1, 1, 1}, true, "hardswish"},
                      ConvCase{"hardsigmoid", 5, 9, 11, 24, 3, 1, 1, 1, {1, 1, 1, 1}, true, "hardsigmoid",
                               {1.f / 6, 0.5f}},
                      ConvCase{"hardsigmoid_default", 5, 9, 11, 24, 3, 1, 1, 1, {1, 1, 1, 1}, true,
                               "hardsigmoid"},
                      ConvCase{"clip_relu6", 5, 9, 11, 24, 3, 1, 1, 1, {1, 1, 1, 1}, true, "clip", {0.f, 0.6f}},
                      ConvCase{"tanh", 5, 9, 11, 24, 3, 1, 1, 1, {1, 1, 1, 1}, true, "tanh"},
                      ConvCase{"depthwise_silu", 24, 9, 11, 24, 3, 2, 1, 24, {1, 1, 1, 1}, true, "silu"}),
    [](const auto& p) { return p.param.label; });

// A hardswish oneDNN 2.6 cannot express (alpha != 1/6) falls back to the reference kernel.
TEST(ConvFallback, NonStandardHardSwishRunsOnReference) {
  ConvCase c{"hs", 4, 6, 6, 8, 3, 1, 1, 1, {1, 1, 1, 1}, true, "hardswish", {0.25f, 0.5f}};
  ir::Graph g;
  ir::ValueId x = add_input(g, "x", {1, 4, 6, 6});
  g.add_output(add_conv(g, c, x, "conv", 3, true));
  EngineStats st = compare_onednn_vs_ref(g, {random_tensor({1, 4, 6, 6}, 5)}, "hardswish 0.25");
  EXPECT_EQ(st.onednn_kernels, 0);
  EXPECT_EQ(st.ref_kernels, 1);
}

// y = act(conv(a)) + r, with r produced by another conv from the same input. When r has no other
// reader the FusedConv writes over it; when r is also a graph output it must be copied.
void residual_case(bool r_is_output, int64_t oc, const std::string& act) {
  ir::Graph g;
  // 16 input channels: both convs read a blocked src, so they agree on the dst layout.
  const int64_t c = 16, h = 9, w = 7;
  ir::ValueId x = add_input(g, "x", {1, c, h, w});
  ConvCase rc{"r", c, h, w, oc, 1};
  ir::ValueId r = add_conv(g, rc, x, "conv_r", 21, false);
  ConvCase fc{"f", c, h, w, oc, 3, 1, 1, 1, {1, 1, 1, 1}, true, act};
  ir::ValueId y = add_conv(g, fc, x, "conv_f", 31, true, r);
  g.add_output(y);
  if (r_is_output) g.add_output(r);
  const std::string what = std::string(r_is_output ? "copy" : "inplace") + " oc=" + std::to_string(oc) + " " + act;
  EngineStats st = compare_onednn_vs_ref(g, {random_tensor({1, c, h, w}, 41)}, what);
  EXPECT_EQ(st.onednn_kernels, 2) << what;
  bool found = false;
  for (const KernelInfo& k : st.kernels) {
    if (k.node != "conv_f") continue;
    found = true;
    EXPECT_NE(k.impl.find(r_is_output ? "+sum:copy" : "+sum:inplace"), std::string::npos) << what << ": " << k.impl;
  }
  EXPECT_TRUE(found);
}

TEST(ConvResidual, InPlace) {
  residual_case(false, 16, "silu");
  residual_case(false, 13, "relu");
}
TEST(ConvResidual, Copy) {
  residual_case(true, 16, "silu");
  residual_case(true, 13, "");
}

// A residual that is a graph input (plain layout) must be copied into dst's layout.
TEST(ConvResidual, PlainResidualFromGraphInput) {
  ir::Graph g;
  ir::ValueId x = add_input(g, "x", {1, 8, 5, 6});
  ir::ValueId r = add_input(g, "r", {1, 16, 5, 6});
  ConvCase fc{"f", 8, 5, 6, 16, 3, 1, 1, 1, {1, 1, 1, 1}, true, "hardswish"};
  g.add_output(add_conv(g, fc, x, "conv_f", 3, true, r));
  EngineStats st = compare_onednn_vs_ref(g, {random_tensor({1, 8, 5, 6}, 1), random_tensor({1, 16, 5, 6}, 2)},
                                         "plain residual");
  EXPECT_EQ(st.onednn_kernels, 1);
}

// FusedConv's channel scale S (input 4): y = act(conv) * S + R, a binary_mul post-op before the sum.
TEST(ConvChannelScale, MatchesReferenceWithAndWithoutResidual) {
  for (const char* act : {"silu", "relu", ""}) {
    for (bool residual : {false, true}) {
      ir::Graph g;
      ir::ValueId x = add_input(g, "x", {1, 8, 7, 9});
      ir::ValueId r = residual ? add_input(g, "r", {1, 12, 7, 9}) : ir::kNoValue;
      ConvCase fc{"f", 8, 7, 9, 12, 3, 1, 1, 1, {1, 1, 1, 1}, true, act};
      ir::ValueId y = add_conv(g, fc, x, "conv", 5, true, r);
      Tensor s = random_tensor({12}, 6);
      for (int64_t i = 0; i < s.numel(); ++i) s.data<float>()[i] = 0.2f + 4.f * std::fabs(s.data<float>()[i]);
      ir::ValueId sv = g.add_constant("conv_s", s);
      g.value(sv).shape = {12};
      g.value(sv).shape_known = true;
      const ir::NodeId n = g.producer_of(y)->id;
      if (!residual) g.set_node_input(n, 3, ir::kNoValue);
      g.set_node_input(n, 4, sv);
      g.add_output(y);
      std::vector<Tensor> in;
      in.reserve(2);  // (a vector built from a one-element list, then grown, trips GCC 12's -Warray-bounds)
      in.push_back(random_tensor({1, 8, 7, 9}, 7));
      if (residual) in.push_back(random_tensor({1, 12, 7, 9}, 8));
      const std::string what = std::string("channel scale, act '") + act + "'" + (residual ? " + residual" : "");
      EngineStats st = compare_onednn_vs_ref(g, in, what);
      EXPECT_EQ(st.onednn_kernels, 1) << what;
    }
  }
}

}  // namespace
}  // namespace yq::runtime

namespace yq::runtime {
namespace {

// make_conv_pd takes oneDNN's direct kernels over the brgemm kernel it lists first where they
// measured faster (onednn_conv.cpp, preferred_kernel): depthwise always in int8 and from 32
// channels in f32; int8 1x1 up to 96 input channels; int8 3x3 up to 48. A case is skipped on a
// CPU where oneDNN does not list a brgemm kernel first (another ISA, another kernel list).
TEST(ConvKernelChoice, TakesTheDirectKernelsWhereTheyMeasuredFaster) {
  using dnnl::memory;
  dnnl::engine eng(dnnl::engine::kind::cpu, 0);
  struct Case {
    memory::data_type dt;
    int64_t ic, oc, k, group;
    const char* want;
  };
  const memory::data_type u8 = memory::data_type::u8, f32 = memory::data_type::f32;
  int checked = 0;
  for (const Case& c : {Case{u8, 64, 64, 3, 64, "jit_int8:"}, Case{u8, 16, 16, 3, 16, "jit_int8:"},
                        Case{f32, 64, 64, 3, 64, "jit_dw:"}, Case{f32, 16, 16, 3, 16, "brdgmm_dw"},
                        Case{u8, 16, 16, 1, 1, "jit_int8_1x1:"}, Case{u8, 128, 64, 1, 1, "brgconv_1x1"},
                        Case{u8, 16, 32, 3, 1, "jit_int8:"}, Case{u8, 64, 64, 3, 1, "brgconv"},
                        Case{f32, 16, 16, 1, 1, "brgconv_1x1"}}) {
    SCOPED_TRACE(std::to_string(c.ic) + "->" + std::to_string(c.oc) + " k" + std::to_string(c.k) + " group " +
                 std::to_string(c.group) + (c.dt == f32 ? " f32" : " int8"));
    fp32::ConvGeometry geo;
    geo.group = c.group;
    geo.ic = c.ic;
    geo.oc = c.oc;
    geo.kh = geo.kw = c.k;
    geo.src_dims = {1, c.ic, 26, 26};
    geo.dst_dims = {1, c.oc, 26, 26};
    geo.w_dims = c.group > 1 ? memory::dims{c.group, c.oc / c.group, c.ic / c.group, c.k, c.k}
                             : memory::dims{c.oc, c.ic, c.k, c.k};
    geo.strides = {1, 1};
    geo.dilations = {0, 0};
    geo.pad_l = geo.pad_r = {c.k / 2, c.k / 2};
    const memory::data_type wdt = c.dt == f32 ? f32 : memory::data_type::s8;
    const memory::desc src(geo.src_dims, c.dt, memory::format_tag::nhwc);
    const memory::desc dst(geo.dst_dims, wdt, memory::format_tag::nhwc);
    const memory::desc w(geo.w_dims, wdt, memory::format_tag::any);
    dnnl::convolution_forward::desc d(dnnl::prop_kind::forward_inference, dnnl::algorithm::convolution_direct, src, w,
                                      dst, geo.strides, geo.dilations, geo.pad_l, geo.pad_r);
    dnnl::convolution_forward::primitive_desc listed_first(d, dnnl::primitive_attr(), eng);
    if (std::string(listed_first.impl_info_str()).rfind("br", 0) != 0) continue;
    auto pd = fp32::make_conv_pd(geo, src, w, memory::desc(), dst, dnnl::primitive_attr(), eng);
    EXPECT_EQ(std::string(pd.impl_info_str()).rfind(c.want, 0), 0u) << pd.impl_info_str();
    EXPECT_TRUE(pd.src_desc() == src && pd.dst_desc() == dst) << "the layouts changed";
    ++checked;
  }
  if (checked == 0) GTEST_SKIP() << "oneDNN lists no brgemm kernel first on this CPU";
}

}  // namespace
}  // namespace yq::runtime
