// SPDX-License-Identifier: Apache-2.0
// quant/sensitivity, quant/auto_quant and quant/report_plot on small problems built in code:
// a planted outlier channel must rank its layer most sensitive; the one-quantized subgraph cache
// must reproduce the full-graph runs exactly; the budget search must stop at the smallest passing
// K; reports round-trip; error metrics on known tensors.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <random>

#include "base/file_io.h"
#include "quant/auto_quant.h"
#include "quant/error_metrics.h"
#include "quant/layerwise_compare.h"
#include "ir/passes/pattern_utils.h"
#include "quant/report_plot.h"
#include "quant/sensitivity.h"
#include "tests/ir_passes/pass_test_util.h"

namespace yq::quant {
namespace {

using ir::NodeId;
using ir::ValueId;
using ir::testing::GraphBuilder;

// ---- error metrics on known tensors ----------------------------------------------------------

TEST(ErrorMetrics, KnownValues) {
  const std::vector<float> r = {1, 2, 3, 4};
  const std::vector<float> q = {1.1f, 2.1f, 3.1f, 4.1f};
  const ErrorMetrics m = compare_tensors(q, r);
  EXPECT_NEAR(m.mse, 0.01, 1e-6);
  EXPECT_NEAR(m.sqnr_db, 10.0 * std::log10(30.0 / 0.04), 1e-4);  // sum r^2 = 30, sum e^2 = 0.04
  EXPECT_NEAR(m.max_abs, 0.1, 1e-6);
  EXPECT_GT(m.cosine, 0.999);
  const ErrorMetrics same = compare_tensors(r, r);
  EXPECT_EQ(same.mse, 0.0);
  EXPECT_TRUE(std::isinf(same.sqnr_db));
  EXPECT_DOUBLE_EQ(same.cosine, 1.0);
  const std::vector<float> a = {1, 0}, b = {0, 1};
  EXPECT_NEAR(compare_tensors(a, b).cosine, 0.0, 1e-12);
  const std::vector<float> z = {0, 0};
  EXPECT_DOUBLE_EQ(compare_tensors(z, z).cosine, 1.0);
}

// ---- planted outlier --------------------------------------------------------------------------

// x[1,4,8,8] -> conv A (1x1) -> a -> conv B (1x1) -> b -> conv C (1x1) -> out.
// A scales its output channel 0 by 1000, so B's input has one huge channel. B ignores that channel
// (zero weights) and mixes the small ones with weights that matter, so its output has a normal
// range: only quantizing B's input (one per-tensor scale for the 1000x channel) destroys it.
struct OutlierGraph {
  GraphBuilder b{11};
  std::string conv_a, conv_b, conv_c;
  OutlierGraph() {
    const ValueId x = b.input("x", {1, 4, 8, 8});
    const ValueId a = b.conv(x, 4, 1);
    conv_a = b.g.node(b.last).name;
    float* wa = b.g.value(b.g.node(b.last).input(1)).constant->data<float>();
    for (int i = 0; i < 4; ++i) wa[0 * 4 + i] *= 1000.0f;  // output channel 0 (weights [4,4,1,1])
    const ValueId bb = b.conv(a, 4, 1);
    conv_b = b.g.node(b.last).name;
    float* wb = b.g.value(b.g.node(b.last).input(1)).constant->data<float>();
    for (int o = 0; o < 4; ++o) {
      wb[o * 4 + 0] = 0.0f;                        // the outlier channel does not matter
      for (int i = 1; i < 4; ++i) wb[o * 4 + i] *= 4.0f;  // the small channels do
    }
    const ValueId c = b.conv(bb, 4, 1);
    conv_c = b.g.node(b.last).name;
    b.output(c);
  }
};

std::vector<std::vector<Tensor>> random_inputs(const ir::Graph& g, int n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> d(-1.0f, 1.0f);
  std::vector<std::vector<Tensor>> out;
  for (int s = 0; s < n; ++s) {
    Tensor t = Tensor::empty(DType::kF32, g.value(g.inputs()[0]).shape);
    for (int64_t i = 0; i < t.numel(); ++i) t.data<float>()[i] = d(rng);
    out.push_back({t});
  }
  return out;
}

Expected<SensitivityReport> run_sweep(const OutlierGraph& t, SensitivityMode mode, bool int8) {
  const auto inputs = random_inputs(t.b.g, 4, 3);
  YQ_ASSIGN_OR_RETURN(QuantPlan plan, plan_quantization(t.b.g, QuantPolicy{}));
  YQ_ASSIGN_OR_RETURN(auto stats, collect_stats_for_inputs(t.b.g, plan.activations, inputs, 1));
  CalibOptions calib;
  calib.method = CalibMethod::kMinMax;
  SensitivityOptions o;
  o.mode = mode;
  o.metric = SensitivityMetric::kSqnr;
  o.use_int8_engine = int8;
  o.threads = 1;
  o.progress = false;
  return analyze_sensitivity(t.b.g, QuantPolicy{}, stats, calib, inputs, o);
}

class PlantedOutlier : public ::testing::TestWithParam<std::tuple<SensitivityMode, bool>> {};

TEST_P(PlantedOutlier, RanksTheLayerReadingTheOutlierFirst) {
  YQ_REQUIRE_REF_KERNELS();
  OutlierGraph t;
  const auto [mode, int8] = GetParam();
  auto rep = run_sweep(t, mode, int8);
  ASSERT_TRUE(rep.ok()) << rep.status().message();
  ASSERT_EQ(rep->layers.size(), 3u);
  EXPECT_EQ(rep->layers[0].layer, t.conv_b) << sensitivity_to_markdown(*rep);
  // And by a wide margin: the per-tensor step of B's input (~1000/127) wipes the small channels.
  if (mode == SensitivityMode::kOneQuantized) {
    EXPECT_LT(rep->layers[0].model_error.sqnr_db, 10.0);
    EXPECT_GT(rep->layers[1].model_error.sqnr_db, 25.0);
    EXPECT_LT(rep->layers[0].layer_error.sqnr_db, 10.0);  // B's own output is destroyed too
  } else {
    EXPECT_GT(rep->layers[0].model_error.sqnr_db, rep->full_int8_error.sqnr_db + 15.0);
    // One-float scores are the gain over full INT8.
    EXPECT_NEAR(rep->layers[0].score, rep->layers[0].model_error.sqnr_db - rep->full_int8_error.sqnr_db, 1e-9);
  }
}

INSTANTIATE_TEST_SUITE_P(Modes, PlantedOutlier,
                         ::testing::Values(std::make_tuple(SensitivityMode::kOneQuantized, true),
                                           std::make_tuple(SensitivityMode::kOneFloat, true),
                                           std::make_tuple(SensitivityMode::kOneQuantized, false)));

// compare_layerwise undoes an equalized tensor's channel scale: a quantized graph whose stem
// writes s * S (and whose next conv divides by S) compares as exact, not as a different tensor.
TEST(LayerwiseCompare, UndoesAChannelScaleBeforeComparing) {
  GraphBuilder b(81);
  const ir::ValueId x = b.input("x", {1, 3, 6, 6});
  const ir::ValueId s = b.conv(x, 4, 3, 1, 1);
  const ir::NodeId stem = b.last;
  const ir::ValueId y = b.conv(s, 4, 3, 1, 1, /*group=*/4);
  const ir::NodeId dw = b.last;
  b.output(y);
  ir::Graph scaled = b.g;
  ir::make_fused_conv(scaled, stem);
  const std::vector<double> k = {1.0, 8.0, 0.5, 30.0};
  const ir::ValueId kv = ir::add_f32_constant(scaled, "k", k, {4});
  scaled.value(kv).shape = {4};
  scaled.value(kv).shape_known = true;
  scaled.set_node_input(stem, 3, ir::kNoValue);
  scaled.set_node_input(stem, 4, kv);
  Tensor w = scaled.value(scaled.node(dw).input(1)).constant->clone();
  for (int64_t i = 0; i < w.numel(); ++i) w.data<float>()[i] /= static_cast<float>(k[static_cast<size_t>(i / 9)]);
  const ir::ValueId wv = scaled.add_constant("w_div", w);
  scaled.value(wv).shape = {4, 1, 3, 3};
  scaled.value(wv).shape_known = true;
  scaled.set_node_input(dw, 1, wv);
  CompareOptions co;
  co.use_int8_engine = false;
  auto rows = compare_layerwise(b.g, scaled, {{b.random({1, 3, 6, 6})}}, co);
  ASSERT_TRUE(rows.ok()) << rows.status().message();
  ASSERT_EQ(rows->size(), 2u);
  for (const TensorComparison& r : *rows) EXPECT_GT(r.metrics.sqnr_db, 100.0) << r.name;
}

TEST(Sensitivity, DeterministicAndRoundTripsThroughJson) {
  YQ_REQUIRE_REF_KERNELS();
  OutlierGraph t;
  auto r1 = run_sweep(t, SensitivityMode::kOneFloat, true);
  auto r2 = run_sweep(t, SensitivityMode::kOneFloat, true);
  ASSERT_TRUE(r1.ok() && r2.ok());
  for (size_t i = 0; i < r1->layers.size(); ++i) {
    EXPECT_EQ(r1->layers[i].layer, r2->layers[i].layer);
    EXPECT_EQ(r1->layers[i].score, r2->layers[i].score);
  }
  const std::string path = ::testing::TempDir() + "/sens_roundtrip.json";
  ASSERT_TRUE(write_file_atomic(path, sensitivity_to_json(*r1)).ok());
  auto ranking = load_sensitivity_ranking(path);
  ASSERT_TRUE(ranking.ok()) << ranking.status().message();
  ASSERT_EQ(ranking->size(), 3u);
  EXPECT_EQ((*ranking)[0], t.conv_b);
  EXPECT_NE(sensitivity_to_csv(*r1).find(t.conv_b), std::string::npos);

  ASSERT_TRUE(write_file_atomic(path, "{\"format\": \"other\"}").ok());
  auto bad = load_sensitivity_ranking(path);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find(path), std::string::npos);
}

TEST(Sensitivity, MapMetricNeedsACallback) {
  OutlierGraph t;
  SensitivityOptions o;
  o.metric = SensitivityMetric::kMap;
  auto r = analyze_sensitivity(t.b.g, QuantPolicy{}, {}, CalibOptions{}, random_inputs(t.b.g, 1, 1), o);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("map"), std::string::npos);
}

// ---- one-quantized caching: subgraph runs vs full-graph runs ----------------------------------

// x[1,4,8,8] -> c1 (3x3) -> a -> c2 (1x1) -> b;  Concat(a, b) -> c3 (1x1) -> c -> c5 (1x1) -> Sigmoid -> out1
//                           a -> c4 (1x1) -> out2
// Quantizing c3 alone puts its input's qparams on the Concat's inputs a and b too (one group), so
// c2 and c4, beside and upstream of c3, read a quantized: a cache that took "not downstream of the
// layer" for "FP32" would get b and out2 wrong. c5's subgraph leaves out2 to the FP32 cache.
struct BranchedGraph {
  GraphBuilder b{21};
  BranchedGraph() {
    const ValueId x = b.input("x", {1, 4, 8, 8});
    const ValueId a = b.conv(x, 8, 3, 1, 1);
    const ValueId bb = b.conv(a, 8, 1);
    ir::Attributes axis;
    axis.set("axis", int64_t{1});
    const ValueId cat = b.node("Concat", {a, bb}, {1, 16, 8, 8}, axis);
    const ValueId c = b.conv(cat, 8, 1);
    const ValueId out1 = b.unary("Sigmoid", b.conv(c, 4, 1));
    const ValueId out2 = b.conv(a, 4, 1);
    b.output(out1);
    b.output(out2);
  }
};

constexpr int kCacheTestImages = 3;

Expected<SensitivityReport> sweep_one_quantized(const ir::Graph& g, bool int8, size_t cache_bytes,
                                                const QuantPolicy& policy = {}) {
  const auto inputs = random_inputs(g, kCacheTestImages, 17);
  YQ_ASSIGN_OR_RETURN(QuantPlan plan, plan_quantization(g, policy));
  YQ_ASSIGN_OR_RETURN(auto stats, collect_stats_for_inputs(g, plan.activations, inputs, 1));
  CalibOptions calib;
  calib.method = CalibMethod::kMinMax;
  SensitivityOptions o;
  o.mode = SensitivityMode::kOneQuantized;
  o.metric = SensitivityMetric::kSqnr;
  o.use_int8_engine = int8;
  o.threads = 1;
  o.progress = false;
  o.cache_bytes = cache_bytes;
  return analyze_sensitivity(g, policy, stats, calib, inputs, o);
}

// Same layers in the same order, every metric and score bit-identical.
void expect_same_sweep(const SensitivityReport& got, const SensitivityReport& want) {
  ASSERT_EQ(got.layers.size(), want.layers.size());
  for (size_t i = 0; i < want.layers.size(); ++i) {
    const LayerSensitivity& g = got.layers[i];
    const LayerSensitivity& w = want.layers[i];
    SCOPED_TRACE("rank " + std::to_string(i + 1) + ", layer " + w.layer);
    EXPECT_EQ(g.layer, w.layer);
    EXPECT_EQ(g.output, w.output);
    for (auto [gm, wm] : {std::pair{g.layer_error, w.layer_error}, std::pair{g.model_error, w.model_error}}) {
      EXPECT_EQ(gm.sqnr_db, wm.sqnr_db);
      EXPECT_EQ(gm.mse, wm.mse);
      EXPECT_EQ(gm.cosine, wm.cosine);
      EXPECT_EQ(gm.max_abs, wm.max_abs);
    }
    EXPECT_EQ(g.score, w.score);
  }
}

class SubgraphCache : public ::testing::TestWithParam<bool> {};

TEST_P(SubgraphCache, GivesTheSameRankingAndMetricsAsFullGraphRuns) {
  YQ_REQUIRE_REF_KERNELS();
  BranchedGraph t;
  const bool int8 = GetParam();
  auto cached = sweep_one_quantized(t.b.g, int8, SensitivityOptions{}.cache_bytes);
  auto full = sweep_one_quantized(t.b.g, int8, 0);  // no budget: the full-graph path
  ASSERT_TRUE(cached.ok()) << cached.status().message();
  ASSERT_TRUE(full.ok()) << full.status().message();
  // The two runs really took different paths, and the subgraphs are smaller than the model.
  ASSERT_EQ(cached->layers.size(), 5u);
  EXPECT_EQ(cached->subgraph_layers, 5);
  EXPECT_GT(cached->subgraph_node_share, 0.0);
  EXPECT_LT(cached->subgraph_node_share, 1.0);
  EXPECT_EQ(full->subgraph_layers, 0);
  // Equality must mean something: every configuration changes a model output (SQNR below the
  // 200 dB cap of an exact match) and its layer output.
  for (const LayerSensitivity& l : full->layers) {
    EXPECT_LT(l.model_error.sqnr_db, 150.0) << l.layer;
    EXPECT_GT(l.layer_error.max_abs, 0.0) << l.layer;
  }
  // Reference kernels: the boundary values come from a float run on the same kernels, so every
  // number is bit-identical by construction. INT8 engine: a tolerance was planned (an f32 oneDNN
  // op may get a plain boundary input where the full graph gives it a blocked one, and pick
  // another implementation), but the results are bit-identical here and on yolox_nano, so the
  // test holds the engine to that: a difference would mean the subgraph is not the same
  // computation (for example a boundary value quantized differently on entry).
  expect_same_sweep(*cached, *full);
}

INSTANTIATE_TEST_SUITE_P(Engines, SubgraphCache, ::testing::Values(false, true),
                         [](const ::testing::TestParamInfo<bool>& i) { return i.param ? "Int8" : "Reference"; });

// Equalization (quant/equalize_depthwise.h) rewrites the producer of a depthwise conv's input (a
// channel scale after its SiLU) although nothing that producer reads has qparams: the depthwise
// layer's subgraph must include it, or the layer would read the unscaled cached tensor.
TEST(SubgraphCache, EqualizedDepthwiseInputsGiveTheSameSweep) {
  YQ_REQUIRE_REF_KERNELS();
  GraphBuilder b{23};
  const ValueId x = b.input("x", {1, 4, 8, 8});
  const ValueId s = b.conv(x, 8, 3, 1, 1);
  ir::make_fused_conv(b.g, b.last);
  b.g.node(b.last).attrs.set("activation", std::string("silu"));
  const ValueId d = b.conv(s, 8, 3, 1, 1, /*group=*/8);
  b.output(b.conv(d, 4, 1));
  QuantPolicy policy;
  policy.quantize_depthwise = true;
  policy.equalize_depthwise = EqualizeDepthwise::kAll;
  auto cached = sweep_one_quantized(b.g, false, SensitivityOptions{}.cache_bytes, policy);
  auto full = sweep_one_quantized(b.g, false, 0, policy);
  ASSERT_TRUE(cached.ok()) << cached.status().message();
  ASSERT_TRUE(full.ok()) << full.status().message();
  EXPECT_EQ(cached->subgraph_layers, 3);
  expect_same_sweep(*cached, *full);
}

TEST(SubgraphCache, FallsBackToFullGraphRunsWhenTheBoundaryValuesDoNotFit) {
  YQ_REQUIRE_REF_KERNELS();
  BranchedGraph t;
  // Exactly the budget for the layer outputs: the boundary values no longer fit.
  size_t layer_bytes = 0;
  auto plan = plan_quantization(t.b.g, QuantPolicy{});
  ASSERT_TRUE(plan.ok());
  for (NodeId n : plan->compute_nodes) {
    layer_bytes += static_cast<size_t>(shape_numel(t.b.g.value(t.b.g.node(n).output(0)).shape)) * sizeof(float);
  }
  auto tight = sweep_one_quantized(t.b.g, false, layer_bytes * kCacheTestImages);
  ASSERT_TRUE(tight.ok()) << tight.status().message();
  EXPECT_EQ(tight->subgraph_layers, 0);
  auto roomy = sweep_one_quantized(t.b.g, false, 2 * layer_bytes * kCacheTestImages + (size_t{1} << 20));
  ASSERT_TRUE(roomy.ok()) << roomy.status().message();
  EXPECT_EQ(roomy->subgraph_layers, 5);
  expect_same_sweep(*roomy, *tight);
}

// ---- accuracy-budget search -------------------------------------------------------------------

std::vector<std::string> layer_names(int n) {
  std::vector<std::string> v;
  for (int i = 0; i < n; ++i) v.push_back("L" + std::to_string(i));
  return v;
}

// A fake mAP: 30 minus a penalty for every "bad" layer still quantized. The ranking lists the
// bad layers first, so keeping the top k float removes min(k, bad) penalties.
struct FakeEval {
  std::vector<double> penalty;  // by ranking position
  std::vector<size_t> calls;    // set sizes seen
  Expected<double> operator()(const std::set<std::string>& fl) {
    calls.push_back(fl.size());
    double s = 30.0;
    for (size_t i = 0; i < penalty.size(); ++i) {
      if (!fl.count("L" + std::to_string(i))) s -= penalty[i];
    }
    return s;
  }
};

TEST(BudgetSearch, StopsAtTheSmallestPassingK) {
  // Penalties 1.0 for the top 5 layers, 0.04 for the 15 others: full INT8 drops 5.6; for K >= 5
  // the drop is the tail 0.04 * (20 - K), within 0.3 for K >= 13 (0.28), not for K = 12 (0.32).
  FakeEval fe;
  fe.penalty.assign(20, 0.04);
  for (int i = 0; i < 5; ++i) fe.penalty[i] = 1.0;
  auto res = search_float_budget(layer_names(20), 30.0, 0.3, std::ref(fe));
  ASSERT_TRUE(res.ok()) << res.status().message();
  EXPECT_TRUE(res->met);
  EXPECT_EQ(res->k, 13);
  EXPECT_EQ(res->float_layers.size(), 13u);
  EXPECT_EQ(res->float_layers.front(), "L0");
  EXPECT_LE(res->drop, 0.3 + 1e-9);
  // K - 1 was tried and failed: nothing smaller passes (the fake score is monotone).
  bool saw_km1_fail = false;
  for (const BudgetStep& s : res->steps) saw_km1_fail |= (s.k == 12 && !s.passes);
  EXPECT_TRUE(saw_km1_fail);
  // Doubling stops at the first pass (16), never evaluating 20; each K once.
  for (size_t n : fe.calls) EXPECT_LE(n, 16u);
  std::set<size_t> uniq(fe.calls.begin(), fe.calls.end());
  EXPECT_EQ(uniq.size(), fe.calls.size());
  // 0, 1, 2, 4, 8, 16, then bisection 12 (fails), 14, 13 (both pass).
  EXPECT_EQ(fe.calls, (std::vector<size_t>{0, 1, 2, 4, 8, 16, 12, 14, 13}));
}

TEST(BudgetSearch, FullInt8WithinBudgetKeepsNothingFloat) {
  FakeEval fe;
  fe.penalty.assign(8, 0.01);
  auto res = search_float_budget(layer_names(8), 30.0, 1.0, std::ref(fe));
  ASSERT_TRUE(res.ok());
  EXPECT_TRUE(res->met);
  EXPECT_EQ(res->k, 0);
  EXPECT_TRUE(res->float_layers.empty());
  EXPECT_EQ(fe.calls.size(), 1u);
}

TEST(BudgetSearch, ExactPowerOfTwoAndSingleBadLayer) {
  FakeEval fe;
  fe.penalty.assign(9, 0.0);
  fe.penalty[0] = 5.0;  // one layer ruins it; K = 1 must be the answer
  auto res = search_float_budget(layer_names(9), 30.0, 0.3, std::ref(fe));
  ASSERT_TRUE(res.ok());
  EXPECT_EQ(res->k, 1);
  EXPECT_EQ(fe.calls, (std::vector<size_t>{0, 1}));
}

TEST(BudgetSearch, UnreachableBudgetReportsNotMet) {
  auto res = search_float_budget(layer_names(5), 30.0, 0.3, [](const std::set<std::string>&) -> Expected<double> {
    return 20.0;  // nothing helps
  });
  ASSERT_TRUE(res.ok());
  EXPECT_FALSE(res->met);
  EXPECT_EQ(res->k, 0);  // the best score, fewest layers
  auto neg = search_float_budget(layer_names(5), 30.0, -1.0, [](const std::set<std::string>&) { return 30.0; });
  EXPECT_FALSE(neg.ok());
  auto err = search_float_budget(layer_names(5), 30.0, 0.3, [](const std::set<std::string>& s) -> Expected<double> {
    if (s.size() == 2) return io_error("val folder vanished");
    return 0.0;
  });
  ASSERT_FALSE(err.ok());
  EXPECT_NE(err.status().message().find("2 float layers"), std::string::npos) << err.status().message();
}

// ---- charts -----------------------------------------------------------------------------------

TEST(ReportPlot, WritesPngFiles) {
  const std::string dir = ::testing::TempDir();
  BarChart c{"sensitivity", "score", {"a", "b", "c"}, {3.0, -1.0, 0.5}};
  ASSERT_TRUE(write_bar_chart_png(dir + "/bars.png", c).ok());
  LinePlot p;
  p.title = "budget";
  p.x_label = "layers in float";
  p.left = {"mAP", {0, 1, 2, 4}, {20, 25, 27, 27.5}};
  p.right = {"latency ms", {0, 1, 2, 4}, {5, 6, 7, 9}};
  p.left_reference = 27.0;
  ASSERT_TRUE(write_line_plot_png(dir + "/curve.png", p).ok());
  for (const char* f : {"/bars.png", "/curve.png"}) {
    auto bytes = read_file(dir + f);
    ASSERT_TRUE(bytes.ok());
    ASSERT_GT(bytes->size(), 8u);
    EXPECT_EQ(bytes->substr(1, 3), "PNG");
  }
  EXPECT_FALSE(write_bar_chart_png(dir + "/bars.jpg", c).ok());
  c.values.pop_back();
  EXPECT_FALSE(write_bar_chart_png(dir + "/bars2.png", c).ok());
}

}  // namespace
}  // namespace yq::quant
