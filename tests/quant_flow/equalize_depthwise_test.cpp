// SPDX-License-Identifier: Apache-2.0
// quant/equalize_depthwise: the channel-loss rule equalizes instead of keeping float (kLossy),
// the rewrite computes the same function in float, gives every channel of the depthwise input the
// full range, keeps the depthwise conv's integer weights, and folds a table activation back.
#include "quant/equalize_depthwise.h"

#include <gtest/gtest.h>

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

// Not eligible: the depthwise input has another reader.
TEST(EqualizeDepthwise, AnInputWithTwoReadersIsNotASite) {
  StemDepthwise t;
  t.b.output(t.s);
  EXPECT_FALSE(equalization_site(t.b.g, t.b.g.node(t.dw)).has_value());
  StemDepthwise u;
  auto site = equalization_site(u.b.g, u.b.g.node(u.dw));
  ASSERT_TRUE(site.has_value());
  EXPECT_EQ(site->producer, u.stem);
  EXPECT_EQ(site->input, u.s);
}

}  // namespace
}  // namespace yq::quant
