// SPDX-License-Identifier: Apache-2.0
#include "ir/passes/fold_space_to_depth_conv.h"

#include <gtest/gtest.h>

#include "ir/passes/eliminate_dead_nodes.h"
#include "pass_test_util.h"

namespace yq::ir {
namespace {

using testing::count_ops;
using testing::GraphBuilder;

// x[..., dy::2, dx::2] as two Slices (YOLOX's export) or one Slice over both axes.
ValueId phase(GraphBuilder& b, ValueId x, int dy, int dx, bool one_slice, int64_t end = int64_t{1} << 62) {
  Shape s = b.g.value(x).shape;
  if (one_slice) {
    Shape o{s[0], s[1], s[2] / 2, s[3] / 2};
    return b.node("Slice", {x, b.ints({dy, dx}), b.ints({end, end}), b.ints({2, 3}), b.ints({2, 2})}, o);
  }
  const ValueId rows = b.node("Slice", {x, b.ints({dy}), b.ints({end}), b.ints({2}), b.ints({2})},
                              Shape{s[0], s[1], s[2] / 2, s[3]});
  return b.node("Slice", {rows, b.ints({dx}), b.ints({end}), b.ints({3}), b.ints({2})},
                Shape{s[0], s[1], s[2] / 2, s[3] / 2});
}

struct FocusCase {
  int64_t k, stride, pad;
  bool one_slice;
  std::array<int, 4> order;  // phase (dy*2+dx) at each Concat position
};

ValueId focus(GraphBuilder& b, ValueId x, const FocusCase& p) {
  std::vector<ValueId> parts;
  for (int ph : p.order) parts.push_back(phase(b, x, ph / 2, ph % 2, p.one_slice));
  Shape s = b.g.value(parts[0]).shape;
  s[1] *= 4;
  Attributes a;
  a.set("axis", int64_t{1});
  return b.node("Concat", parts, s, a);
}

class FoldSpaceToDepthConvCases : public ::testing::TestWithParam<FocusCase> {};

TEST_P(FoldSpaceToDepthConvCases, BecomesOneStridedConvWithTheSameOutputs) {
  const FocusCase p = GetParam();
  GraphBuilder b(21);
  const ValueId x = b.input("x", {1, 3, 12, 10});
  const ValueId y = b.conv(focus(b, x, p), 5, p.k, p.stride, p.pad);
  const NodeId conv = b.last;
  b.output(y);
  Graph before = b.g;

  FoldSpaceToDepthConv pass;
  EXPECT_TRUE(pass.match(b.g, conv));
  EXPECT_TRUE(*run_pass_once(b.g, pass));
  EliminateDeadNodes dce;
  ASSERT_TRUE(run_pass_once(b.g, dce).ok());
  ASSERT_TRUE(b.g.verify().ok()) << b.g.verify().message();
  EXPECT_EQ(count_ops(b.g, "Slice"), 0);
  EXPECT_EQ(count_ops(b.g, "Concat"), 0);
  EXPECT_EQ(b.g.node(conv).input(0), x);
  EXPECT_EQ(b.g.node(conv).attrs.get_ints("kernel_shape"), (std::vector<int64_t>{2 * p.k, 2 * p.k}));

  YQ_REQUIRE_REF_KERNELS();
  testing::expect_same_outputs(before, b.g, 1e-5);
}

INSTANTIATE_TEST_SUITE_P(Stems, FoldSpaceToDepthConvCases,
                         ::testing::Values(FocusCase{3, 1, 1, false, {0, 2, 1, 3}},  // YOLOX / YOLOv5 order
                                           FocusCase{3, 2, 1, true, {3, 1, 2, 0}},
                                           FocusCase{1, 1, 0, false, {0, 1, 2, 3}}));

TEST(FoldSpaceToDepthConv, DeclinesAPhaseTakenTwice) {
  GraphBuilder b(22);
  const ValueId x = b.input("x", {1, 3, 8, 8});
  b.output(b.conv(focus(b, x, {3, 1, 1, false, {0, 2, 2, 3}}), 4, 3, 1, 1));
  FoldSpaceToDepthConv pass;
  EXPECT_FALSE(pass.match(b.g, b.last));
}

TEST(FoldSpaceToDepthConv, DeclinesASliceThatStopsShortOfTheEnd) {
  GraphBuilder b(23);
  const ValueId x = b.input("x", {1, 3, 8, 8});
  std::vector<ValueId> parts;
  for (int ph = 0; ph < 4; ++ph) parts.push_back(phase(b, x, ph / 2, ph % 2, true, ph == 3 ? 6 : 8));
  Attributes a;
  a.set("axis", int64_t{1});
  const ValueId cat = b.node("Concat", parts, Shape{1, 12, 4, 4}, a);
  b.output(b.conv(cat, 4, 3, 1, 1));
  FoldSpaceToDepthConv pass;
  EXPECT_FALSE(pass.match(b.g, b.last));
}

TEST(FoldSpaceToDepthConv, DeclinesWhenTheStackedTensorHasAnotherReader) {
  GraphBuilder b(24);
  const ValueId x = b.input("x", {1, 3, 8, 8});
  const ValueId cat = focus(b, x, {3, 1, 1, false, {0, 2, 1, 3}});
  b.output(b.conv(cat, 4, 3, 1, 1));
  const NodeId conv = b.last;
  b.output(b.unary("Relu", cat));
  FoldSpaceToDepthConv pass;
  EXPECT_FALSE(pass.match(b.g, conv));
}

}  // namespace
}  // namespace yq::ir
