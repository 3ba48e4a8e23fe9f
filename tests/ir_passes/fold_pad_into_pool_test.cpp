// SPDX-License-Identifier: Apache-2.0
#include "ir/passes/fold_pad_into_pool.h"

#include <gtest/gtest.h>

#include "pass_test_util.h"

namespace yq::ir {
namespace {

using testing::count_ops;
using testing::GraphBuilder;

// x[1,5,9,8] -> Pad (spatial pads `pads`, ONNX order, constant `value`) -> AveragePool 3x3 s2.
struct PadPool {
  GraphBuilder b{11};
  NodeId pool = kNoNode;
  ValueId x = kNoValue, padded = kNoValue;
  PadPool(const std::vector<int64_t>& pads, float value = 0.f, const std::string& mode = "constant") {
    x = b.input("x", {1, 5, 9, 8});
    Attributes pa;
    pa.set("mode", mode);
    const int64_t h = 9 + pads[2] + pads[6], w = 8 + pads[3] + pads[7];
    Tensor v = Tensor::scalar<float>(value);
    padded = b.node("Pad", {x, b.ints(pads), b.constant(v)}, {1, 5 + pads[1] + pads[5], h, w}, pa);
    Attributes a;
    a.set("kernel_shape", std::vector<int64_t>{3, 3});
    a.set("strides", std::vector<int64_t>{2, 2});
    const ValueId y = b.node("AveragePool", {padded}, {1, 5 + pads[1] + pads[5], (h - 3) / 2 + 1, (w - 3) / 2 + 1}, a);
    pool = b.last;
    b.output(y);
  }
};

TEST(FoldPadIntoPool, ZeroPadBecomesThePoolsOwnPaddingCountingThePads) {
  PadPool t({0, 0, 1, 2, 0, 0, 1, 0});  // top 1, left 2, bottom 1, right 0
  const Graph before = t.b.g;
  FoldPadIntoPool pass;
  ASSERT_TRUE(pass.match(t.b.g, t.pool));
  auto changed = run_pass_once(t.b.g, pass);
  ASSERT_TRUE(changed.ok()) << changed.status().message();
  EXPECT_EQ(*changed, 1);
  const Node& pool = t.b.g.node(t.pool);
  EXPECT_EQ(pool.input(0), t.x);
  EXPECT_EQ(pool.attrs.get_ints("pads", {}), (std::vector<int64_t>{1, 2, 1, 0}));
  EXPECT_EQ(pool.attrs.get_int("count_include_pad", 0), 1);
  testing::expect_same_outputs(before, t.b.g, 1e-6);
}

TEST(FoldPadIntoPool, LeavesWhatIsNotAZeroSpatialPad) {
  FoldPadIntoPool pass;
  PadPool nonzero({0, 0, 1, 1, 0, 0, 1, 1}, 0.5f);
  EXPECT_FALSE(pass.match(nonzero.b.g, nonzero.pool));
  PadPool reflect({0, 0, 1, 1, 0, 0, 1, 1}, 0.f, "reflect");
  EXPECT_FALSE(pass.match(reflect.b.g, reflect.pool));
  PadPool channels({0, 1, 1, 1, 0, 0, 1, 1});  // pads a channel
  EXPECT_FALSE(pass.match(channels.b.g, channels.pool));
  PadPool read_twice({0, 0, 1, 1, 0, 0, 1, 1});  // the padded tensor is also an output
  read_twice.b.output(read_twice.padded);
  EXPECT_FALSE(pass.match(read_twice.b.g, read_twice.pool));
  PadPool ceil({0, 0, 1, 1, 0, 0, 1, 1});
  ceil.b.g.node(ceil.pool).attrs.set("ceil_mode", int64_t{1});
  EXPECT_FALSE(pass.match(ceil.b.g, ceil.pool));
}

}  // namespace
}  // namespace yq::ir
