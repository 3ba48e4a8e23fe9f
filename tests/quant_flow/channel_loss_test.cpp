// SPDX-License-Identifier: Apache-2.0
// quant/channel_loss: the rule that keeps a layer float when per-tensor quantization of its input
// would round a whole channel to zero, on small graphs built in code with planted channel ranges.
#include <gtest/gtest.h>

#include "quant/calibrate.h"
#include "quant/channel_loss.h"
#include "quant/policy.h"
#include "tests/ir_passes/pass_test_util.h"
#include "tests/quant_flow/stem_depthwise.h"

namespace yq::quant {
namespace {

using ir::ValueId;
using testing::StemDepthwise;
using testing::stats_with;

// The rule is about layers that are quantized: depthwise convs are float by default, so these
// tests opt them in.
QuantPolicy dw_int8() {
  QuantPolicy p;
  p.quantize_depthwise = true;
  return p;
}

CalibOptions minmax() {
  CalibOptions o;
  o.method = CalibMethod::kMinMax;
  return o;
}

TEST(ChannelLoss, NarrowChannelKeepsItsConsumerFloat) {
  StemDepthwise t;
  auto plan = plan_quantization(t.b.g, dw_int8());
  ASSERT_TRUE(plan.ok());
  // Channel 2 of the stem output spans +-0.3 while the tensor spans +-100: scale 100/127 = 0.787,
  // half an LSB 0.39 > 0.3, so channel 2 rounds to zero everywhere; the depthwise conv's output 2
  // sees only that channel, so 0.3 * sum|w| is far above the rounding noise 0.787/sqrt(12) * ||w||.
  auto stats = stats_with(*plan, t.s, {100.f, 5.f, 0.3f, 50.f});
  std::vector<ChannelLoss> found;
  auto p = keep_channel_loss_float(t.b.g, dw_int8(), stats, minmax(), &found);
  ASSERT_TRUE(p.ok()) << p.status().message();
  EXPECT_EQ(p->keep_float, std::set<std::string>{t.name(t.dw)});
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].layer, t.name(t.dw));
  EXPECT_EQ(found[0].value, t.b.g.value(t.s).name);
  EXPECT_EQ(found[0].channel, 2);
  EXPECT_EQ(found[0].lost_channels, 1);
  EXPECT_EQ(found[0].channels, 4);
  EXPECT_FLOAT_EQ(found[0].scale, 100.f / 127.f);
  EXPECT_NE(describe_channel_loss(found[0]).find("channel 2 of 4"), std::string::npos) << describe_channel_loss(found[0]);
  // The plan that follows leaves the stem output float (its only reader is float now).
  auto plan2 = plan_quantization(t.b.g, *p);
  ASSERT_TRUE(plan2.ok());
  EXPECT_EQ(std::count(plan2->activations.begin(), plan2->activations.end(), t.s), 0);
  EXPECT_EQ(std::count(plan2->activations.begin(), plan2->activations.end(), t.d), 1);
}

TEST(ChannelLoss, ChannelsAboveHalfAnLsbAndDeadChannelsAreNotLost) {
  StemDepthwise t;
  auto plan = plan_quantization(t.b.g, dw_int8());
  ASSERT_TRUE(plan.ok());
  // 0.4 > 0.787 / 2: channel 2 keeps one level. Channel 3 is a near-dead channel (max 1e-6): it
  // rounds to zero, but what it adds is far below the rounding noise, so it is not lost.
  auto stats = stats_with(*plan, t.s, {100.f, 5.f, 0.4f, 1e-6f});
  std::vector<ChannelLoss> found;
  auto p = keep_channel_loss_float(t.b.g, dw_int8(), stats, minmax(), &found);
  ASSERT_TRUE(p.ok());
  EXPECT_TRUE(p->keep_float.empty());
  EXPECT_TRUE(found.empty());
}

TEST(ChannelLoss, TheRuleCanBeSwitchedOffAndNeedsChannelStatistics) {
  StemDepthwise t;
  auto plan = plan_quantization(t.b.g, dw_int8());
  ASSERT_TRUE(plan.ok());
  auto stats = stats_with(*plan, t.s, {100.f, 5.f, 0.3f, 50.f});
  QuantPolicy off = dw_int8();
  off.float_on_channel_loss = false;
  auto p = keep_channel_loss_float(t.b.g, off, stats, minmax());
  ASSERT_TRUE(p.ok());
  EXPECT_TRUE(p->keep_float.empty());

  // The same values observed without a channel layout: nothing to judge, nothing kept float.
  std::map<ValueId, TensorStats> flat;
  for (const auto& [v, st] : stats) {
    (void)st;
    flat[v].observe(std::vector<float>{-100.f, 0.1f, 100.f});
  }
  auto q = keep_channel_loss_float(t.b.g, dw_int8(), flat, minmax());
  ASSERT_TRUE(q.ok());
  EXPECT_TRUE(q->keep_float.empty());
}

TEST(ChannelLoss, MissingStatisticsNameTheValue) {
  StemDepthwise t;
  auto p = keep_channel_loss_float(t.b.g, dw_int8(), {}, minmax());
  ASSERT_FALSE(p.ok());
  EXPECT_NE(p.status().message().find("no statistics for value"), std::string::npos) << p.status().message();
}

}  // namespace
}  // namespace yq::quant
