// SPDX-License-Identifier: Apache-2.0
#include "ir/passes/merge_repvgg_branches.h"

#include <gtest/gtest.h>

#include "ir/passes/fold_batchnorm.h"
#include "ir/passes/pipeline.h"
#include "pass_test_util.h"

namespace yq::ir {
namespace {

using testing::count_ops;
using testing::GraphBuilder;

// RepVGG training block: relu(bn(conv3x3(x)) + bn(conv1x1(x)) + bn(x)).
ValueId repvgg_block(GraphBuilder& b, ValueId x, int64_t c, int64_t group, bool identity_bn) {
  const ValueId dense = b.bn(b.conv(x, c, 3, 1, 1, group, false));
  const ValueId one = b.bn(b.conv(x, c, 1, 1, 0, group, false));
  const ValueId id = identity_bn ? b.bn(x) : x;
  return b.unary("Relu", b.binary("Add", b.binary("Add", dense, one), id));
}

TEST(MergeRepvggBranches, FullBlockBecomesOneFusedConv) {
  GraphBuilder b(51);
  const ValueId x = b.input("x", {1, 4, 7, 7});
  const ValueId y = repvgg_block(b, x, 4, 1, true);
  b.output(y);
  Graph before = b.g;

  auto report = optimize_graph(b.g);
  ASSERT_TRUE(report.ok()) << report.status().message();
  ASSERT_TRUE(b.g.verify().ok()) << b.g.verify().message();
  EXPECT_EQ(b.g.live_node_count(), 1u);
  EXPECT_EQ(count_ops(b.g, "FusedConv"), 1);
  EXPECT_EQ(report->applied("fold_batchnorm"), 2);
  EXPECT_EQ(report->applied("merge_repvgg_branches"), 1);
  EXPECT_EQ(report->applied("fuse_conv_act"), 1);
  const Node& f = b.g.node(b.g.live_nodes()[0]);
  EXPECT_EQ(f.attrs.get_string("activation", ""), "relu");
  EXPECT_EQ(f.output(0), y);
  EXPECT_EQ(f.input(0), x);
  YQ_REQUIRE_REF_KERNELS();
  testing::expect_same_outputs(before, b.g, 1e-4);
}

TEST(MergeRepvggBranches, GroupedBlockWithBareIdentity) {
  GraphBuilder b(52);
  const ValueId x = b.input("x", {1, 6, 5, 5});
  b.output(repvgg_block(b, x, 6, 3, false));
  Graph before = b.g;
  auto report = optimize_graph(b.g);
  ASSERT_TRUE(report.ok()) << report.status().message();
  EXPECT_EQ(b.g.live_node_count(), 1u);
  YQ_REQUIRE_REF_KERNELS();
  testing::expect_same_outputs(before, b.g, 1e-4);
}

TEST(MergeRepvggBranches, IdentityFirstChainOrderAlsoMerges) {
  GraphBuilder b(53);
  const ValueId x = b.input("x", {1, 4, 5, 5});
  const ValueId one = b.conv(x, 4, 1, 1, 0);
  const ValueId s = b.binary("Add", one, b.bn(x));  // 1x1 + identity first, no 3x3 yet
  const ValueId dense = b.conv(x, 4, 3, 1, 1);
  b.output(b.binary("Add", s, dense));
  Graph before = b.g;
  MergeRepvggBranches pass;
  EXPECT_TRUE(*run_pass_once(b.g, pass));
  ASSERT_TRUE(b.g.verify().ok()) << b.g.verify().message();
  EXPECT_EQ(b.g.live_node_count(), 1u);
  EXPECT_EQ(count_ops(b.g, "Conv"), 1);
  YQ_REQUIRE_REF_KERNELS();
  testing::expect_same_outputs(before, b.g, 1e-4);
}

TEST(MergeRepvggBranches, StridedBlockWithoutIdentity) {
  GraphBuilder b(54);
  const ValueId x = b.input("x", {1, 3, 8, 8});
  b.output(b.binary("Add", b.conv(x, 5, 3, 2, 1), b.conv(x, 5, 1, 2, 0)));
  Graph before = b.g;
  MergeRepvggBranches pass;
  EXPECT_TRUE(*run_pass_once(b.g, pass));
  ASSERT_TRUE(b.g.verify().ok());
  EXPECT_EQ(b.g.live_node_count(), 1u);
  YQ_REQUIRE_REF_KERNELS();
  testing::expect_same_outputs(before, b.g, 1e-4);
}

TEST(MergeRepvggBranches, DeclinesMismatchedStrides) {
  GraphBuilder b(55);
  const ValueId x = b.input("x", {1, 3, 8, 8});
  const ValueId d = b.conv(x, 4, 3, 2, 1);  // 4x4 output
  const ValueId o = b.conv(x, 4, 1, 2, 0);  // 4x4 output too, but set stride below
  const NodeId one = b.last;
  b.g.node(one).attrs.set("strides", std::vector<int64_t>{1, 1});
  b.output(b.binary("Add", d, o));
  MergeRepvggBranches pass;
  EXPECT_FALSE(*run_pass_once(b.g, pass));
  EXPECT_EQ(count_ops(b.g, "Conv"), 2);
}

TEST(MergeRepvggBranches, DeclinesIdentityWhenChannelsDiffer) {
  GraphBuilder b(56);
  const ValueId x = b.input("x", {1, 3, 5, 5});
  const ValueId d = b.conv(x, 3, 3, 1, 1);
  const ValueId o = b.conv(x, 3, 1, 1, 0);
  const ValueId x2 = b.input("x2", {1, 3, 5, 5});  // an "identity" that is not the block input
  b.output(b.binary("Add", b.binary("Add", d, o), x2));
  MergeRepvggBranches pass;
  // The inner Add (3x3 + 1x1) still merges; the outer Add with a foreign tensor does not.
  EXPECT_TRUE(*run_pass_once(b.g, pass));
  EXPECT_EQ(count_ops(b.g, "Add"), 1);
  EXPECT_EQ(count_ops(b.g, "Conv"), 1);
}

TEST(MergeRepvggBranches, DeclinesWhenABranchIsReadElsewhere) {
  GraphBuilder b(57);
  const ValueId x = b.input("x", {1, 4, 5, 5});
  const ValueId d = b.conv(x, 4, 3, 1, 1);
  const ValueId o = b.conv(x, 4, 1, 1, 0);
  b.output(b.binary("Add", d, o));
  b.output(o);
  MergeRepvggBranches pass;
  EXPECT_FALSE(*run_pass_once(b.g, pass));
}

TEST(MergeRepvggBranches, DeclinesTwoOneByOneBranches) {
  GraphBuilder b(58);
  const ValueId x = b.input("x", {1, 4, 5, 5});
  b.output(b.binary("Add", b.conv(x, 4, 1), b.conv(x, 4, 1)));
  MergeRepvggBranches pass;
  EXPECT_FALSE(*run_pass_once(b.g, pass));
}

}  // namespace
}  // namespace yq::ir
