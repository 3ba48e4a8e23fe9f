// SPDX-License-Identifier: Apache-2.0
#include "ir/passes/pipeline.h"

#include <gtest/gtest.h>

#include "pass_test_util.h"

namespace yq::ir {
namespace {

using testing::count_ops;
using testing::GraphBuilder;

// A YOLOv5-style bottleneck plus clutter the cleanup passes must remove:
//   a = silu(bn(conv1x1(x)));  y = x + silu(bn(conv3x3(a)));  out = Identity(y); a dead branch.
Graph yolo_bottleneck(GraphBuilder& b) {
  const ValueId x = b.input("x", {1, 4, 6, 6});
  const ValueId c1 = b.bn(b.conv(x, 4, 1, 1, 0, 1, false));
  const ValueId a = b.binary("Mul", c1, b.unary("Sigmoid", c1));
  const ValueId c2 = b.bn(b.conv(a, 4, 3, 1, 1, 1, false));
  const ValueId s = b.binary("Mul", b.unary("Sigmoid", c2), c2);
  const ValueId y = b.binary("Add", x, s);
  b.unary("Tanh", a);  // dead
  b.output(b.unary("Identity", y));
  return b.g;
}

TEST(Pipeline, YoloBottleneckFusesToTwoConvs) {
  GraphBuilder b(61);
  Graph before = yolo_bottleneck(b);
  const std::string out_name = b.g.value(b.g.outputs()[0]).name;
  PipelineOptions opts;
  opts.verify_each = true;
  auto report = optimize_graph(b.g, opts);
  ASSERT_TRUE(report.ok()) << report.status().message();
  ASSERT_TRUE(b.g.verify().ok()) << b.g.verify().message();
  EXPECT_EQ(b.g.live_node_count(), 2u);
  EXPECT_EQ(count_ops(b.g, "FusedConv"), 2);
  EXPECT_EQ(report->nodes_before, 11u);
  EXPECT_EQ(report->nodes_after, 2u);
  EXPECT_TRUE(report->converged);
  EXPECT_EQ(report->applied("eliminate_dead_nodes"), 1);
  EXPECT_EQ(report->applied("remove_identity"), 1);
  EXPECT_EQ(report->applied("fold_batchnorm"), 2);
  EXPECT_EQ(report->applied("fuse_conv_act"), 2);
  EXPECT_EQ(report->applied("fuse_conv_add"), 1);
  EXPECT_GT(report->values_swept, 0);
  EXPECT_EQ(b.g.value(b.g.outputs()[0]).name, out_name);  // the interface name survives
  EXPECT_FALSE(report->summary().empty());
  YQ_REQUIRE_REF_KERNELS();
  testing::expect_same_outputs(before, b.g, 1e-4);
}

// Shape inference with the reference evaluator stores relu(c) on the Relu's output; the pipeline
// then drops the Relu and the Add reads the folded constant.
TEST(Pipeline, FoldsWhatShapeInferenceEvaluated) {
  GraphBuilder b(66);
  const ValueId x = b.input("x", {1, 4, 3, 3});
  const ValueId r = b.unary("Relu", b.constant(b.random({1, 4, 3, 3})));
  b.output(b.binary("Add", x, r));
  Graph before = b.g;
  YQ_REQUIRE_REF_KERNELS();
  runtime::ref::RefEvaluator eval;
  ShapeInferenceOptions so;
  so.evaluator = &eval;
  ASSERT_TRUE(infer_shapes(b.g, so).ok());
  ASSERT_TRUE(b.g.value(r).is_constant());
  auto report = optimize_graph(b.g);
  ASSERT_TRUE(report.ok()) << report.status().message();
  EXPECT_EQ(report->applied("fold_constants"), 1);
  EXPECT_EQ(count_ops(b.g, "Relu"), 0);
  EXPECT_EQ(b.g.live_node_count(), 1u);
  testing::expect_same_outputs(before, b.g, 0.0);
}

TEST(Pipeline, OptionsTurnFusionsOff) {
  GraphBuilder b(62);
  yolo_bottleneck(b);
  PipelineOptions opts;
  opts.fuse_activations = false;
  opts.fuse_residual_add = false;
  auto report = optimize_graph(b.g, opts);
  ASSERT_TRUE(report.ok());
  EXPECT_EQ(count_ops(b.g, "FusedConv"), 0);
  EXPECT_EQ(count_ops(b.g, "Conv"), 2);
  EXPECT_EQ(count_ops(b.g, "BatchNormalization"), 0);
  EXPECT_EQ(report->applied("fuse_conv_act"), 0);
}

TEST(Pipeline, StopsAtMaxIterations) {
  GraphBuilder b(63);
  yolo_bottleneck(b);
  PipelineOptions opts;
  opts.max_iterations = 1;
  auto report = optimize_graph(b.g, opts);
  ASSERT_TRUE(report.ok());
  EXPECT_EQ(report->iterations, 1);
  EXPECT_FALSE(report->converged);  // the first round changed things, so no quiet round ran
  opts.max_iterations = 0;
  EXPECT_FALSE(optimize_graph(b.g, opts).ok());
}

TEST(Pipeline, SecondRunChangesNothing) {
  GraphBuilder b(64);
  yolo_bottleneck(b);
  ASSERT_TRUE(optimize_graph(b.g).ok());
  auto again = optimize_graph(b.g);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->iterations, 1);
  EXPECT_EQ(again->nodes_before, again->nodes_after);
}

TEST(Pipeline, DumpIrWritesToStderr) {
  GraphBuilder b(65);
  yolo_bottleneck(b);
  PipelineOptions opts;
  opts.dump_ir = true;
  ::testing::internal::CaptureStderr();
  auto report = optimize_graph(b.g, opts);
  const std::string err = ::testing::internal::GetCapturedStderr();
  ASSERT_TRUE(report.ok());
  EXPECT_NE(err.find("after fuse_conv_act"), std::string::npos);
  EXPECT_NE(err.find("FusedConv"), std::string::npos);
}

}  // namespace
}  // namespace yq::ir
