// SPDX-License-Identifier: Apache-2.0
// quant/split_activations and the policy's rule for the pre-activations it creates, on small
// graphs built in code; and the activation-aware threshold those pre-activations get.
#include "quant/split_activations.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <random>

#include "ir/passes/pattern_utils.h"
#include "quant/calibrator.h"
#include "quant/qmath.h"
#include "quant/sensitivity.h"
#include "tests/ir_passes/pass_test_util.h"
#include "tests/quant_flow/fused_graph.h"

namespace yq::quant {
namespace {

using ir::NodeId;
using ir::ValueId;
using ir::testing::count_ops;
using ir::testing::GraphBuilder;

using testing::FusedGraph;

QuantPolicy tables() {  // --table-activations
  QuantPolicy p;
  p.table_activations = kTableActivations;
  return p;
}

const std::vector<ValueId>* group_of(const QuantPlan& p, ValueId v, size_t* index) {
  for (size_t i = 0; i < p.groups.size(); ++i) {
    if (std::find(p.groups[i].begin(), p.groups[i].end(), v) != p.groups[i].end()) {
      *index = i;
      return &p.groups[i];
    }
  }
  return nullptr;
}

TEST(SplitActivations, AQuantizedSiluConvGetsAnActivationOverItsOwnQuantizedPreActivation) {
  FusedGraph t("silu");
  auto n = split_activations(t.b.g, tables());
  ASSERT_TRUE(n.ok()) << n.status().message();
  EXPECT_EQ(*n, 1);
  ASSERT_TRUE(t.b.g.verify().ok()) << t.b.g.verify().message();
  const ir::Node& conv = t.b.g.node(t.fused);
  EXPECT_EQ(conv.attrs.get_string("activation", "?"), "");
  const ValueId pre = conv.output(0);
  EXPECT_NE(pre, t.y);
  const ir::Node* act = t.b.g.producer_of(t.y);
  ASSERT_NE(act, nullptr);
  EXPECT_TRUE(ir::is_activation_node(*act));
  EXPECT_EQ(act->attrs.get_string("activation", ""), "silu");
  EXPECT_EQ(act->input(0), pre);

  auto plan = plan_quantization(t.b.g, tables());
  ASSERT_TRUE(plan.ok());
  size_t gi = 0;
  const auto* grp = group_of(*plan, pre, &gi);
  ASSERT_NE(grp, nullptr) << "the pre-activation is not quantized";
  EXPECT_EQ(grp->size(), 1u);
  ASSERT_TRUE(plan->group_activations[gi].has_value());
  EXPECT_EQ(plan->group_activations[gi]->first, "silu");
  size_t yi = 0;
  ASSERT_NE(group_of(*plan, t.y, &yi), nullptr);
  EXPECT_FALSE(plan->group_activations[yi].has_value());
  // Same function as before the split.
  YQ_REQUIRE_REF_KERNELS();
  FusedGraph before("silu");
  ir::testing::expect_same_outputs(before.b.g, t.b.g, 1e-6);
}

TEST(SplitActivations, LeavesConvsWithoutATableActivationOrAQuantizedOutput) {
  {
    FusedGraph t("relu");  // cheap in oneDNN's epilogue: not in table_activations
    EXPECT_EQ(*split_activations(t.b.g, tables()), 0);
  }
  {
    // The last conv's output is the graph output (the head): nobody reads it quantized.
    GraphBuilder b(42);
    const ValueId x = b.input("x", {1, 4, 6, 6});
    const ValueId y = b.conv(x, 4, 3, 1, 1);
    ir::make_fused_conv(b.g, b.last);
    b.g.node(b.last).attrs.set("activation", std::string("silu"));
    b.output(y);
    EXPECT_EQ(*split_activations(b.g, tables()), 0);
  }
  {
    FusedGraph t("silu");
    EXPECT_EQ(*split_activations(t.b.g, QuantPolicy{}), 0);  // the default: activations stay fused
    EXPECT_EQ(count_ops(t.b.g, "Activation"), 0);
  }
}

// A residual conv (y = silu(conv(x)) + x) splits into conv -> t -> Activation -> a -> Add(a, x):
// t is a table input (activation-aware), x and y are quantized, a stays float (the engine runs
// table and add as one pass), and the function is unchanged.
TEST(SplitActivations, AResidualSiluConvSplitsIntoATableAndAnAdd) {
  FusedGraph t("silu", 0.f, 0.f, /*residual=*/true);
  auto n = split_activations(t.b.g, tables());
  ASSERT_TRUE(n.ok()) << n.status().message();
  EXPECT_EQ(*n, 1);
  ASSERT_TRUE(t.b.g.verify().ok()) << t.b.g.verify().message();
  const ir::Node& conv = t.b.g.node(t.fused);
  EXPECT_FALSE(ir::has_residual(conv));
  EXPECT_EQ(conv.attrs.get_string("activation", "?"), "");
  const ValueId pre = conv.output(0);
  const ir::Node* add = t.b.g.producer_of(t.y);
  ASSERT_NE(add, nullptr);
  EXPECT_EQ(add->op_type, "Add");
  const ir::Node* act = t.b.g.producer_of(add->input(0));
  ASSERT_NE(act, nullptr);
  EXPECT_TRUE(ir::is_activation_node(*act));
  EXPECT_EQ(act->input(0), pre);
  EXPECT_EQ(add->input(1), t.x);
  const auto residual = ir::residual_add_after(t.b.g, act->output(0));
  ASSERT_TRUE(residual.has_value());
  EXPECT_EQ(residual->residual, t.x);
  EXPECT_EQ(residual->add, add->id);
  // The layer's output in every configuration (a float layer refuses the Activation and the Add).
  EXPECT_EQ(block_output(t.b.g, conv), t.y);

  auto plan = plan_quantization(t.b.g, tables());
  ASSERT_TRUE(plan.ok());
  size_t gi = 0;
  ASSERT_NE(group_of(*plan, pre, &gi), nullptr) << "the pre-activation is not quantized";
  ASSERT_TRUE(plan->group_activations[gi].has_value());
  EXPECT_EQ(plan->group_activations[gi]->first, "silu");
  EXPECT_NE(group_of(*plan, t.x, &gi), nullptr);
  EXPECT_NE(group_of(*plan, t.y, &gi), nullptr);
  EXPECT_EQ(group_of(*plan, add->input(0), &gi), nullptr) << "the activation's output is quantized";
  YQ_REQUIRE_REF_KERNELS();
  FusedGraph before("silu", 0.f, 0.f, /*residual=*/true);
  ir::testing::expect_same_outputs(before.b.g, t.b.g, 1e-6);
}

// The one-float sweep the --max-drop search ranks layers with, over a split residual conv: each
// configuration's graph must still compute the layer's output (its block output is the Add's,
// which the float configuration writes from the refused FusedConv).
TEST(SplitActivations, OneFloatSweepScoresASplitResidualLayer) {
  YQ_REQUIRE_REF_KERNELS();
  FusedGraph t("silu", 0.f, 0.f, /*residual=*/true);
  ASSERT_EQ(*split_activations(t.b.g, tables()), 1);
  std::vector<std::vector<Tensor>> inputs;
  std::mt19937 rng(5);
  std::uniform_real_distribution<float> d(-1.f, 1.f);
  for (int s = 0; s < 2; ++s) {
    Tensor in = Tensor::empty(DType::kF32, {1, 4, 6, 6});
    for (int64_t i = 0; i < in.numel(); ++i) in.data<float>()[i] = d(rng);
    inputs.push_back({in});
  }
  auto plan = plan_quantization(t.b.g, tables());
  ASSERT_TRUE(plan.ok());
  auto stats = collect_stats_for_inputs(t.b.g, plan->activations, inputs, 1);
  ASSERT_TRUE(stats.ok()) << stats.status().message();
  SensitivityOptions o;
  o.mode = SensitivityMode::kOneFloat;
  o.metric = SensitivityMetric::kSqnr;
  o.threads = 1;
  o.progress = false;
  CalibOptions calib;
  calib.method = CalibMethod::kMinMax;
  auto rep = analyze_sensitivity(t.b.g, tables(), *stats, calib, inputs, o);
  ASSERT_TRUE(rep.ok()) << rep.status().message();
  EXPECT_EQ(rep->layers.size(), 2u);
}

// Kept float, the split residual conv gets its activation and its residual back: one FusedConv.
TEST(SplitActivations, AFloatResidualLayerGetsItsActivationAndItsResidualBack) {
  FusedGraph t("silu", 0.f, 0.f, /*residual=*/true);
  ASSERT_EQ(*split_activations(t.b.g, tables()), 1);
  QuantPolicy keep = tables();
  keep.keep_float.insert(t.b.g.node(t.fused).name);
  auto plan = plan_quantization(t.b.g, keep);
  ASSERT_TRUE(plan.ok());
  size_t gi = 0;
  EXPECT_EQ(group_of(*plan, t.b.g.node(t.fused).output(0), &gi), nullptr);
  auto folded = refuse_float_activations(t.b.g);
  ASSERT_TRUE(folded.ok());
  EXPECT_EQ(*folded, 1);
  EXPECT_EQ(count_ops(t.b.g, "Activation"), 0);
  EXPECT_EQ(count_ops(t.b.g, "Add"), 0);
  const ir::Node& conv = t.b.g.node(t.fused);
  EXPECT_EQ(conv.attrs.get_string("activation", ""), "silu");
  EXPECT_EQ(conv.input(ir::kFusedConvResidualInput), t.x);
  EXPECT_EQ(conv.output(0), t.y);
  YQ_REQUIRE_REF_KERNELS();
  FusedGraph before("silu", 0.f, 0.f, /*residual=*/true);
  ir::testing::expect_same_outputs(before.b.g, t.b.g, 1e-6);
}

// Splits t's block, plans it under `policy(name of the split conv)` and expects the
// pre-activation float while the block output is still read quantized by the next conv.
void expect_pre_activation_float(FusedGraph& t, const std::function<QuantPolicy(const std::string&)>& policy) {
  ASSERT_EQ(*split_activations(t.b.g, tables()), 1);
  const ValueId pre = t.b.g.node(t.fused).output(0);
  auto plan = plan_quantization(t.b.g, policy(t.b.g.node(t.fused).name));
  ASSERT_TRUE(plan.ok());
  size_t gi = 0;
  EXPECT_EQ(group_of(*plan, pre, &gi), nullptr);
  EXPECT_NE(group_of(*plan, t.y, &gi), nullptr);
}

// A layer the final policy keeps float reads no new rounding: its pre-activation stays float and
// refuse_float_activations() gives the conv its activation back.
TEST(SplitActivations, AFloatLayerKeepsItsPreActivationFloatAndGetsItsActivationBack) {
  FusedGraph t("hardswish", 1.f / 6, 0.5f);
  expect_pre_activation_float(t, [](const std::string& conv) {
    QuantPolicy keep = tables();
    keep.keep_float.insert(conv);
    return keep;
  });
  auto folded = refuse_float_activations(t.b.g);
  ASSERT_TRUE(folded.ok());
  EXPECT_EQ(*folded, 1);
  EXPECT_EQ(count_ops(t.b.g, "Activation"), 0);
  EXPECT_EQ(t.b.g.node(t.fused).attrs.get_string("activation", ""), "hardswish");
  EXPECT_EQ(t.b.g.node(t.fused).output(0), t.y);
}

// A split graph planned without the activation in table_activations (the default policy, say a
// sensitivity sweep's) reads the pre-activation in float: no rounding the user did not ask for.
TEST(SplitActivations, APolicyWithoutTablesLeavesThePreActivationFloat) {
  FusedGraph t("silu");
  expect_pre_activation_float(t, [](const std::string&) { return QuantPolicy{}; });
}

TEST(SplitActivations, FusedActivationLayersKeepTheirPreActivationFloat) {
  FusedGraph t("silu");
  expect_pre_activation_float(t, [](const std::string& conv) {
    QuantPolicy p = tables();
    p.fused_activation_layers.insert(conv);
    return p;
  });
}

float silu(float x) { return x / (1.f + std::exp(-x)); }

// x -> conv a (silu) -> conv b (silu) -> conv c. Block a's pre-activation has a long negative tail
// that widens its scale to twice its output's; block b's is as wide as its output. The table adds
// far more error, relative to the output's own rounding, on a: it ranks first.
TEST(SplitActivations, RankTableDamagePutsTheBlockWithTheWidestPreActivationFirst) {
  GraphBuilder b(43);
  const ValueId x = b.input("x", {1, 4, 6, 6});
  std::vector<NodeId> convs;
  ValueId v = x;
  for (int i = 0; i < 2; ++i) {
    v = b.conv(v, 4, 3, 1, 1);
    convs.push_back(b.last);
    ir::make_fused_conv(b.g, b.last);
    b.g.node(b.last).attrs.set("activation", std::string("silu"));
  }
  b.output(b.conv(v, 2, 1));
  ASSERT_EQ(*split_activations(b.g, tables()), 2);
  auto plan = plan_quantization(b.g, tables());
  ASSERT_TRUE(plan.ok());
  std::map<ValueId, TensorStats> stats;
  for (ValueId a : plan->activations) stats[a].observe(std::vector<float>{-1.f, 1.f});  // x
  auto samples = [](float lo, float hi) {
    std::vector<float> xs;
    for (int i = 0; i <= 2000; ++i) xs.push_back(lo + (hi - lo) * static_cast<float>(i) / 2000.f);
    return xs;
  };
  for (int i = 0; i < 2; ++i) {
    const ValueId pre = b.g.node(convs[i]).output(0);
    const ValueId y = b.g.value(pre).consumers().size() == 1 ? b.g.node(b.g.value(pre).consumers()[0]).output(0) : pre;
    const std::vector<float> ts = i == 0 ? samples(-12.f, 4.f) : samples(-4.f, 4.f);
    std::vector<float> ys;
    for (float t : ts) ys.push_back(silu(t));
    stats[pre] = TensorStats();
    stats[pre].observe(ts);
    stats[y] = TensorStats();
    stats[y].observe(ys);
  }
  CalibOptions c;
  c.method = CalibMethod::kMinMax;
  auto ranking = rank_table_damage(b.g, tables(), stats, c);
  ASSERT_TRUE(ranking.ok()) << ranking.status().message();
  ASSERT_EQ(ranking->size(), 2u);
  EXPECT_EQ((*ranking)[0], b.g.node(convs[0]).name);
  EXPECT_EQ((*ranking)[1], b.g.node(convs[1]).name);
}

// SiLU's input: a long negative tail (down to -40, where silu is ~0) and positives up to 4.
// Plain MSE must spend codes on the tail; the activation-aware threshold clips it and keeps the
// positive range, so its error after SiLU is lower.
TEST(ActivationAwareCalibration, ClipsTheTailTheActivationFlattensAndKeepsTheOtherSide) {
  TensorStats s;
  std::vector<float> xs;
  for (int i = 0; i < 4000; ++i) xs.push_back(-40.f + 36.f * static_cast<float>(i) / 4000.f);  // [-40, -4)
  for (int i = 0; i < 4000; ++i) xs.push_back(4.f * static_cast<float>(i) / 3999.f);            // [0, 4]
  s.observe(xs);
  CalibOptions plain;
  plain.method = CalibMethod::kMse;
  CalibOptions aware = plain;
  aware.activation = silu;
  aware.activation_name = "silu";
  const float t_plain = *calibrate_threshold(s, plain);
  const float t_aware = *calibrate_threshold(s, aware);
  EXPECT_GE(t_aware, 3.9f);  // the positive side is not clipped
  EXPECT_LT(t_aware, 12.f);  // the tail is
  EXPECT_GT(t_plain, t_aware);
  auto err_after = [&](float t) {
    const float sc = t / 127.f;
    double e = 0;
    for (float x : xs) {
      const float q = std::clamp(std::nearbyint(x / sc), -128.f, 127.f) * sc;
      e += std::pow(silu(x) - silu(q), 2);
    }
    return e;
  };
  EXPECT_LT(err_after(t_aware), err_after(t_plain));
}

// With zero points the same table input gets u8 codes over its own [lo, hi]: lo clips the tail
// SiLU flattens, hi keeps the positive side, and the error after SiLU beats the symmetric s8 codes.
TEST(ActivationAwareCalibration, WithZeroPointsATableInputGetsU8CodesOverItsLeastErrorRange) {
  TensorStats s;
  std::vector<float> xs;
  std::mt19937 rng(3);
  std::normal_distribution<float> pre(0.f, 2.f);  // a BN-folded pre-activation...
  for (int i = 0; i < 8000; ++i) xs.push_back(pre(rng));
  for (int i = 0; i < 200; ++i) xs.push_back(-40.f + 30.f * static_cast<float>(i) / 200.f);  // ...with a far tail
  s.observe(xs);
  CalibOptions sym;
  sym.method = CalibMethod::kMse;
  sym.activation = silu;
  sym.activation_name = "silu";
  CalibOptions zp = sym;
  zp.zero_points = true;
  auto q_sym = calibrate_activation(s, sym);
  auto q_zp = calibrate_activation(s, zp);
  ASSERT_TRUE(q_sym.ok() && q_zp.ok());
  EXPECT_EQ(q_sym->dtype, DType::kI8);
  ASSERT_EQ(q_zp->dtype, DType::kU8);
  const float lo = -static_cast<float>(q_zp->zero_points[0]) * q_zp->scales[0];
  const float hi = static_cast<float>(255 - q_zp->zero_points[0]) * q_zp->scales[0];
  EXPECT_GE(hi, 3.9f);  // the positive side is not clipped
  EXPECT_LT(lo, -0.5f);  // the negative side keeps SiLU's dip...
  EXPECT_GT(lo, -12.f);  // ...but not the flat tail
  auto err_after = [&](const ir::QParams& q) {
    double e = 0;
    for (float x : xs)
      e += std::pow(silu(x) - silu(fake_quantize_value(x, q.scales[0], q.zero_points[0], q.qmin, q.qmax)), 2);
    return e / static_cast<double>(xs.size());
  };
  EXPECT_LT(err_after(*q_zp), err_after(*q_sym)) << "u8 [" << lo << ", " << hi << "], s8 scale " << q_sym->scales[0];
  // activation_error states the error of the codes calibrate_activation gives, from the histogram.
  auto e_zp = activation_error(s, zp);
  auto e_sym = activation_error(s, sym);
  ASSERT_TRUE(e_zp.ok() && e_sym.ok());
  EXPECT_LT(*e_zp, *e_sym);
  EXPECT_NEAR(*e_zp, err_after(*q_zp), 0.05 * err_after(*q_zp));
  EXPECT_NEAR(*e_sym, err_after(*q_sym), 0.05 * err_after(*q_sym));
}

// A plain value barely below zero (a SiLU output, >= -0.28) gets u8 over [min, T] with a zero
// point when zero points are on; otherwise s8.
TEST(ActivationAwareCalibration, ZeroPointsGiveU8ToValuesBarelyBelowZero) {
  TensorStats s;
  s.observe(std::vector<float>{-0.27f, 0.5f, 3.f, 12.7f});
  CalibOptions o;
  o.method = CalibMethod::kMinMax;
  auto off = calibrate_activation(s, o);
  ASSERT_TRUE(off.ok());
  EXPECT_EQ(off->dtype, DType::kI8);
  o.zero_points = true;
  auto on = calibrate_activation(s, o);
  ASSERT_TRUE(on.ok());
  ASSERT_EQ(on->dtype, DType::kU8);
  EXPECT_NEAR(on->scales[0], (12.7f + 0.27f) / 255.f, 1e-6f);
  EXPECT_EQ(on->zero_points[0], 5);  // round(0.27 / 0.05086)
  // Far below zero (min < -T/8) stays symmetric.
  TensorStats wide;
  wide.observe(std::vector<float>{-3.f, 0.5f, 12.7f});
  auto w = calibrate_activation(wide, o);
  ASSERT_TRUE(w.ok());
  EXPECT_EQ(w->dtype, DType::kI8);
}

TEST(ActivationAwareCalibration, NegativeHistogramMergesAndRoundTrips) {
  TensorStats a, b;
  a.observe(std::vector<float>{-3.f, 1.f, 2.f});
  b.observe(std::vector<float>{-0.5f, -7.f, 4.f});
  TensorStats all;
  all.observe(std::vector<float>{-3.f, 1.f, 2.f, -0.5f, -7.f, 4.f});
  ASSERT_TRUE(a.merge(b).ok());
  EXPECT_EQ(a.negative_histogram(), all.negative_histogram());
  int64_t neg = 0;
  for (int64_t c : all.negative_histogram()) neg += c;
  EXPECT_EQ(neg, 3);
  auto back = TensorStats::from_json(all.to_json());
  ASSERT_TRUE(back.ok()) << back.status().message();
  EXPECT_EQ(*back, all);
  EXPECT_TRUE(back->has_sign_histogram());
}

}  // namespace
}  // namespace yq::quant
