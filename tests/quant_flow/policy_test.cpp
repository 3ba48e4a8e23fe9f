// SPDX-License-Identifier: Apache-2.0
// quant/policy (plan_quantization, apply_quantization) and ir/passes/unify_scales on small graphs
// built in code.
#include <gtest/gtest.h>

#include <algorithm>

#include "ir/passes/unify_scales.h"
#include "quant/policy.h"
#include "quant/qmath.h"
#include "tests/ir_passes/pass_test_util.h"

namespace yq::quant {
namespace {

using ir::ValueId;
using ir::testing::GraphBuilder;

bool contains(const std::vector<ValueId>& v, ValueId x) { return std::find(v.begin(), v.end(), x) != v.end(); }

const std::vector<ValueId>* group_of(const QuantPlan& p, ValueId v) {
  for (const auto& g : p.groups) {
    if (contains(g, v)) return &g;
  }
  return nullptr;
}

// Statistics that make each value's range distinct: value i spans [-(i+1), i+1].
std::map<ValueId, TensorStats> distinct_stats(const QuantPlan& plan) {
  std::map<ValueId, TensorStats> stats;
  for (ValueId v : plan.activations) {
    const float r = static_cast<float>(v + 1);
    std::vector<float> xs = {-r, 0.25f * r, r};
    stats[v].observe(xs);
  }
  return stats;
}

CalibOptions minmax() {
  CalibOptions o;
  o.method = CalibMethod::kMinMax;
  return o;
}

// x -> conv a, conv b -> Concat -> conv c -> Sigmoid -> output
struct ConcatGraph {
  GraphBuilder b{7};
  ValueId x, a, bb, cat, c, sig;
  ir::NodeId conv_a, conv_b, conv_c, concat, sigmoid;
  ConcatGraph() {
    x = b.input("x", {1, 3, 8, 8});
    a = b.conv(x, 4, 3, 1, 1);
    conv_a = b.last;
    bb = b.conv(x, 4, 3, 1, 1);
    conv_b = b.last;
    ir::Attributes at;
    at.set("axis", int64_t{1});
    cat = b.node("Concat", {a, bb}, {1, 8, 8, 8}, at);
    concat = b.last;
    c = b.conv(cat, 2, 1);
    conv_c = b.last;
    sig = b.unary("Sigmoid", c);
    sigmoid = b.last;
    b.output(sig);
  }
};

TEST(QuantPolicy, ConcatOfTwoConvsSharesOneScale) {
  ConcatGraph t;
  auto plan = plan_quantization(t.b.g, QuantPolicy{});
  ASSERT_TRUE(plan.ok()) << plan.status().message();
  const auto* grp = group_of(*plan, t.cat);
  ASSERT_NE(grp, nullptr);
  EXPECT_TRUE(contains(*grp, t.a));
  EXPECT_TRUE(contains(*grp, t.bb));
  EXPECT_EQ(grp->size(), 3u);
  EXPECT_EQ(plan->compute_nodes.size(), 3u);
  EXPECT_EQ(plan->weights.size(), 3u);

  ASSERT_TRUE(apply_quantization(t.b.g, *plan, distinct_stats(*plan), minmax()).ok());
  const auto& qa = t.b.g.value(t.a).qparams;
  ASSERT_TRUE(qa.has_value());
  EXPECT_EQ(qa->scales, t.b.g.value(t.bb).qparams->scales);
  EXPECT_EQ(qa->scales, t.b.g.value(t.cat).qparams->scales);
  // The merged range covers every member: the widest member decides.
  const float widest = static_cast<float>(std::max({t.a, t.bb, t.cat}) + 1);
  EXPECT_FLOAT_EQ(qa->scales[0], symmetric_qparams(widest).scales[0]);
  // The input of conv a/b is its own group, quantized.
  ASSERT_TRUE(t.b.g.value(t.x).qparams.has_value());
  // Weights: per channel on axis 0.
  const ValueId w = t.b.g.node(t.conv_a).input(1);
  ASSERT_TRUE(t.b.g.value(w).qparams.has_value());
  EXPECT_EQ(t.b.g.value(w).qparams->axis, 0);
  EXPECT_EQ(t.b.g.value(w).qparams->scales.size(), 4u);
  // Bias stays f32 without qparams.
  EXPECT_FALSE(t.b.g.value(t.b.g.node(t.conv_a).input(2)).qparams.has_value());
}

TEST(QuantPolicy, HeadAfterTheLastComputeOpStaysFloat) {
  ConcatGraph t;
  auto plan = plan_quantization(t.b.g, QuantPolicy{});
  ASSERT_TRUE(plan.ok());
  EXPECT_TRUE(plan->head_nodes.count(t.sigmoid));
  EXPECT_FALSE(plan->head_nodes.count(t.concat));  // it feeds conv c
  EXPECT_EQ(group_of(*plan, t.c), nullptr);        // the last conv's output feeds only the head
  EXPECT_EQ(group_of(*plan, t.sig), nullptr);
}

TEST(QuantPolicy, HeadConcatTiesNothingUnlessAskedTo) {
  // x -> conv a, conv b -> Concat -> output (a YOLOX-style final concat of head convs), and a
  // third conv reading a so that a is quantized.
  GraphBuilder b(3);
  const ValueId x = b.input("x", {1, 3, 8, 8});
  const ValueId a = b.conv(x, 4, 3, 1, 1);
  const ValueId bb = b.conv(x, 4, 3, 1, 1);
  ir::Attributes at;
  at.set("axis", int64_t{1});
  const ValueId cat = b.node("Concat", {a, bb}, {1, 8, 8, 8}, at);
  const ir::NodeId concat = b.last;
  const ValueId d = b.conv(a, 2, 1);
  b.output(cat);
  b.output(d);
  auto plan = plan_quantization(b.g, QuantPolicy{});
  ASSERT_TRUE(plan.ok());
  EXPECT_TRUE(plan->head_nodes.count(concat));
  ASSERT_NE(group_of(*plan, a), nullptr);
  EXPECT_EQ(group_of(*plan, a)->size(), 1u);  // not tied to bb / cat through the head Concat
  EXPECT_EQ(group_of(*plan, cat), nullptr);
  EXPECT_EQ(group_of(*plan, bb), nullptr);

  QuantPolicy all;
  all.keep_head_float = false;
  auto plan2 = plan_quantization(b.g, all);
  ASSERT_TRUE(plan2.ok());
  EXPECT_TRUE(plan2->head_nodes.empty());
  ASSERT_NE(group_of(*plan2, cat), nullptr);
  EXPECT_EQ(group_of(*plan2, cat)->size(), 3u);
}

TEST(QuantPolicy, KeepFloatLeavesTheNodeFloat) {
  ConcatGraph t;
  QuantPolicy p;
  p.keep_float = {t.b.g.node(t.conv_c).name};
  auto plan = plan_quantization(t.b.g, p);
  ASSERT_TRUE(plan.ok());
  EXPECT_FALSE(std::count(plan->compute_nodes.begin(), plan->compute_nodes.end(), t.conv_c));
  // Nobody reads the concat quantized any more, so the whole group stays float.
  EXPECT_EQ(group_of(*plan, t.cat), nullptr);
  EXPECT_EQ(group_of(*plan, t.a), nullptr);
  ASSERT_TRUE(apply_quantization(t.b.g, *plan, distinct_stats(*plan), minmax()).ok());
  EXPECT_FALSE(t.b.g.value(t.b.g.node(t.conv_c).input(1)).qparams.has_value());
  EXPECT_FALSE(t.b.g.value(t.cat).qparams.has_value());
  EXPECT_TRUE(t.b.g.value(t.x).qparams.has_value());  // conv a and b still quantized

  p.keep_float = {"no_such_node"};
  auto bad = plan_quantization(t.b.g, p);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("no_such_node"), std::string::npos);
}

TEST(QuantPolicy, DepthwiseConvsStayFloatUnlessAsked) {
  GraphBuilder b(13);
  const ValueId x = b.input("x", {1, 3, 8, 8});
  const ValueId s = b.conv(x, 4, 3, 1, 1);
  const ValueId d = b.conv(s, 4, 3, 1, 1, /*group=*/4);
  const ir::NodeId dw = b.last;
  const ValueId gc = b.conv(d, 4, 3, 1, 1, /*group=*/2);  // grouped, not depthwise
  const ir::NodeId grouped = b.last;
  b.output(b.conv(gc, 2, 1));
  EXPECT_TRUE(is_depthwise_conv(b.g, b.g.node(dw)));
  EXPECT_FALSE(is_depthwise_conv(b.g, b.g.node(grouped)));
  auto plan = plan_quantization(b.g, QuantPolicy{});
  ASSERT_TRUE(plan.ok());
  EXPECT_EQ(std::count(plan->compute_nodes.begin(), plan->compute_nodes.end(), dw), 0);
  EXPECT_EQ(std::count(plan->compute_nodes.begin(), plan->compute_nodes.end(), grouped), 1);
  EXPECT_EQ(group_of(*plan, s), nullptr);  // only the float depthwise conv reads it
  ASSERT_NE(group_of(*plan, d), nullptr);  // the grouped conv reads it quantized
  QuantPolicy all;
  all.quantize_depthwise = true;
  auto plan2 = plan_quantization(b.g, all);
  ASSERT_TRUE(plan2.ok());
  EXPECT_EQ(std::count(plan2->compute_nodes.begin(), plan2->compute_nodes.end(), dw), 1);
  EXPECT_NE(group_of(*plan2, s), nullptr);
}

TEST(QuantPolicy, MaxPoolInputAndOutputShare) {
  GraphBuilder b(5);
  const ValueId x = b.input("x", {1, 3, 8, 8});
  const ValueId a = b.conv(x, 4, 3, 1, 1);
  ir::Attributes at;
  at.set("kernel_shape", std::vector<int64_t>{2, 2});
  at.set("strides", std::vector<int64_t>{2, 2});
  const ValueId m = b.node("MaxPool", {a}, {1, 4, 4, 4}, at);
  b.output(b.conv(m, 2, 1));
  auto plan = plan_quantization(b.g, QuantPolicy{});
  ASSERT_TRUE(plan.ok());
  ASSERT_NE(group_of(*plan, m), nullptr);
  EXPECT_TRUE(contains(*group_of(*plan, m), a));
}

TEST(QuantPolicy, AsymmetricU8) {
  ConcatGraph t;
  QuantPolicy p;
  p.asymmetric_u8 = true;
  auto plan = plan_quantization(t.b.g, p);
  ASSERT_TRUE(plan.ok());
  ASSERT_TRUE(apply_quantization(t.b.g, *plan, distinct_stats(*plan), minmax()).ok());
  EXPECT_EQ(t.b.g.value(t.x).qparams->dtype, DType::kU8);
  // Weights stay symmetric int8.
  EXPECT_EQ(t.b.g.value(t.b.g.node(t.conv_a).input(1)).qparams->dtype, DType::kI8);
}

TEST(QuantPolicy, GroupQParamsCacheGivesTheSameQParamsOncePerGroupAndOptions) {
  ConcatGraph t;
  auto plan = plan_quantization(t.b.g, QuantPolicy{});
  ASSERT_TRUE(plan.ok());
  const auto stats = distinct_stats(*plan);
  ir::Graph plain = t.b.g, cached = t.b.g;
  GroupQParamsCache cache;
  ASSERT_TRUE(apply_quantization(plain, *plan, stats, minmax()).ok());
  ASSERT_TRUE(apply_quantization(cached, *plan, stats, minmax(), &cache).ok());
  EXPECT_EQ(cache.size(), plan->groups.size());
  for (ValueId v : plan->activations) {
    ASSERT_TRUE(cached.value(v).qparams.has_value());
    EXPECT_EQ(cached.value(v).qparams->scales, plain.value(v).qparams->scales);
  }
  // A second plan from the same statistics hits the memo; other options are another entry.
  ASSERT_TRUE(apply_quantization(cached, *plan, stats, minmax(), &cache).ok());
  EXPECT_EQ(cache.size(), plan->groups.size());
  CalibOptions pct;
  pct.method = CalibMethod::kPercentile;
  pct.percentile = 90.0;
  auto a = calibrate_group(t.b.g, plan->groups[0], stats, pct, &cache);
  auto b = calibrate_group(t.b.g, plan->groups[0], stats, pct);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a->scales, b->scales);
  EXPECT_EQ(cache.size(), plan->groups.size() + 1);
}

TEST(QuantPolicy, MissingStatsNameTheValue) {
  ConcatGraph t;
  auto plan = plan_quantization(t.b.g, QuantPolicy{});
  ASSERT_TRUE(plan.ok());
  Status st = apply_quantization(t.b.g, *plan, {}, minmax());
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("no statistics for value"), std::string::npos) << st.message();
}

// unify_scales on a graph whose Concat inputs were quantized independently (as an imported QDQ
// model may be): every tied value ends with the widest scale.
TEST(UnifyScales, ConcatInputsTakeTheWidestScale) {
  ConcatGraph t;
  ir::Graph& g = t.b.g;
  g.value(t.a).qparams = *ir::QParams::per_tensor(0.02f, 0);
  g.value(t.bb).qparams = *ir::QParams::per_tensor(0.05f, 0);
  g.value(t.cat).qparams = *ir::QParams::per_tensor(0.03f, 0);
  g.value(t.c).qparams = *ir::QParams::per_tensor(0.5f, 0);  // not tied to the concat
  ir::UnifyScales pass;
  EXPECT_TRUE(pass.match(g, t.concat));
  auto n = ir::unify_scales(g);
  ASSERT_TRUE(n.ok()) << n.status().message();
  EXPECT_EQ(*n, 1);
  for (ValueId v : {t.a, t.bb, t.cat}) EXPECT_FLOAT_EQ(g.value(v).qparams->scales[0], 0.05f);
  EXPECT_FLOAT_EQ(g.value(t.c).qparams->scales[0], 0.5f);
  EXPECT_FALSE(pass.match(g, t.concat));  // idempotent
  EXPECT_EQ(*ir::unify_scales(g), 0);
}

TEST(UnifyScales, AsymmetricRangesAreUnited) {
  ConcatGraph t;
  ir::Graph& g = t.b.g;
  // a covers [-1, 1.55] roughly, bb covers [0, 5.1]: the union is [-1, 5.1].
  g.value(t.a).qparams = *ir::QParams::per_tensor(0.01f, 100, DType::kU8);
  g.value(t.bb).qparams = *ir::QParams::per_tensor(0.02f, 0, DType::kU8);
  ASSERT_TRUE(ir::unify_scales(g).ok());
  const ir::QParams& q = *g.value(t.a).qparams;
  EXPECT_EQ(g.value(t.bb).qparams->scales, q.scales);
  EXPECT_EQ(g.value(t.bb).qparams->zero_points, q.zero_points);
  const double lo = (q.qmin - q.zero_points[0]) * static_cast<double>(q.scales[0]);
  const double hi = (q.qmax - q.zero_points[0]) * static_cast<double>(q.scales[0]);
  EXPECT_LE(lo, -1.0 + q.scales[0]);  // within one step: the zero point is rounded
  EXPECT_GE(hi, 5.1 - q.scales[0]);
  EXPECT_FALSE(g.value(t.cat).qparams.has_value());  // values without qparams stay float

  g.value(t.cat).qparams = *ir::QParams::per_tensor(0.02f, 0, DType::kI8);
  auto mixed = ir::unify_scales(g);
  ASSERT_FALSE(mixed.ok());
  EXPECT_NE(mixed.status().message().find(g.node(t.concat).name), std::string::npos);
}

}  // namespace
}  // namespace yq::quant
