// SPDX-License-Identifier: Apache-2.0
#include "ir/passes/hoist_activation_to_conv.h"

#include <gtest/gtest.h>

#include "ir/passes/fuse_conv_act.h"
#include "pass_test_util.h"

namespace yq::ir {
namespace {

using testing::count_ops;
using testing::GraphBuilder;

// YOLOv5's head: conv [1,2*5,4,3] -> Reshape [1,2,5,4,3] -> Transpose(0,1,3,4,2) -> Sigmoid -> Mul.
TEST(HoistActivationToConv, YoloV5HeadSigmoidEndsUpInTheConv) {
  GraphBuilder b(41);
  const ValueId x = b.input("x", {1, 6, 4, 3});
  const ValueId c = b.conv(x, 10, 1);
  const NodeId conv = b.last;
  const ValueId r = b.node("Reshape", {c, b.ints({1, 2, 5, 4, 3})}, Shape{1, 2, 5, 4, 3});
  Attributes ta;
  ta.set("perm", std::vector<int64_t>{0, 1, 3, 4, 2});
  const ValueId t = b.node("Transpose", {r}, Shape{1, 2, 4, 3, 5}, ta);
  const ValueId s = b.unary("Sigmoid", t);
  b.output(b.binary("Mul", s, s));
  Graph before = b.g;

  HoistActivationToConv hoist;
  EXPECT_EQ(*run_pass_once(b.g, hoist), 1);
  FuseConvAct fuse;
  EXPECT_EQ(*run_pass_once(b.g, fuse), 1);
  ASSERT_TRUE(b.g.verify().ok()) << b.g.verify().message();
  EXPECT_EQ(count_ops(b.g, "Sigmoid"), 0);
  EXPECT_EQ(b.g.node(conv).attrs.get_string("activation", ""), "sigmoid");
  YQ_REQUIRE_REF_KERNELS();
  testing::expect_same_outputs(before, b.g, 1e-6);
}

TEST(HoistActivationToConv, DeclinesWhenTheConvOutputHasAnotherReader) {
  GraphBuilder b(42);
  const ValueId x = b.input("x", {1, 4, 3, 3});
  const ValueId c = b.conv(x, 4, 1);
  const ValueId r = b.node("Reshape", {c, b.ints({1, 36})}, Shape{1, 36});
  b.output(b.unary("Sigmoid", r));
  b.output(c);  // the raw conv output is needed too: hoisting would change it
  HoistActivationToConv hoist;
  EXPECT_EQ(*run_pass_once(b.g, hoist), 0);
}

TEST(HoistActivationToConv, DeclinesWithoutAConvBehindTheChain) {
  GraphBuilder b(43);
  const ValueId x = b.input("x", {1, 4, 3, 3});
  const ValueId r = b.node("Reshape", {b.unary("Relu", x), b.ints({1, 36})}, Shape{1, 36});
  b.output(b.unary("Sigmoid", r));
  HoistActivationToConv hoist;
  EXPECT_EQ(*run_pass_once(b.g, hoist), 0);
}

}  // namespace
}  // namespace yq::ir
