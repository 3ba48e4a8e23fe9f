// SPDX-License-Identifier: Apache-2.0
// quant/equalize_depthwise: the channel-loss rule equalizes instead of keeping float (kLossy),
// the rewrite computes the same function in float, gives every channel of the depthwise input the
// full range, keeps the depthwise conv's integer weights, and folds a table activation back.
#include "quant/equalize_depthwise.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>

#include "ir/passes/pattern_utils.h"
#include "quant/channel_loss.h"
#include "quant/policy.h"
#include "quant/qmath.h"
#include "quant/split_activations.h"
#include "tests/ir_passes/pass_test_util.h"
#include "tests/quant_flow/stem_depthwise.h"

namespace yq::quant {
namespace {

using ir::ValueId;
using testing::StemDepthwise;
using testing::stats_with;

QuantPolicy dw_int8(EqualizeDepthwise mode) {
  QuantPolicy p;
  p.quantize_depthwise = true;
  p.equalize_depthwise = mode;
  return p;
}

CalibOptions minmax() {
  CalibOptions o;
  o.method = CalibMethod::kMinMax;
  o.unsigned_if_nonnegative = false;
  return o;
}

ir::Graph without_qparams(ir::Graph g) {
  for (size_t v = 0; v < g.value_capacity(); ++v)
    if (g.value(static_cast<ValueId>(v)).alive()) g.value(static_cast<ValueId>(v)).qparams.reset();
  return g;
}

TEST(EqualizeDepthwise, LossyModeEqualizesWhatTheChannelLossRuleWouldKeepFloat) {
  StemDepthwise t;
  const QuantPolicy policy = dw_int8(EqualizeDepthwise::kLossy);
  auto plan = plan_quantization(t.b.g, policy);
  ASSERT_TRUE(plan.ok());
  // Channel 2 spans +-0.3 of a tensor spanning +-100: it rounds to zero per tensor.
  auto stats = stats_with(*plan, t.s, {100.f, 5.f, 0.3f, 50.f});
  std::vector<ChannelLoss> found;
  auto ruled = keep_channel_loss_float(t.b.g, policy, stats, minmax(), &found);
  ASSERT_TRUE(ruled.ok()) << ruled.status().message();
  EXPECT_TRUE(ruled->keep_float.empty());
  EXPECT_EQ(ruled->equalized_layers, std::set<std::string>{t.name(t.dw)});
  ASSERT_EQ(found.size(), 1u);
  EXPECT_TRUE(found[0].equalized);
  EXPECT_NE(describe_channel_loss(found[0]).find("equalized"), std::string::npos);

  auto plan2 = plan_quantization(t.b.g, *ruled);
  ASSERT_TRUE(plan2.ok());
  size_t equalized_groups = 0;
  for (size_t i = 0; i < plan2->groups.size(); ++i) {
    if (plan2->group_equalized[i] == ir::kNoNode) continue;
    ++equalized_groups;
    EXPECT_EQ(plan2->groups[i], std::vector<ValueId>{t.s});
    EXPECT_EQ(plan2->group_equalized[i], t.dw);
  }
  EXPECT_EQ(equalized_groups, 1u);

  ir::Graph g = t.b.g;
  const Tensor w_before = g.value(g.node(t.dw).input(1)).constant->clone();
  ASSERT_TRUE(apply_quantization(g, *plan2, stats, minmax()).ok());
  // The stem got factors T / max|x_c| (T = 100, minmax), the widest channel 1.
  const ir::Node& stem = g.node(t.stem);
  EXPECT_EQ(stem.op_type, "FusedConv");
  const Tensor* k = ir::constant_f32(g, stem.input(ir::kFusedConvChannelScaleInput));
  ASSERT_NE(k, nullptr);
  EXPECT_FLOAT_EQ(k->data<float>()[0], 1.f);
  EXPECT_FLOAT_EQ(k->data<float>()[1], 20.f);
  EXPECT_NEAR(k->data<float>()[2], 100.f / 0.3f, 1e-2);
  EXPECT_FLOAT_EQ(k->data<float>()[3], 2.f);
  ASSERT_TRUE(g.value(t.s).qparams);
  EXPECT_FLOAT_EQ(g.value(t.s).qparams->scales[0], 100.f / 127.f);
  // The depthwise weight is divided by the factors; its integer codes are unchanged.
  const ir::Value& w = g.value(g.node(t.dw).input(1));
  ASSERT_TRUE(w.qparams);
  Tensor q_before = quantize_tensor(w_before, per_channel_weight_qparams(w_before, 0));
  Tensor q_after = quantize_tensor(*w.constant, *w.qparams);
  ASSERT_EQ(q_before.numel(), q_after.numel());
  for (int64_t i = 0; i < q_before.numel(); ++i)
    EXPECT_EQ(q_before.data<int8_t>()[i], q_after.data<int8_t>()[i]) << "weight code " << i;
  // Without the quantization, the rewritten graph computes what the original did.
  YQ_REQUIRE_REF_KERNELS();
  ir::testing::expect_same_outputs(t.b.g, without_qparams(g), 1e-5);
}

TEST(EqualizeDepthwise, OffModeKeepsTheLossyLayerFloat) {
  StemDepthwise t;
  auto plan = plan_quantization(t.b.g, dw_int8(EqualizeDepthwise::kOff));
  ASSERT_TRUE(plan.ok());
  auto stats = stats_with(*plan, t.s, {100.f, 5.f, 0.3f, 50.f});
  auto ruled = keep_channel_loss_float(t.b.g, dw_int8(EqualizeDepthwise::kOff), stats, minmax());
  ASSERT_TRUE(ruled.ok());
  EXPECT_EQ(ruled->keep_float, std::set<std::string>{t.name(t.dw)});
  EXPECT_TRUE(ruled->equalized_layers.empty());
}

// With table activations the stem's SiLU was split off into an Activation node; equalizing its
// output folds it back into the conv (the factors come after the activation).
TEST(EqualizeDepthwise, FoldsATableActivationBackIntoItsConv) {
  StemDepthwise t("silu");
  QuantPolicy policy = dw_int8(EqualizeDepthwise::kAll);
  policy.table_activations = kTableActivations;
  ir::Graph g = t.b.g;
  auto split = split_activations(g, policy);
  ASSERT_TRUE(split.ok()) << split.status().message();
  ASSERT_EQ(*split, 1);
  ASSERT_EQ(ir::testing::count_ops(g, "Activation"), 1);
  auto plan = plan_quantization(g, policy);
  ASSERT_TRUE(plan.ok());
  // The pre-activation is not planned: the Activation folds back, no table reads it.
  for (size_t i = 0; i < plan->groups.size(); ++i) EXPECT_FALSE(plan->group_activations[i].has_value());
  auto stats = stats_with(*plan, t.s, {6.f, 0.5f, 0.2f, 3.f});
  ASSERT_TRUE(apply_quantization(g, *plan, stats, minmax()).ok());
  EXPECT_EQ(ir::testing::count_ops(g, "Activation"), 0);
  const ir::Node& stem = g.node(t.stem);
  EXPECT_EQ(stem.attrs.get_string("activation", ""), "silu");
  EXPECT_EQ(stem.output(0), t.s);
  EXPECT_NE(stem.input(ir::kFusedConvChannelScaleInput), ir::kNoValue);
  YQ_REQUIRE_REF_KERNELS();
  ir::testing::expect_same_outputs(t.b.g, without_qparams(g), 1e-5);
}

// X read by the depthwise conv and a 1x1 conv (YOLOv6Lite-S's stride-2 blocks): both readers'
// weights take the division, the 1x1 conv by input channel; the float function is the same.
TEST(EqualizeDepthwise, EveryConvReadingTheInputTakesTheDivision) {
  StemDepthwise t;
  const ir::ValueId side = t.b.conv(t.s, 3, 1);
  const ir::NodeId side_conv = t.b.last;
  t.b.output(side);
  auto site = equalization_site(t.b.g, t.b.g.node(t.dw));
  ASSERT_TRUE(site.has_value());
  EXPECT_EQ(site->readers.size(), 2u);
  const QuantPolicy policy = dw_int8(EqualizeDepthwise::kAll);
  auto plan = plan_quantization(t.b.g, policy);
  ASSERT_TRUE(plan.ok());
  auto stats = stats_with(*plan, t.s, {100.f, 5.f, 0.3f, 50.f});
  ir::Graph g = t.b.g;
  const Tensor before = g.value(g.node(side_conv).input(1)).constant->clone();
  ASSERT_TRUE(apply_quantization(g, *plan, stats, minmax()).ok());
  const ir::Value& after = g.value(g.node(side_conv).input(1));
  ASSERT_TRUE(after.qparams.has_value());
  // [3, 4, 1, 1]: input channel 1 divided by 20 (T = 100 over max 5), channel 0 unchanged.
  EXPECT_FLOAT_EQ(after.constant->data<float>()[0], before.data<float>()[0]);
  EXPECT_FLOAT_EQ(after.constant->data<float>()[1], before.data<float>()[1] / 20.f);
  YQ_REQUIRE_REF_KERNELS();
  ir::testing::expect_same_outputs(t.b.g, without_qparams(g), 1e-5);
}

// Not eligible: another reader that cannot take the division (a Relu).
TEST(EqualizeDepthwise, AnInputWithANonConvReaderIsNotASite) {
  StemDepthwise t;
  t.b.output(t.b.unary("Relu", t.s));
  EXPECT_FALSE(equalization_site(t.b.g, t.b.g.node(t.dw)).has_value());
}

// Not eligible: the depthwise input is a graph output.
TEST(EqualizeDepthwise, AGraphOutputIsNotASite) {
  StemDepthwise t;
  t.b.output(t.s);
  EXPECT_FALSE(equalization_site(t.b.g, t.b.g.node(t.dw)).has_value());
  StemDepthwise u;
  auto site = equalization_site(u.b.g, u.b.g.node(u.dw));
  ASSERT_TRUE(site.has_value());
  ASSERT_EQ(site->pieces.size(), 1u);
  EXPECT_EQ(site->pieces[0].producer, u.stem);
  EXPECT_EQ(site->input, u.s);
  EXPECT_EQ(site->concat, ir::kNoNode);
}

// x -> conv A (2 ch, SiLU) -> a, x -> conv B (2 ch) -> b, Concat(a, b) -> s -> depthwise -> 1x1:
// YOLOv6Lite-S's stride-2 block. Each conv takes the factors of its own channels of s.
struct ConcatDepthwise {
  ir::testing::GraphBuilder b{12};
  ir::ValueId x, a, c, s;
  ir::NodeId conv_a, conv_b, concat, dw;
  ConcatDepthwise() {
    x = b.input("x", {1, 3, 8, 8});
    a = b.conv(x, 2, 3, 1, 1);
    conv_a = b.last;
    ir::make_fused_conv(b.g, conv_a);
    b.g.node(conv_a).attrs.set("activation", std::string("silu"));
    c = b.conv(x, 2, 1);
    conv_b = b.last;
    ir::Attributes axis;
    axis.set("axis", int64_t{1});
    s = b.node("Concat", {a, c}, {1, 4, 8, 8}, axis);
    concat = b.last;
    const ir::ValueId d = b.conv(s, 4, 3, 1, 1, /*group=*/4);
    dw = b.last;
    b.output(b.conv(d, 2, 1));
  }
};

TEST(EqualizeDepthwise, AConcatOfConvsGivesEachConvTheFactorsOfItsChannels) {
  ConcatDepthwise t;
  auto site = equalization_site(t.b.g, t.b.g.node(t.dw));
  ASSERT_TRUE(site.has_value());
  EXPECT_EQ(site->concat, t.concat);
  ASSERT_EQ(site->pieces.size(), 2u);
  EXPECT_EQ(site->pieces[0].producer, t.conv_a);
  EXPECT_EQ(site->pieces[1].producer, t.conv_b);
  EXPECT_EQ(site->pieces[1].offset, 2);
  EXPECT_EQ(site->pieces[1].channels, 2);

  const QuantPolicy policy = dw_int8(EqualizeDepthwise::kAll);
  auto plan = plan_quantization(t.b.g, policy);
  ASSERT_TRUE(plan.ok());
  // The Concat ties a, b and s into one group, equalized for the depthwise conv.
  size_t equalized_groups = 0;
  for (size_t i = 0; i < plan->groups.size(); ++i) {
    if (plan->group_equalized[i] == ir::kNoNode) continue;
    ++equalized_groups;
    EXPECT_EQ(plan->group_equalized[i], t.dw);
    std::vector<ValueId> want{t.a, t.c, t.s};
    std::sort(want.begin(), want.end());
    EXPECT_EQ(plan->groups[i], want);
  }
  EXPECT_EQ(equalized_groups, 1u);
  // Channel maxima of s {100, 5, 0.3, 50}; a and b (2 channels each) alike, every other value 1..4.
  std::map<ValueId, TensorStats> stats;
  for (ValueId v : plan->activations) {
    std::vector<float> cmax{1.f, 2.f, 3.f, 4.f};
    if (v == t.s) cmax = {100.f, 5.f, 0.3f, 50.f};
    if (v == t.a) cmax = {100.f, 5.f};
    if (v == t.c) cmax = {0.3f, 50.f};
    std::vector<float> xs;
    for (float m : cmax) xs.insert(xs.end(), {-m, 0.5f * m, m, 0.f});
    stats[v].observe_channels(xs, static_cast<int64_t>(cmax.size()), 4);
  }
  ir::Graph g = t.b.g;
  ASSERT_TRUE(apply_quantization(g, *plan, stats, minmax()).ok());
  const Tensor* ka = ir::constant_f32(g, g.node(t.conv_a).input(ir::kFusedConvChannelScaleInput));
  const Tensor* kb = ir::constant_f32(g, g.node(t.conv_b).input(ir::kFusedConvChannelScaleInput));
  ASSERT_NE(ka, nullptr);
  ASSERT_NE(kb, nullptr);
  EXPECT_FLOAT_EQ(ka->data<float>()[0], 1.f);
  EXPECT_FLOAT_EQ(ka->data<float>()[1], 20.f);
  EXPECT_NEAR(kb->data<float>()[0], 100.f / 0.3f, 1e-2);
  EXPECT_FLOAT_EQ(kb->data<float>()[1], 2.f);
  YQ_REQUIRE_REF_KERNELS();
  ir::testing::expect_same_outputs(t.b.g, without_qparams(g), 1e-5);
}

// Not eligible: a piece of the Concat has another reader.
TEST(EqualizeDepthwise, AConcatPieceWithTwoReadersIsNotASite) {
  ConcatDepthwise t;
  t.b.output(t.c);
  EXPECT_FALSE(equalization_site(t.b.g, t.b.g.node(t.dw)).has_value());
}

}  // namespace
}  // namespace yq::quant
