// SPDX-License-Identifier: Apache-2.0
#include "ir/passes/fuse_conv_add.h"

#include <gtest/gtest.h>

#include "ir/passes/fuse_conv_act.h"
#include "pass_test_util.h"

namespace yq::ir {
namespace {

using testing::count_ops;
using testing::GraphBuilder;

// YOLO residual: y = x + silu(conv(x)).
TEST(FuseConvAdd, ResidualAfterTheActivationFuses) {
  GraphBuilder b(41);
  const ValueId x = b.input("x", {1, 4, 6, 6});
  const ValueId c = b.conv(x, 4, 3, 1, 1);
  const NodeId conv = b.last;
  const ValueId a = b.binary("Mul", c, b.unary("Sigmoid", c));
  const ValueId y = b.binary("Add", x, a);
  b.output(y);
  Graph before = b.g;

  FuseConvAct act;
  FuseConvAdd add;
  EXPECT_TRUE(*run_pass_once(b.g, act));
  EXPECT_TRUE(*run_pass_once(b.g, add));
  ASSERT_TRUE(b.g.verify().ok()) << b.g.verify().message();
  EXPECT_EQ(b.g.live_node_count(), 1u);
  const Node& f = b.g.node(conv);
  EXPECT_EQ(f.attrs.get_string("activation", ""), "silu");
  EXPECT_EQ(f.input(3), x);
  EXPECT_EQ(f.output(0), y);
  YQ_REQUIRE_REF_KERNELS();
  testing::expect_same_outputs(before, b.g, 1e-6);
}

TEST(FuseConvAdd, PlainConvWithoutBiasGetsAnEmptyBiasSlot) {
  GraphBuilder b(42);
  const ValueId x = b.input("x", {1, 3, 5, 5});
  const ValueId r = b.input("r", {1, 4, 5, 5});
  const ValueId c = b.conv(x, 4, 3, 1, 1, 1, /*bias=*/false);
  const NodeId conv = b.last;
  b.output(b.binary("Add", c, r));
  Graph before = b.g;
  FuseConvAdd pass;
  EXPECT_TRUE(*run_pass_once(b.g, pass));
  ASSERT_TRUE(b.g.verify().ok()) << b.g.verify().message();
  const Node& f = b.g.node(conv);
  EXPECT_EQ(f.op_type, "FusedConv");
  ASSERT_EQ(f.inputs().size(), 4u);
  EXPECT_EQ(f.input(2), kNoValue);
  EXPECT_EQ(f.input(3), r);
  EXPECT_EQ(f.attrs.get_string("activation", "?"), "");
  YQ_REQUIRE_REF_KERNELS();
  testing::expect_same_outputs(before, b.g, 1e-6);
}

TEST(FuseConvAdd, DeclinesABroadcastResidual) {
  GraphBuilder b(43);
  const ValueId x = b.input("x", {1, 3, 5, 5});
  const ValueId r = b.input("r", {1, 4, 1, 1});
  const ValueId c = b.conv(x, 4, 3, 1, 1);
  b.output(b.binary("Add", c, r));
  FuseConvAdd pass;
  EXPECT_FALSE(pass.match(b.g, b.last));
  EXPECT_FALSE(*run_pass_once(b.g, pass));
}

TEST(FuseConvAdd, DeclinesWhenTheConvOutputHasAnotherReader) {
  GraphBuilder b(44);
  const ValueId x = b.input("x", {1, 4, 5, 5});
  const ValueId c = b.conv(x, 4, 3, 1, 1);
  b.output(b.binary("Add", c, x));
  b.output(b.unary("Relu", c));
  FuseConvAdd pass;
  EXPECT_FALSE(*run_pass_once(b.g, pass));
}

// relu(conv(x) + r): the Add fuses, but the activation after it must not (FusedConv applies its
// activation before R), so the graph stays correct.
TEST(FuseConvAdd, ActivationAfterTheAddIsNotPulledIn) {
  GraphBuilder b(45);
  const ValueId x = b.input("x", {1, 4, 5, 5});
  const ValueId c = b.conv(x, 4, 3, 1, 1);
  b.output(b.unary("Relu", b.binary("Add", c, x)));
  Graph before = b.g;
  FuseConvAct act;
  FuseConvAdd add;
  EXPECT_FALSE(*run_pass_once(b.g, act));
  EXPECT_TRUE(*run_pass_once(b.g, add));
  EXPECT_FALSE(*run_pass_once(b.g, act));
  ASSERT_TRUE(b.g.verify().ok());
  EXPECT_EQ(count_ops(b.g, "Relu"), 1);
  EXPECT_EQ(count_ops(b.g, "FusedConv"), 1);
  YQ_REQUIRE_REF_KERNELS();
  testing::expect_same_outputs(before, b.g, 1e-6);
}

TEST(FuseConvAdd, SecondResidualDoesNotFuse) {
  GraphBuilder b(46);
  const ValueId x = b.input("x", {1, 4, 5, 5});
  const ValueId c = b.conv(x, 4, 3, 1, 1);
  b.output(b.binary("Add", b.binary("Add", c, x), x));
  FuseConvAdd pass;
  EXPECT_TRUE(*run_pass_once(b.g, pass));
  EXPECT_EQ(count_ops(b.g, "Add"), 1);  // the outer Add reads a FusedConv that already has R
  EXPECT_FALSE(*run_pass_once(b.g, pass));
}

}  // namespace
}  // namespace yq::ir
