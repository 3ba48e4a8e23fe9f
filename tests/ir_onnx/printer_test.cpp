// SPDX-License-Identifier: Apache-2.0
#include "ir/printer.h"

#include <gtest/gtest.h>

#include <sstream>

#include "ir/onnx/onnx_import.h"
#include "onnx_test_util.h"

namespace yq::ir {
namespace {

std::vector<std::string> lines(const std::string& s) {
  std::vector<std::string> out;
  std::istringstream is(s);
  for (std::string l; std::getline(is, l);) out.push_back(l);
  return out;
}

TEST(Printer, ConvReluFixture) {
  auto g = import_onnx_file(testing::fixture("conv_relu.onnx"));
  ASSERT_TRUE(g.ok()) << g.status().message();
  const auto ls = lines(print_graph(*g));
  // header, 1 input, 3 nodes, 1 output
  ASSERT_EQ(ls.size(), 6u) << print_graph(*g);
  EXPECT_EQ(ls[0], "graph conv_relu (opset 13)");
  EXPECT_EQ(ls[1], "input %x:[1,3,8,8]");
  EXPECT_EQ(ls[2],
            "%c:[1,4,8,8] = Conv(%x, $conv.w[4,3,3,3], $conv.b[4]) "
            "{group=1, kernel_shape=[3,3], pads=[1,1,1,1], strides=[1,1]}");
  EXPECT_EQ(ls[3], "%r = Relu(%c)");
  EXPECT_EQ(ls[4].find("%y:[1,4,8,8] = Add(%r, $half[])"), 0u) << ls[4];
  EXPECT_EQ(ls[5], "output %y");
}

TEST(Printer, DomainDtypeOmittedInputsAndLongLists) {
  Graph g;
  const ValueId x = g.add_value("x", DType::kF32, {2}, true);
  g.add_input(x);
  const ValueId s = g.add_value("s", DType::kI64, {1}, true);
  std::vector<int64_t> many(20, 1);
  Attributes a;
  a.set("many", many);
  a.set("alpha", 0.1f);
  a.set("mode", std::string("nearest"));
  a.set("t", Tensor::from_vector<int64_t>({1, 2}, {2}));
  const NodeId n = g.add_node("FusedConv", "f", {x, kNoValue, x}, {s}, a);
  g.node(n).domain = "yq";
  g.add_output(s);
  const std::string line = print_node(g, n);
  EXPECT_EQ(line,
            "%s:i64[1] = yq.FusedConv(%x, _, %x) {alpha=0.1, many=[1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,...(20)], "
            "mode=\"nearest\", t=tensor<i64[2]>}");
}

}  // namespace
}  // namespace yq::ir
