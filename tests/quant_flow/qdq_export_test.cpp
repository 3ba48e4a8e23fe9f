// SPDX-License-Identifier: Apache-2.0
// unfuse_for_export, upgrade_opset and the QDQ exporter on small graphs built in code: structure,
// numerical equivalence on the reference kernels, determinism, and (when the tools are present)
// the ONNX checker and ONNX Runtime against yoloq's reference kernels on the same QDQ graph.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "base/npy.h"
#include "ir/onnx/onnx_import.h"
#include "ir/passes/pattern_utils.h"
#include "ir/passes/pipeline.h"
#include "ir/passes/unfuse_for_export.h"
#include "ir/passes/upgrade_opset.h"
#include "quant/policy.h"
#include "quant/qdq_export.h"
#include "quant/split_activations.h"
#include "tests/ir_passes/pass_test_util.h"
#include "tests/quant_flow/fused_graph.h"
#include "tests/quant_flow/qdq_test_util.h"

namespace yq::quant {
namespace {

using ir::NodeId;
using ir::ValueId;
using ir::testing::count_ops;
using ir::testing::GraphBuilder;

using testing::FusedGraph;

void quantize_with_synthetic_stats(ir::Graph& g) {
  auto plan = plan_quantization(g, QuantPolicy{});
  ASSERT_TRUE(plan.ok()) << plan.status().message();
  std::map<ValueId, TensorStats> stats;
  for (ValueId v : plan->activations) stats[v].observe(std::vector<float>{-3.f, 0.5f, 4.f});
  CalibOptions o;
  o.method = CalibMethod::kMinMax;
  ASSERT_TRUE(apply_quantization(g, *plan, stats, o).ok());
}

// Exports `g` (quantized) as QDQ ONNX into a fresh temp folder, checks it with the ONNX checker,
// runs it in ONNX Runtime on a random input and expects ORT's output `out` to match yoloq's
// reference kernels on the same QDQ graph (both dequantize to the same floats, so only float
// summation order differs). Skips (loudly) what the machine lacks.
void expect_ort_matches_reference(const ir::Graph& g, ValueId out, const Shape& in_shape, uint32_t seed,
                                  const std::string& tag) {
  auto qg = build_qdq_graph(g);
  ASSERT_TRUE(qg.ok()) << qg.status().message();
  const std::filesystem::path tmp =
      std::filesystem::temp_directory_path() / ("yq_qdq_" + tag + "_" + std::to_string(::getpid()));
  std::filesystem::create_directories(tmp);
  const std::string model = (tmp / (tag + "_qdq.onnx")).string();
  ASSERT_TRUE(export_qdq_onnx_file(g, model).ok());
  YQ_REQUIRE_ONNX_CHECKER();
  EXPECT_TRUE(testing::onnx_checker_passes(model));
  YQ_REQUIRE_ORT();
  YQ_REQUIRE_REF_KERNELS();
  GraphBuilder rnd(seed);
  const Tensor in = rnd.random(in_shape, -3.f, 3.f);
  const std::string in_npy = (tmp / "in.npy").string();
  ASSERT_TRUE(save_npy(in_npy, in).ok());
  ASSERT_TRUE(testing::run_ort(model, in_npy, (tmp / "ort").string()));
  auto ort = load_npy((tmp / "ort" / (g.value(out).name + ".npy")).string());
  ASSERT_TRUE(ort.ok()) << ort.status().message();
  auto ref = ir::testing::run_reference(*qg, {in});
  ASSERT_TRUE(ref.ok()) << ref.status().message();
  EXPECT_TRUE(ir::testing::all_close(*ort, (*ref)[0], 1e-4));
  std::filesystem::remove_all(tmp);
}

const ir::Node* only_consumer(const ir::Graph& g, ValueId v) {
  const auto& c = g.value(v).consumers();
  return c.size() == 1 ? &g.node(c[0]) : nullptr;
}

struct ActCase {
  const char* act;
  float alpha, beta;
  bool residual;
};

class Unfuse : public ::testing::TestWithParam<ActCase> {};

TEST_P(Unfuse, MatchesTheFusedConvOnTheReferenceKernels) {
  const ActCase& c = GetParam();
  FusedGraph t(c.act, c.alpha, c.beta, c.residual);
  ir::Graph after = t.b.g;
  ir::UnfuseForExport pass;
  auto n = ir::run_pass_once(after, pass);
  ASSERT_TRUE(n.ok()) << n.status().message();
  EXPECT_EQ(*n, 1);
  EXPECT_EQ(count_ops(after, "FusedConv"), 0);
  EXPECT_EQ(count_ops(after, "Conv"), 2);
  EXPECT_EQ(count_ops(after, "Add"), c.residual ? 1 : 0);
  ASSERT_TRUE(after.verify().ok()) << after.verify().message();
  EXPECT_EQ(after.node(t.fused).name, t.b.g.node(t.fused).name);
  YQ_REQUIRE_REF_KERNELS();
  ir::testing::expect_same_outputs(t.b.g, after, 1e-5);
}

INSTANTIATE_TEST_SUITE_P(Activations, Unfuse,
                         ::testing::Values(ActCase{"", 0, 0, false}, ActCase{"relu", 0, 0, true},
                                           ActCase{"leaky_relu", 0.1f, 0, false}, ActCase{"sigmoid", 0, 0, false},
                                           ActCase{"silu", 0, 0, true}, ActCase{"hardswish", 1.f / 6, 0.5f, false},
                                           ActCase{"hardsigmoid", 0.2f, 0.5f, false}, ActCase{"clip", 0.f, 6.f, false},
                                           ActCase{"tanh", 0, 0, false}),
                         [](const ::testing::TestParamInfo<ActCase>& p) {
                           std::string n = p.param.act[0] ? p.param.act : "none";
                           return n + (p.param.residual ? "_residual" : "");
                         });

TEST(QdqExport, SiluFusedConvExportsAsConvSigmoidMulThenQdq) {
  FusedGraph t("silu");
  quantize_with_synthetic_stats(t.b.g);
  ASSERT_TRUE(t.b.g.value(t.y).qparams.has_value());  // read quantized by the second conv
  auto q = build_qdq_graph(t.b.g);
  ASSERT_TRUE(q.ok()) << q.status().message();
  const ir::Graph& g = *q;
  const ir::Node& conv = g.node(t.fused);
  EXPECT_EQ(conv.op_type, "Conv");
  // conv output is read by the Sigmoid and the Mul, not by a QuantizeLinear.
  ASSERT_EQ(g.value(conv.output(0)).consumers().size(), 2u);
  for (NodeId c : g.value(conv.output(0)).consumers()) EXPECT_NE(g.node(c).op_type, "QuantizeLinear");
  const ir::Node* sig = nullptr;
  for (NodeId c : g.value(conv.output(0)).consumers()) {
    if (g.node(c).op_type == "Sigmoid") sig = &g.node(c);
  }
  ASSERT_NE(sig, nullptr);
  const ir::Node* mul = only_consumer(g, sig->output(0));  // no Q/DQ between Sigmoid and Mul
  ASSERT_NE(mul, nullptr);
  EXPECT_EQ(mul->op_type, "Mul");
  EXPECT_EQ(mul->output(0), t.y);
  const ir::Node* qn = only_consumer(g, t.y);
  ASSERT_NE(qn, nullptr);
  EXPECT_EQ(qn->op_type, "QuantizeLinear");
  const ir::Node* dq = only_consumer(g, qn->output(0));
  ASSERT_NE(dq, nullptr);
  EXPECT_EQ(dq->op_type, "DequantizeLinear");
  EXPECT_EQ(only_consumer(g, dq->output(0))->op_type, "Conv");
  // Weights: int8 initializer -> DequantizeLinear(axis 0) -> Conv.
  const ir::Node* wdq = g.producer_of(conv.input(1));
  ASSERT_NE(wdq, nullptr);
  EXPECT_EQ(wdq->op_type, "DequantizeLinear");
  EXPECT_EQ(wdq->attrs.get_int("axis", -1), 0);
  EXPECT_EQ(g.value(wdq->input(0)).dtype, DType::kI8);
  EXPECT_EQ(g.value(wdq->input(1)).constant->numel(), 4);
  // The graph output had no qparams: still plain float from the last Conv.
  EXPECT_EQ(g.producer_of(t.out)->op_type, "Conv");
  for (size_t i = 0; i < g.value_capacity(); ++i) EXPECT_FALSE(g.value(static_cast<ValueId>(i)).qparams.has_value());
  EXPECT_EQ(g.opsets.at(""), 13);
  EXPECT_EQ(g.opsets.count("yq"), 0u);
}

TEST(QdqExport, DeterministicAndRoundTripsThroughTheImporter) {
  FusedGraph t("silu", 0, 0, true);
  quantize_with_synthetic_stats(t.b.g);
  auto a = export_qdq_onnx(t.b.g);
  auto b = export_qdq_onnx(t.b.g);
  ASSERT_TRUE(a.ok()) << a.status().message();
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(*a, *b);
  auto back = ir::import_onnx_bytes(*a, "qdq");
  ASSERT_TRUE(back.ok()) << back.status().message();
  EXPECT_EQ(count_ops(*back, "QuantizeLinear"), 2);    // x and y
  EXPECT_EQ(count_ops(*back, "DequantizeLinear"), 4);  // x, y and two weights
}

TEST(QdqExport, CheckerAndOnnxRuntimeAgreeWithTheReferenceKernels) {
  FusedGraph t("hardswish", 1.f / 6, 0.5f, true);
  quantize_with_synthetic_stats(t.b.g);
  expect_ort_matches_reference(t.b.g, t.out, {1, 4, 6, 6}, 5, "small");
}

// --table-activations: the split SiLU exports as Conv -> Q/DQ(pre-activation) -> Sigmoid, Mul ->
// Q/DQ, which the checker accepts, ONNX Runtime runs like yoloq's reference, and yoloq's importer
// turns back into one Activation over the quantized pre-activation.
// An equalized depthwise input (quant/equalize_depthwise.h): the producer's channel scale is a Mul
// by a [1, 4, 1, 1] constant after its SiLU, Q/DQ after that Mul; the checker and ORT accept it,
// ORT agrees with the reference kernels, and the importer folds the Mul back into the conv.
TEST(QdqExport, EqualizedDepthwiseInputExportsAChannelMul) {
  GraphBuilder b(71);
  const ValueId x = b.input("x", {1, 3, 6, 6});
  const ValueId s = b.conv(x, 4, 3, 1, 1);
  const NodeId stem = b.last;
  ir::make_fused_conv(b.g, stem);
  b.g.node(stem).attrs.set("activation", std::string("silu"));
  const ValueId d = b.conv(s, 4, 3, 1, 1, /*group=*/4);
  const ValueId out = b.conv(d, 2, 1);
  b.output(out);
  QuantPolicy policy;
  policy.quantize_depthwise = true;
  policy.equalize_depthwise = EqualizeDepthwise::kAll;
  auto plan = plan_quantization(b.g, policy);
  ASSERT_TRUE(plan.ok()) << plan.status().message();
  std::map<ValueId, TensorStats> stats;
  for (ValueId v : plan->activations) {
    const std::vector<float> cmax = v == s ? std::vector<float>{3.f, 0.05f, 1.f, 0.2f} : std::vector<float>{1.f, 2.f, 3.f, 4.f};
    std::vector<float> xs;
    for (float m : cmax) xs.insert(xs.end(), {-m, 0.5f * m, m, 0.f});
    stats[v].observe_channels(xs, 4, 4);
  }
  CalibOptions o;
  o.method = CalibMethod::kMinMax;
  ASSERT_TRUE(apply_quantization(b.g, *plan, stats, o).ok());
  ASSERT_NE(b.g.node(stem).input(ir::kFusedConvChannelScaleInput), ir::kNoValue);
  auto q = build_qdq_graph(b.g);
  ASSERT_TRUE(q.ok()) << q.status().message();
  const ir::Node* qn = only_consumer(*q, s);
  ASSERT_NE(qn, nullptr);
  EXPECT_EQ(qn->op_type, "QuantizeLinear");
  const ir::Node* mul = q->producer_of(s);
  ASSERT_NE(mul, nullptr);
  EXPECT_EQ(mul->op_type, "Mul");
  auto bytes = export_qdq_onnx(b.g);
  ASSERT_TRUE(bytes.ok()) << bytes.status().message();
  auto back = ir::import_onnx_bytes(*bytes, "equalized");
  ASSERT_TRUE(back.ok()) << back.status().message();
  ir::PipelineOptions po;
  auto rep = ir::optimize_graph(*back, po);
  ASSERT_TRUE(rep.ok()) << rep.status().message();
  EXPECT_EQ(rep->applied("fuse_conv_channel_scale"), 1);
  expect_ort_matches_reference(b.g, out, {1, 3, 6, 6}, 9, "equalized");
}

TEST(QdqExport, TableActivationExportsItsPreActivationQdqAndLoadsBack) {
  // Symmetric s8 codes, then u8 codes with zero points (CalibOptions::zero_points: every value
  // here is barely below zero, and the pre-activation gets its own [lo, hi]).
  for (bool zero_points : {false, true}) {
    SCOPED_TRACE(zero_points ? "zero points" : "symmetric");
    FusedGraph t("silu");
    QuantPolicy tables;
    tables.table_activations = kTableActivations;
    ASSERT_EQ(*split_activations(t.b.g, tables), 1);
    auto plan = plan_quantization(t.b.g, tables);
    ASSERT_TRUE(plan.ok());
    std::map<ValueId, TensorStats> stats;
    for (ValueId v : plan->activations)
      stats[v].observe(zero_points ? std::vector<float>{-0.25f, 0.5f, 4.f} : std::vector<float>{-3.f, 0.5f, 4.f});
    CalibOptions calib;
    calib.zero_points = zero_points;
    ASSERT_TRUE(apply_quantization(t.b.g, *plan, stats, calib).ok());
    const ValueId pre = t.b.g.node(t.fused).output(0);
    ASSERT_TRUE(t.b.g.value(pre).qparams.has_value());
    if (zero_points) {
      EXPECT_EQ(t.b.g.value(pre).qparams->dtype, DType::kU8);
      ASSERT_TRUE(t.b.g.value(t.y).qparams.has_value());  // the activation's output, read by a conv
      EXPECT_NE(t.b.g.value(t.y).qparams->zero_points[0], 0);
    }
    auto bytes = export_qdq_onnx(t.b.g);
    ASSERT_TRUE(bytes.ok()) << bytes.status().message();
    auto back = ir::import_onnx_bytes(*bytes, "qdq");
    ASSERT_TRUE(back.ok()) << back.status().message();
    EXPECT_EQ(count_ops(*back, "QuantizeLinear"), 3);  // x, the pre-activation, y
    EXPECT_EQ(count_ops(*back, "Sigmoid"), 1);
    ir::Graph loaded = *back;
    ASSERT_TRUE(ir::optimize_graph(loaded).ok());
    EXPECT_EQ(count_ops(loaded, "Activation"), 1);
    EXPECT_EQ(count_ops(loaded, "Sigmoid") + count_ops(loaded, "Mul"), 0);

    expect_ort_matches_reference(t.b.g, t.out, {1, 4, 6, 6}, 6, zero_points ? "table_zp" : "table");
  }
}

TEST(UpgradeOpset, AttributesBecomeInputsAndSoftmaxKeepsItsMeaning) {
  GraphBuilder b(2);
  const ValueId x = b.input("x", {2, 3, 4});
  ir::Attributes sm;
  sm.set("axis", int64_t{1});
  sm.set("yq_opset_lt13", int64_t{1});
  const ValueId s = b.node("Softmax", {x}, {}, sm);
  const NodeId softmax = b.last;
  ir::Attributes last_axis;
  last_axis.set("axis", int64_t{2});
  last_axis.set("yq_opset_lt13", int64_t{1});
  const ValueId s2 = b.node("Softmax", {s}, {}, last_axis);
  const NodeId softmax2 = b.last;
  ir::Attributes un;
  un.set("axes", std::vector<int64_t>{0});
  const ValueId u = b.node("Unsqueeze", {s2}, {1, 2, 3, 4}, un);
  ir::Attributes sq;
  sq.set("axes", std::vector<int64_t>{0});
  const ValueId q = b.node("Squeeze", {u}, {2, 3, 4}, sq);
  ir::Attributes sp;
  sp.set("axis", int64_t{1});
  sp.set("split", std::vector<int64_t>{1, 2});
  const ValueId p0 = b.g.add_value("p0", DType::kF32, {2, 1, 4}, true);
  const ValueId p1 = b.g.add_value("p1", DType::kF32, {2, 2, 4}, true);
  const NodeId split = b.g.add_node("Split", "split", {q}, {p0, p1}, sp);
  b.output(p0);
  b.output(p1);
  b.g.opsets[""] = 11;
  ir::Graph after = b.g;
  ASSERT_TRUE(ir::upgrade_opset_to_13(after).ok());
  EXPECT_EQ(after.opsets.at(""), 13);
  ASSERT_TRUE(after.verify().ok()) << after.verify().message();
  EXPECT_FALSE(after.node(split).attrs.has("split"));
  ASSERT_NE(after.node(split).input(1), ir::kNoValue);
  EXPECT_EQ(after.value(after.node(split).input(1)).constant->to_int64_vector(), (std::vector<int64_t>{1, 2}));
  EXPECT_EQ(count_ops(after, "Reshape"), 2);  // softmax over a middle axis: reshape, softmax, reshape
  EXPECT_EQ(after.node(softmax).attrs.get_int("axis", 0), 1);
  EXPECT_FALSE(after.node(softmax).attrs.has("yq_opset_lt13"));
  EXPECT_EQ(after.node(softmax2).attrs.get_int("axis", 0), -1);
  (void)u;
  YQ_REQUIRE_REF_KERNELS();
  ir::testing::expect_same_outputs(b.g, after, 1e-6);

  ir::Graph old = b.g;
  old.opsets[""] = 10;
  EXPECT_EQ(ir::upgrade_opset_to_13(old).code(), StatusCode::kUnsupported);
}

}  // namespace
}  // namespace yq::quant
