// SPDX-License-Identifier: Apache-2.0
#include "ir/passes/push_transpose_through_concat.h"

#include <gtest/gtest.h>

#include "ir/passes/pipeline.h"
#include "pass_test_util.h"

namespace yq::ir {
namespace {

using testing::count_ops;
using testing::GraphBuilder;

// YOLOX's head: per level [1,C,H,W] -> Reshape [1,C,H*W]; Concat over levels on axis `axis`
// (2 or -1); Transpose [0,2,1] -> [1,N,C], the graph output.
struct Head {
  GraphBuilder b{5};
  std::vector<ValueId> levels;
  ValueId cat = kNoValue, out = kNoValue;
  NodeId transpose = kNoNode;
  explicit Head(int64_t axis) {
    const int64_t c = 6;
    for (int64_t hw : {16, 8, 4}) {
      const ValueId x = b.input("level" + std::to_string(hw), {1, c, hw, hw});
      const ValueId r = b.node("Reshape", {x, b.ints({1, c, hw * hw})}, {1, c, hw * hw});
      levels.push_back(r);
    }
    Attributes ca;
    ca.set("axis", axis);
    cat = b.node("Concat", levels, {1, c, 16 * 16 + 8 * 8 + 4 * 4}, ca);
    Attributes ta;
    ta.set("perm", std::vector<int64_t>{0, 2, 1});
    out = b.node("Transpose", {cat}, {1, 16 * 16 + 8 * 8 + 4 * 4, c}, ta);
    transpose = b.last;
    b.output(out);
  }
};

void expect_pushed(Head& h) {
  const Graph before = h.b.g;
  PushTransposeThroughConcat pass;
  ASSERT_TRUE(pass.match(h.b.g, h.transpose));
  auto changed = run_pass_once(h.b.g, pass);
  ASSERT_TRUE(changed.ok()) << changed.status().message();
  EXPECT_EQ(*changed, 1);
  ASSERT_TRUE(h.b.g.verify().ok()) << h.b.g.verify().message();
  EXPECT_EQ(count_ops(h.b.g, "Transpose"), 3);
  EXPECT_EQ(count_ops(h.b.g, "Concat"), 1);
  // The graph output keeps its value (and name); the Concat now joins [1,HW,C] parts on axis 1,
  // each a Transpose of one level's Reshape.
  const Graph& g = h.b.g;
  ASSERT_EQ(g.outputs().size(), 1u);
  EXPECT_EQ(g.outputs()[0], h.out);
  const Node& cat = g.node(g.value(h.out).producer());
  EXPECT_EQ(cat.op_type, "Concat");
  EXPECT_EQ(cat.attrs.get_int("axis", -9), 1);
  ASSERT_EQ(cat.inputs().size(), 3u);
  for (size_t k = 0; k < 3; ++k) {
    const Node& t = g.node(g.value(cat.input(k)).producer());
    EXPECT_EQ(t.op_type, "Transpose");
    EXPECT_EQ(t.input(0), h.levels[k]);
    const Shape& ls = g.value(h.levels[k]).shape;
    EXPECT_EQ(g.value(cat.input(k)).shape, (Shape{1, ls[2], ls[1]}));
  }
  YQ_REQUIRE_REF_KERNELS();
  testing::expect_same_outputs(before, h.b.g, 0.0);
}

TEST(PushTransposeThroughConcat, YoloxHead) {
  Head h(2);
  expect_pushed(h);
}

TEST(PushTransposeThroughConcat, NegativeConcatAxis) {
  Head h(-1);
  expect_pushed(h);
}

TEST(PushTransposeThroughConcat, DeclinesWhenTheConcatHasAnotherReader) {
  Head h(2);
  h.b.output(h.b.unary("Relu", h.cat));
  PushTransposeThroughConcat pass;
  EXPECT_FALSE(pass.match(h.b.g, h.transpose));
  EXPECT_EQ(*run_pass_once(h.b.g, pass), 0);
}

TEST(PushTransposeThroughConcat, DeclinesWhenTheConcatIsAGraphOutput) {
  Head h(2);
  h.b.output(h.cat);
  PushTransposeThroughConcat pass;
  EXPECT_FALSE(pass.match(h.b.g, h.transpose));
}

TEST(PushTransposeThroughConcat, DeclinesAtAQuantizationPoint) {
  Head h(2);
  h.b.g.value(h.cat).qparams = *QParams::per_tensor(0.1f, 0, DType::kI8);
  PushTransposeThroughConcat pass;
  EXPECT_FALSE(pass.match(h.b.g, h.transpose));
}

TEST(PushTransposeThroughConcat, RunsInThePipeline) {
  Head h(2);
  auto rep = optimize_graph(h.b.g);
  ASSERT_TRUE(rep.ok()) << rep.status().message();
  EXPECT_EQ(rep->applied("push_transpose_through_concat"), 1);
  EXPECT_EQ(count_ops(h.b.g, "Transpose"), 3);
}

}  // namespace
}  // namespace yq::ir
