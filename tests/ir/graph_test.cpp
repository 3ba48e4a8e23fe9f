// SPDX-License-Identifier: Apache-2.0
#include "ir/graph.h"

#include <gtest/gtest.h>

#include <limits>

namespace yq::ir {

TEST(Graph, EdgesStayConsistentThroughEdits) {
  Graph g;
  ValueId x = g.add_value("x", DType::kF32, {1, 4}, true);
  g.add_input(x);
  ValueId a = g.add_value("a");
  ValueId b = g.add_value("b");
  NodeId n1 = g.add_node("Relu", "r1", {x}, {a});
  NodeId n2 = g.add_node("Sigmoid", "s1", {a}, {b});
  g.add_output(b);
  ASSERT_TRUE(g.verify().ok());
  EXPECT_EQ(g.value(a).producer(), n1);
  EXPECT_EQ(g.value(a).consumers(), std::vector<NodeId>{n2});

  // Bypass the Relu: the Sigmoid reads x directly, the Relu becomes dead.
  g.replace_all_uses(a, x);
  g.remove_node(n1);
  EXPECT_EQ(g.sweep_values(), 1);
  ASSERT_TRUE(g.verify().ok()) << g.verify().message();
  EXPECT_EQ(g.live_node_count(), 1u);
  EXPECT_EQ(g.value(x).consumers(), std::vector<NodeId>{n2});
  EXPECT_EQ(g.topo_order(), std::vector<NodeId>{n2});
}

TEST(Graph, VerifyCatchesAnUnproducedRead) {
  Graph g;
  ValueId x = g.add_value("x");
  ValueId y = g.add_value("y");
  g.add_node("Relu", "r", {x}, {y});
  g.add_output(y);
  Status s = g.verify();
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("nothing produces"), std::string::npos);
}

TEST(Graph, TopoOrderRespectsEdgesNotIds) {
  Graph g;
  ValueId x = g.add_value("x");
  g.add_input(x);
  ValueId a = g.add_value("a"), b = g.add_value("b");
  NodeId late = g.add_node("Relu", "late", {a}, {b});
  NodeId early = g.add_node("Relu", "early", {x}, {a});
  g.add_output(b);
  EXPECT_EQ(g.topo_order(), (std::vector<NodeId>{early, late}));
}

// A float attribute read as an int truncates; one outside int64 (a hostile file's axis of 3.7e19,
// found by the ONNX import fuzzer, NaN, infinity) reads as the default instead of an undefined cast.
TEST(Attributes, FloatsNoInt64HoldsReadAsTheDefault) {
  Attributes a;
  a.set("axis", 2.9f);
  EXPECT_EQ(a.get_int("axis", 7), 2);
  a.set("axis", -3.5f);
  EXPECT_EQ(a.get_int("axis", 7), -3);
  for (float f : {3.73619e19f, -3.73619e19f, 0x1p63f, std::numeric_limits<float>::infinity(),
                  std::numeric_limits<float>::quiet_NaN()}) {
    a.set("axis", f);
    EXPECT_EQ(a.get_int("axis", 7), 7) << f;
  }
  a.set("axis", -0x1p63f);  // the lowest int64 is representable
  EXPECT_EQ(a.get_int("axis", 7), std::numeric_limits<int64_t>::min());
}

}  // namespace yq::ir
