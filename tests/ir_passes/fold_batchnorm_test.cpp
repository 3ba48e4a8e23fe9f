// SPDX-License-Identifier: Apache-2.0
#include "ir/passes/fold_batchnorm.h"

#include <gtest/gtest.h>

#include "pass_test_util.h"

namespace yq::ir {
namespace {

using testing::count_ops;
using testing::GraphBuilder;

struct BnCase {
  int64_t ci, co, k, stride, pad, group;
  bool bias;
};

class FoldBatchnormCases : public ::testing::TestWithParam<BnCase> {};

TEST_P(FoldBatchnormCases, FoldsIntoTheConvAndMatchesNumerically) {
  const BnCase p = GetParam();
  GraphBuilder b(11);
  const ValueId x = b.input("x", {1, p.ci, 7, 7});
  const ValueId c = b.conv(x, p.co, p.k, p.stride, p.pad, p.group, p.bias);
  const NodeId conv = b.last;
  const ValueId y = b.bn(c, 1e-3f);
  b.output(y);
  Graph before = b.g;

  FoldBatchnorm pass;
  EXPECT_TRUE(pass.match(b.g, b.last));
  EXPECT_TRUE(*run_pass_once(b.g, pass));
  ASSERT_TRUE(b.g.verify().ok()) << b.g.verify().message();
  EXPECT_EQ(count_ops(b.g, "BatchNormalization"), 0);
  EXPECT_EQ(b.g.live_node_count(), 1u);
  EXPECT_EQ(b.g.node(conv).output(0), y);  // the BN's output Value survives
  EXPECT_NE(b.g.node(conv).input(2), kNoValue);

  YQ_REQUIRE_REF_KERNELS();
  testing::expect_same_outputs(before, b.g, 1e-5);
}

INSTANTIATE_TEST_SUITE_P(Shapes, FoldBatchnormCases,
                         ::testing::Values(BnCase{3, 5, 3, 1, 1, 1, true}, BnCase{4, 4, 3, 2, 1, 4, true},
                                           BnCase{4, 6, 1, 1, 0, 2, false}));

TEST(FoldBatchnorm, DeclinesWhenTheConvOutputHasAnotherReader) {
  GraphBuilder b(12);
  const ValueId x = b.input("x", {1, 3, 5, 5});
  const ValueId c = b.conv(x, 4, 3, 1, 1);
  b.output(b.bn(c));
  b.output(b.unary("Relu", c));
  FoldBatchnorm pass;
  EXPECT_FALSE(*run_pass_once(b.g, pass));
  EXPECT_EQ(count_ops(b.g, "BatchNormalization"), 1);
}

TEST(FoldBatchnorm, DeclinesNonConstantStatistics) {
  GraphBuilder b(13);
  const ValueId x = b.input("x", {1, 3, 5, 5});
  const ValueId mean = b.input("mean", {4});  // fed at run time
  const ValueId c = b.conv(x, 4, 3, 1, 1);
  const ValueId y = b.bn_with(c, b.constant(b.random({4}, 0.5f, 1.5f)), b.constant(b.random({4})), mean,
                              b.constant(b.random({4}, 0.5f, 2.0f)));
  b.output(y);
  FoldBatchnorm pass;
  EXPECT_FALSE(pass.match(b.g, b.last));
  EXPECT_FALSE(*run_pass_once(b.g, pass));
}

TEST(FoldBatchnorm, StandaloneBatchnormStays) {
  GraphBuilder b(14);
  const ValueId x = b.input("x", {1, 3, 5, 5});
  b.output(b.bn(b.unary("Relu", x)));
  FoldBatchnorm pass;
  EXPECT_FALSE(*run_pass_once(b.g, pass));
  EXPECT_EQ(count_ops(b.g, "BatchNormalization"), 1);
}

TEST(FoldBatchnorm, DeclinesAConvOutputThatIsAGraphOutput) {
  GraphBuilder b(15);
  const ValueId x = b.input("x", {1, 3, 5, 5});
  const ValueId c = b.conv(x, 4, 1);
  b.output(b.bn(c));
  b.output(c);
  FoldBatchnorm pass;
  EXPECT_FALSE(*run_pass_once(b.g, pass));
}

}  // namespace
}  // namespace yq::ir
