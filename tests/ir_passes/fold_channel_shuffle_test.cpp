// SPDX-License-Identifier: Apache-2.0
#include "ir/passes/fold_channel_shuffle.h"

#include <gtest/gtest.h>

#include "ir/passes/eliminate_dead_nodes.h"
#include "pass_test_util.h"

namespace yq::ir {
namespace {

using testing::count_ops;
using testing::GraphBuilder;

ValueId i64_scalar(GraphBuilder& b, int64_t v) {
  Tensor t = Tensor::empty(DType::kI64, {});
  t.data<int64_t>()[0] = v;
  return b.constant(t);
}

ValueId concat(GraphBuilder& b, ValueId a, ValueId c) {
  Shape s = b.g.value(a).shape;
  s[1] += b.g.value(c).shape[1];
  Attributes at;
  at.set("axis", int64_t{1});
  return b.node("Concat", {a, c}, s, at);
}

ValueId transpose(GraphBuilder& b, ValueId x, std::vector<int64_t> perm, Shape out) {
  Attributes a;
  a.set("perm", perm);
  return b.node("Transpose", {x}, out, a);
}

// Runs the fold and dead-code removal; returns how many times the fold fired.
int fold(Graph& g) {
  FoldChannelShuffle pass;
  const int n = *run_pass_once(g, pass);
  EliminateDeadNodes dce;
  EXPECT_TRUE(run_pass_once(g, dce).ok());
  EXPECT_TRUE(g.verify().ok()) << g.verify().message();
  return n;
}

// NanoDet (ShuffleNetV2 as torchvision writes it): Concat -> [N,2,C/2,H,W] -> swap -> [N,C,H,W]
// -> Split in halves.
TEST(FoldChannelShuffle, NanoDetShuffleThenSplitBecomesTwoInterleavingGathers) {
  GraphBuilder b(31);
  const ValueId x1 = b.input("x1", {1, 6, 5, 4});
  const ValueId x2 = b.input("x2", {1, 6, 5, 4});
  const ValueId cat = concat(b, b.unary("Relu", x1), b.unary("Relu", x2));
  const ValueId r5 = b.node("Reshape", {cat, b.ints({1, 2, 6, 5, 4})}, Shape{1, 2, 6, 5, 4});
  const ValueId t = transpose(b, r5, {0, 2, 1, 3, 4}, {1, 6, 2, 5, 4});
  const ValueId r4 = b.node("Reshape", {t, b.ints({1, 12, 5, 4})}, Shape{1, 12, 5, 4});
  Attributes sa;
  sa.set("axis", int64_t{1});
  const ValueId h1 = b.g.add_value("h1", DType::kF32, {1, 6, 5, 4}, true);
  const ValueId h2 = b.g.add_value("h2", DType::kF32, {1, 6, 5, 4}, true);
  b.g.add_node("Split", "split", {r4, b.ints({6, 6})}, {h1, h2}, sa);
  b.output(b.unary("Relu", h1));
  b.output(b.unary("Sigmoid", h2));
  Graph before = b.g;

  EXPECT_EQ(fold(b.g), 1);
  EXPECT_EQ(count_ops(b.g, "Transpose"), 0);
  EXPECT_EQ(count_ops(b.g, "Reshape"), 0);
  EXPECT_EQ(count_ops(b.g, "Split"), 0);
  ASSERT_EQ(count_ops(b.g, "Gather"), 2);
  const Node& g1 = *b.g.producer_of(h1);  // the Gather took over the Split's outputs and names
  EXPECT_EQ(g1.op_type, "Gather");
  EXPECT_EQ(g1.input(0), cat);
  EXPECT_EQ(b.g.value(g1.input(1)).constant->to_int64_vector(), (std::vector<int64_t>{0, 6, 1, 7, 2, 8}));
  EXPECT_EQ(b.g.value(b.g.producer_of(h2)->input(1)).constant->to_int64_vector(),
            (std::vector<int64_t>{3, 9, 4, 10, 5, 11}));
  YQ_REQUIRE_REF_KERNELS();
  testing::expect_same_outputs(before, b.g, 0.0);
}

// FastestDet (the official ShuffleNetV2 code): Concat -> [C/2,2,HW] -> swap -> [2,1,C/2,H,W] -> x[0], x[1].
TEST(FoldChannelShuffle, FastestDetShuffleThenGatherBecomesEvenAndOddChannels) {
  GraphBuilder b(32);
  const ValueId x = b.input("x", {1, 8, 3, 5});
  const ValueId cat = concat(b, b.unary("Relu", x), b.unary("Sigmoid", x));
  const ValueId r3 = b.node("Reshape", {cat, b.ints({8, 2, 15})}, Shape{8, 2, 15});
  const ValueId t = transpose(b, r3, {1, 0, 2}, {2, 8, 15});
  const ValueId r5 = b.node("Reshape", {t, b.ints({2, 1, 8, 3, 5})}, Shape{2, 1, 8, 3, 5});
  Attributes ga;
  ga.set("axis", int64_t{0});
  const ValueId even = b.node("Gather", {r5, i64_scalar(b, 0)}, Shape{1, 8, 3, 5}, ga);
  const ValueId odd = b.node("Gather", {r5, i64_scalar(b, -1)}, Shape{1, 8, 3, 5}, ga);
  b.output(b.unary("Relu", even));
  b.output(b.unary("Relu", odd));
  Graph before = b.g;

  EXPECT_EQ(fold(b.g), 1);
  EXPECT_EQ(count_ops(b.g, "Transpose"), 0);
  ASSERT_EQ(count_ops(b.g, "Gather"), 2);
  EXPECT_EQ(b.g.value(b.g.producer_of(even)->input(1)).constant->to_int64_vector(),
            (std::vector<int64_t>{0, 2, 4, 6, 8, 10, 12, 14}));
  EXPECT_EQ(b.g.value(b.g.producer_of(odd)->input(1)).constant->to_int64_vector(),
            (std::vector<int64_t>{1, 3, 5, 7, 9, 11, 13, 15}));
  YQ_REQUIRE_REF_KERNELS();
  testing::expect_same_outputs(before, b.g, 0.0);
}

TEST(FoldChannelShuffle, DeclinesATransposeThatMovesPixels) {
  GraphBuilder b(33);
  const ValueId x = b.input("x", {1, 4, 3, 3});
  const ValueId t = transpose(b, b.unary("Relu", x), {0, 1, 3, 2}, {1, 4, 3, 3});
  b.output(b.unary("Relu", t));
  EXPECT_EQ(fold(b.g), 0);
  EXPECT_EQ(count_ops(b.g, "Transpose"), 1);
}

TEST(FoldChannelShuffle, DeclinesWhenAnIntermediateIsReadOutsideTheChain) {
  GraphBuilder b(34);
  const ValueId x = b.input("x", {1, 4, 2, 2});
  const ValueId r5 = b.node("Reshape", {b.unary("Relu", x), b.ints({1, 2, 2, 2, 2})}, Shape{1, 2, 2, 2, 2});
  const ValueId t = transpose(b, r5, {0, 2, 1, 3, 4}, {1, 2, 2, 2, 2});
  b.output(b.unary("Relu", t));  // a rank-5 tensor read by a compute op: not a channel selection
  EXPECT_EQ(fold(b.g), 0);
  EXPECT_EQ(count_ops(b.g, "Transpose"), 1);
}

}  // namespace
}  // namespace yq::ir
