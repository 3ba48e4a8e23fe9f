// SPDX-License-Identifier: Apache-2.0
// fuse_conv_channel_scale, and FusedConv's channel scale S through the reference kernel and the
// export expansion (unfuse_for_export writes S as a Mul by a [1, M, 1, 1] constant).
#include "ir/passes/fuse_conv_channel_scale.h"

#include <gtest/gtest.h>

#include "ir/passes/fuse_conv_act.h"
#include "ir/passes/fuse_conv_add.h"
#include "ir/passes/pattern_utils.h"
#include "ir/passes/unfuse_for_export.h"
#include "pass_test_util.h"

namespace yq::ir {
namespace {

using testing::count_ops;
using testing::GraphBuilder;

Tensor channel_factors(const Shape& shape) {
  Tensor t = Tensor::empty(DType::kF32, shape);
  const float f[] = {0.5f, 3.f, 40.f, 0.125f};
  for (int64_t i = 0; i < t.numel(); ++i) t.data<float>()[i] = f[i % 4];
  return t;
}

// y = silu(conv(x)) * s, s of shape [1, 4, 1, 1]: S becomes input 4 (after the activation).
TEST(FuseConvChannelScale, AfterAnActivationBecomesTheChannelScaleInput) {
  GraphBuilder b(61);
  const ValueId x = b.input("x", {1, 3, 6, 6});
  const ValueId c = b.conv(x, 4, 3, 1, 1);
  const NodeId conv = b.last;
  const ValueId a = b.binary("Mul", c, b.unary("Sigmoid", c));
  const ValueId y = b.binary("Mul", a, b.constant(channel_factors({1, 4, 1, 1})));
  b.output(y);
  Graph before = b.g;
  FuseConvAct act;
  FuseConvChannelScale scale;
  EXPECT_EQ(*run_pass_once(b.g, act), 1);
  EXPECT_EQ(*run_pass_once(b.g, scale), 1);
  ASSERT_TRUE(b.g.verify().ok()) << b.g.verify().message();
  EXPECT_EQ(b.g.live_node_count(), 1u);
  const Node& f = b.g.node(conv);
  EXPECT_EQ(f.attrs.get_string("activation", ""), "silu");
  EXPECT_EQ(f.input(3), kNoValue);
  ASSERT_NE(f.input(4), kNoValue);
  const Tensor* s = constant_f32(b.g, f.input(4));
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(s->shape(), (Shape{4}));
  EXPECT_FLOAT_EQ(s->data<float>()[2], 40.f);
  EXPECT_EQ(f.output(0), y);
  YQ_REQUIRE_REF_KERNELS();
  testing::expect_same_outputs(before, b.g, 1e-6);
}

// A conv without activation takes the factors into its weight and bias ([4, 1, 1] form).
TEST(FuseConvChannelScale, LinearConvTakesTheFactorsIntoItsWeights) {
  GraphBuilder b(62);
  const ValueId x = b.input("x", {1, 3, 6, 6});
  const ValueId c = b.conv(x, 4, 3, 1, 1);
  const NodeId conv = b.last;
  const ValueId w0 = b.g.node(conv).input(1);
  const ValueId y = b.binary("Mul", b.constant(channel_factors({4, 1, 1})), c);
  b.output(y);
  Graph before = b.g;
  FuseConvChannelScale scale;
  EXPECT_EQ(*run_pass_once(b.g, scale), 1);
  ASSERT_TRUE(b.g.verify().ok()) << b.g.verify().message();
  const Node& f = b.g.node(conv);
  EXPECT_EQ(f.op_type, "Conv");
  EXPECT_EQ(f.input(4), kNoValue);
  EXPECT_NE(f.input(1), w0);  // a new, scaled weight
  EXPECT_EQ(f.output(0), y);
  YQ_REQUIRE_REF_KERNELS();
  testing::expect_same_outputs(before, b.g, 1e-6);
}

// Not per channel (a [4] constant broadcasts along W), or the conv output read twice: no match.
TEST(FuseConvChannelScale, DeclinesOtherBroadcastsAndSharedOutputs) {
  GraphBuilder b(63);
  const ValueId x = b.input("x", {1, 3, 4, 4});
  const ValueId c = b.conv(x, 4, 3, 1, 1);
  b.output(b.binary("Mul", c, b.constant(channel_factors({4}))));
  FuseConvChannelScale scale;
  EXPECT_EQ(*run_pass_once(b.g, scale), 0);

  GraphBuilder b2(64);
  const ValueId x2 = b2.input("x", {1, 3, 4, 4});
  const ValueId c2 = b2.conv(x2, 4, 3, 1, 1);
  b2.output(b2.binary("Mul", c2, b2.constant(channel_factors({1, 4, 1, 1}))));
  b2.output(c2);
  EXPECT_EQ(*run_pass_once(b2.g, scale), 0);
}

// FusedConv(silu, S, R) expands to Conv, Sigmoid, Mul, Mul by [1, 4, 1, 1], Add, computing the
// same; the import passes fold it back into one FusedConv.
TEST(FuseConvChannelScale, ExportExpansionRoundTrips) {
  GraphBuilder b(65);
  const ValueId x = b.input("x", {1, 4, 5, 5});
  const ValueId c = b.conv(x, 4, 3, 1, 1);
  const NodeId conv = b.last;
  const ValueId a = b.binary("Mul", c, b.unary("Sigmoid", c));
  const ValueId y = b.binary("Add", b.binary("Mul", a, b.constant(channel_factors({1, 4, 1, 1}))), x);
  b.output(y);
  Graph original = b.g;
  FuseConvAct act;
  FuseConvChannelScale scale;
  FuseConvAdd add;
  EXPECT_EQ(*run_pass_once(b.g, act), 1);
  EXPECT_EQ(*run_pass_once(b.g, scale), 1);
  EXPECT_EQ(*run_pass_once(b.g, add), 1);
  ASSERT_EQ(b.g.live_node_count(), 1u);
  EXPECT_NE(b.g.node(conv).input(3), kNoValue);
  EXPECT_NE(b.g.node(conv).input(4), kNoValue);
  Graph fused = b.g;
  UnfuseForExport unfuse;
  EXPECT_EQ(*run_pass_once(b.g, unfuse), 1);
  ASSERT_TRUE(b.g.verify().ok()) << b.g.verify().message();
  EXPECT_EQ(count_ops(b.g, "Conv"), 1);
  EXPECT_EQ(count_ops(b.g, "Sigmoid"), 1);
  EXPECT_EQ(count_ops(b.g, "Mul"), 2);
  EXPECT_EQ(count_ops(b.g, "Add"), 1);
  EXPECT_EQ(count_ops(b.g, "FusedConv"), 0);
  Graph expanded = b.g;
  EXPECT_EQ(*run_pass_once(b.g, act), 1);
  EXPECT_EQ(*run_pass_once(b.g, scale), 1);
  EXPECT_EQ(*run_pass_once(b.g, add), 1);
  EXPECT_EQ(b.g.live_node_count(), 1u);
  YQ_REQUIRE_REF_KERNELS();
  testing::expect_same_outputs(original, fused, 1e-6);
  testing::expect_same_outputs(original, expanded, 1e-6);
  testing::expect_same_outputs(original, b.g, 1e-6);
}

}  // namespace
}  // namespace yq::ir
