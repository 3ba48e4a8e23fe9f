// SPDX-License-Identifier: Apache-2.0
// fold_constants, eliminate_dead_nodes, remove_identity.
#include <gtest/gtest.h>

#include "ir/passes/eliminate_dead_nodes.h"
#include "ir/passes/fold_constants.h"
#include "ir/passes/remove_identity.h"
#include "pass_test_util.h"

namespace yq::ir {
namespace {

using testing::count_ops;
using testing::GraphBuilder;

TEST(FoldConstants, RemovesNodesWhoseOutputsAreConstant) {
  GraphBuilder b(1);
  const ValueId x = b.input("x", {1, 4, 3, 3});
  const Tensor c = b.random({1, 4, 3, 3});
  const ValueId r = b.unary("Relu", b.constant(c));
  const NodeId relu = b.last;
  const ValueId y = b.binary("Add", x, r);
  b.output(y);
  Graph before = b.g;
  // What shape inference with an evaluator would have stored: relu(c).
  Tensor folded = c.clone();
  for (int64_t i = 0; i < folded.numel(); ++i) folded.data<float>()[i] = std::max(0.0f, folded.data<float>()[i]);
  b.g.value(r).constant = folded;

  FoldConstants pass;
  EXPECT_FALSE(pass.match(b.g, b.last));  // the Add reads a graph input
  auto changed = run_pass_once(b.g, pass);
  ASSERT_TRUE(changed.ok());
  EXPECT_TRUE(*changed);
  EXPECT_FALSE(b.g.node(relu).alive());
  EXPECT_EQ(count_ops(b.g, "Add"), 1);
  EXPECT_EQ(b.g.live_node_count(), 1u);
  ASSERT_TRUE(b.g.verify().ok()) << b.g.verify().message();
  // The Add still reads the same Value, now a constant without a producer.
  EXPECT_EQ(b.g.node(b.last).input(1), r);

  YQ_REQUIRE_REF_KERNELS();
  testing::expect_same_outputs(before, b.g, 1e-6);
}

TEST(FoldConstants, KeepsNodesWithANonConstantOutput) {
  GraphBuilder b(2);
  const ValueId x = b.input("x", {1, 2});
  b.output(b.unary("Relu", x));
  FoldConstants pass;
  EXPECT_FALSE(pass.match(b.g, b.last));
  EXPECT_FALSE(*run_pass_once(b.g, pass));
}

TEST(EliminateDeadNodes, RemovesAWholeDeadChainInOneRun) {
  GraphBuilder b(3);
  const ValueId x = b.input("x", {1, 4});
  const ValueId a = b.unary("Relu", x);
  b.unary("Sigmoid", b.unary("Tanh", a));  // dead chain: Relu -> Tanh -> Sigmoid
  b.output(b.unary("Neg", x));
  EliminateDeadNodes pass;
  auto changed = run_pass_once(b.g, pass);
  ASSERT_TRUE(changed.ok());
  EXPECT_TRUE(*changed);
  EXPECT_EQ(b.g.live_node_count(), 1u);
  EXPECT_EQ(count_ops(b.g, "Neg"), 1);
  ASSERT_TRUE(b.g.verify().ok());
  EXPECT_EQ(b.g.sweep_values(), 3);
}

TEST(EliminateDeadNodes, KeepsNodesFeedingGraphOutputsOrOtherNodes) {
  GraphBuilder b(4);
  const ValueId x = b.input("x", {1, 4});
  const ValueId a = b.unary("Relu", x);
  b.output(a);
  b.output(b.unary("Tanh", a));
  EliminateDeadNodes pass;
  EXPECT_FALSE(*run_pass_once(b.g, pass));
  EXPECT_EQ(b.g.live_node_count(), 2u);
}

TEST(RemoveIdentity, BypassesAnInnerIdentity) {
  GraphBuilder b(5);
  const ValueId x = b.input("x", {1, 4});
  const ValueId a = b.unary("Relu", x);
  const ValueId i = b.unary("Identity", a);
  b.output(b.unary("Sigmoid", i));
  const NodeId sig = b.last;
  Graph before = b.g;
  RemoveIdentity pass;
  EXPECT_TRUE(*run_pass_once(b.g, pass));
  EXPECT_EQ(count_ops(b.g, "Identity"), 0);
  EXPECT_EQ(b.g.node(sig).input(0), a);
  ASSERT_TRUE(b.g.verify().ok());
  YQ_REQUIRE_REF_KERNELS();
  testing::expect_same_outputs(before, b.g, 0.0);
}

TEST(RemoveIdentity, GraphOutputKeepsItsNameThroughTheProducer) {
  GraphBuilder b(6);
  const ValueId x = b.input("x", {1, 4});
  const ValueId a = b.unary("Relu", x);
  const NodeId relu = b.last;
  const ValueId other = b.unary("Tanh", a);  // a second reader of a
  const NodeId tanh = b.last;
  const ValueId y = b.unary("Identity", a);
  b.output(y);
  b.output(other);
  const std::string out_name = b.g.value(y).name;
  RemoveIdentity pass;
  EXPECT_TRUE(*run_pass_once(b.g, pass));
  ASSERT_TRUE(b.g.verify().ok()) << b.g.verify().message();
  EXPECT_EQ(count_ops(b.g, "Identity"), 0);
  EXPECT_EQ(b.g.node(relu).output(0), y);
  EXPECT_EQ(b.g.value(b.g.outputs()[0]).name, out_name);
  EXPECT_EQ(b.g.node(tanh).input(0), y);
}

TEST(RemoveIdentity, KeepsIdentityFromAGraphInputToAGraphOutput) {
  GraphBuilder b(7);
  const ValueId x = b.input("x", {1, 4});
  b.output(b.unary("Identity", x));
  RemoveIdentity pass;
  EXPECT_FALSE(pass.match(b.g, b.last));
  EXPECT_FALSE(*run_pass_once(b.g, pass));
}

TEST(RemoveIdentity, DropoutOnlyWhenItsMaskIsUnused) {
  GraphBuilder b(8);
  const ValueId x = b.input("x", {1, 4});
  const ValueId a = b.unary("Relu", x);
  const ValueId y = b.g.add_value("drop_y", DType::kF32, {1, 4}, true);
  const ValueId mask = b.g.add_value("drop_mask", DType::kBool, {1, 4}, true);
  const NodeId drop = b.g.add_node("Dropout", "drop", {a}, {y, mask});
  b.output(b.unary("Sigmoid", y));
  RemoveIdentity pass;
  EXPECT_TRUE(pass.match(b.g, drop));  // mask unused
  b.output(mask);
  EXPECT_FALSE(pass.match(b.g, drop));  // mask is now a graph output
  EXPECT_FALSE(*run_pass_once(b.g, pass));
}

TEST(RemoveIdentity, DropoutInTrainingModeStays) {
  GraphBuilder b(9);
  const ValueId x = b.input("x", {1, 4});
  const ValueId a = b.unary("Relu", x);
  const ValueId ratio = b.constant(Tensor::scalar<float>(0.5f));
  const ValueId training = b.constant(Tensor::scalar<bool>(true));
  const ValueId y = b.node("Dropout", {a, ratio, training});
  b.output(b.unary("Sigmoid", y));
  RemoveIdentity pass;
  EXPECT_FALSE(*run_pass_once(b.g, pass));
}

}  // namespace
}  // namespace yq::ir
