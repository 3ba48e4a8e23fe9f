// SPDX-License-Identifier: Apache-2.0
#include "ir/passes/fuse_conv_act.h"

#include <gtest/gtest.h>

#include "pass_test_util.h"

namespace yq::ir {
namespace {

using testing::count_ops;
using testing::GraphBuilder;

Attributes floats(std::initializer_list<std::pair<const char*, float>> kv) {
  Attributes a;
  for (const auto& [k, v] : kv) a.set(k, v);
  return a;
}

struct ActCase {
  const char* name;
  const char* op;
  Attributes attrs;
  const char* expected;
};

class FuseConvActUnary : public ::testing::TestWithParam<ActCase> {};

TEST_P(FuseConvActUnary, FusesAndKeepsTheActivationOutput) {
  const ActCase& p = GetParam();
  GraphBuilder b(21);
  const ValueId x = b.input("x", {1, 3, 6, 6});
  const ValueId c = b.conv(x, 4, 3, 1, 1);
  const NodeId conv = b.last;
  const ValueId y = b.unary(p.op, c, p.attrs);
  b.output(y);
  Graph before = b.g;

  FuseConvAct pass;
  EXPECT_TRUE(*run_pass_once(b.g, pass));
  ASSERT_TRUE(b.g.verify().ok()) << b.g.verify().message();
  EXPECT_EQ(b.g.live_node_count(), 1u);
  const Node& f = b.g.node(conv);
  EXPECT_EQ(f.op_type, "FusedConv");
  EXPECT_EQ(f.domain, "yq");
  EXPECT_EQ(f.attrs.get_string("activation", "?"), p.expected);
  EXPECT_EQ(f.output(0), y);

  YQ_REQUIRE_REF_KERNELS();
  testing::expect_same_outputs(before, b.g, 1e-6);
}

INSTANTIATE_TEST_SUITE_P(
    Activations, FuseConvActUnary,
    ::testing::Values(ActCase{"relu", "Relu", {}, "relu"},
                      ActCase{"leaky", "LeakyRelu", floats({{"alpha", 0.1f}}), "leaky_relu"},
                      ActCase{"sigmoid", "Sigmoid", {}, "sigmoid"}, ActCase{"tanh", "Tanh", {}, "tanh"},
                      ActCase{"hardsigmoid", "HardSigmoid", floats({{"alpha", 0.3f}, {"beta", 0.4f}}), "hardsigmoid"},
                      ActCase{"hardswish", "HardSwish", {}, "hardswish"},
                      ActCase{"clip_attr", "Clip", floats({{"min", 0.0f}, {"max", 6.0f}}), "clip"}),
    [](const ::testing::TestParamInfo<ActCase>& i) { return std::string(i.param.name); });

TEST(FuseConvAct, LeakyReluAlphaIsCarried) {
  GraphBuilder b(22);
  const ValueId x = b.input("x", {1, 2, 4, 4});
  const ValueId c = b.conv(x, 2, 1);
  const NodeId conv = b.last;
  Attributes a;
  a.set("alpha", 0.1f);
  b.output(b.unary("LeakyRelu", c, a));
  FuseConvAct pass;
  EXPECT_TRUE(*run_pass_once(b.g, pass));
  EXPECT_FLOAT_EQ(b.g.node(conv).attrs.get_float("activation_alpha", 0.0f), 0.1f);
}

TEST(FuseConvAct, ClipWithConstantInputsIsRelu6) {
  GraphBuilder b(23);
  const ValueId x = b.input("x", {1, 3, 5, 5});
  const ValueId c = b.conv(x, 4, 3, 1, 1);
  const NodeId conv = b.last;
  const ValueId y = b.node("Clip", {c, b.constant(Tensor::scalar<float>(0.0f)), b.constant(Tensor::scalar<float>(6.0f))});
  b.output(y);
  Graph before = b.g;
  FuseConvAct pass;
  EXPECT_TRUE(*run_pass_once(b.g, pass));
  ASSERT_TRUE(b.g.verify().ok());
  const Node& f = b.g.node(conv);
  EXPECT_EQ(f.attrs.get_string("activation", ""), "clip");
  EXPECT_FLOAT_EQ(f.attrs.get_float("activation_alpha", -1.0f), 0.0f);
  EXPECT_FLOAT_EQ(f.attrs.get_float("activation_beta", -1.0f), 6.0f);
  YQ_REQUIRE_REF_KERNELS();
  testing::expect_same_outputs(before, b.g, 1e-6);
}

TEST(FuseConvAct, ClipWithARuntimeBoundStays) {
  GraphBuilder b(24);
  const ValueId x = b.input("x", {1, 3, 5, 5});
  const ValueId hi = b.input("hi", {});
  const ValueId c = b.conv(x, 4, 3, 1, 1);
  b.output(b.node("Clip", {c, b.constant(Tensor::scalar<float>(0.0f)), hi}));
  FuseConvAct pass;
  EXPECT_FALSE(*run_pass_once(b.g, pass));
}

// SiLU as exported by YOLOX / YOLOv5: Mul(x, Sigmoid(x)), in both Mul input orders.
class FuseConvActSilu : public ::testing::TestWithParam<bool> {};

TEST_P(FuseConvActSilu, MulOfSigmoidBecomesSilu) {
  const bool x_first = GetParam();
  GraphBuilder b(25);
  const ValueId x = b.input("x", {1, 3, 6, 6});
  const ValueId c = b.conv(x, 4, 3, 2, 1);
  const NodeId conv = b.last;
  const ValueId s = b.unary("Sigmoid", c);
  const ValueId y = x_first ? b.binary("Mul", c, s) : b.binary("Mul", s, c);
  b.output(y);
  Graph before = b.g;
  FuseConvAct pass;
  EXPECT_TRUE(*run_pass_once(b.g, pass));
  ASSERT_TRUE(b.g.verify().ok()) << b.g.verify().message();
  EXPECT_EQ(b.g.live_node_count(), 1u);
  EXPECT_EQ(b.g.node(conv).attrs.get_string("activation", ""), "silu");
  EXPECT_EQ(b.g.node(conv).output(0), y);
  YQ_REQUIRE_REF_KERNELS();
  testing::expect_same_outputs(before, b.g, 1e-6);
}

INSTANTIATE_TEST_SUITE_P(MulOrder, FuseConvActSilu, ::testing::Bool());

TEST(FuseConvAct, MulOfHardSigmoidSixthBecomesHardswish) {
  GraphBuilder b(26);
  const ValueId x = b.input("x", {1, 4, 5, 5});
  const ValueId c = b.conv(x, 4, 3, 1, 1, 4);  // depthwise, as in YOLOv6Lite
  const NodeId conv = b.last;
  Attributes a;
  a.set("alpha", 1.0f / 6.0f);
  a.set("beta", 0.5f);
  const ValueId y = b.binary("Mul", c, b.unary("HardSigmoid", c, a));
  b.output(y);
  Graph before = b.g;
  FuseConvAct pass;
  EXPECT_TRUE(*run_pass_once(b.g, pass));
  ASSERT_TRUE(b.g.verify().ok());
  EXPECT_EQ(b.g.live_node_count(), 1u);
  EXPECT_EQ(b.g.node(conv).attrs.get_string("activation", ""), "hardswish");
  YQ_REQUIRE_REF_KERNELS();
  testing::expect_same_outputs(before, b.g, 1e-6);
}

TEST(FuseConvAct, MulOfOtherHardSigmoidStays) {
  GraphBuilder b(27);
  const ValueId x = b.input("x", {1, 4, 5, 5});
  const ValueId c = b.conv(x, 4, 1);
  b.output(b.binary("Mul", c, b.unary("HardSigmoid", c)));  // ONNX default alpha 0.2
  FuseConvAct pass;
  EXPECT_FALSE(*run_pass_once(b.g, pass));
  EXPECT_EQ(count_ops(b.g, "Conv"), 1);
}

TEST(FuseConvAct, DeclinesWhenConvOutputHasTwoReaders) {
  GraphBuilder b(28);
  const ValueId x = b.input("x", {1, 3, 5, 5});
  const ValueId c = b.conv(x, 4, 3, 1, 1);
  b.output(b.unary("Relu", c));
  b.output(b.unary("Tanh", c));
  FuseConvAct pass;
  EXPECT_FALSE(*run_pass_once(b.g, pass));
  EXPECT_EQ(count_ops(b.g, "FusedConv"), 0);
}

TEST(FuseConvAct, DeclinesWhenConvOutputIsAGraphOutput) {
  GraphBuilder b(29);
  const ValueId x = b.input("x", {1, 3, 5, 5});
  const ValueId c = b.conv(x, 4, 3, 1, 1);
  b.output(b.unary("Relu", c));
  b.output(c);
  FuseConvAct pass;
  EXPECT_FALSE(*run_pass_once(b.g, pass));
}

TEST(FuseConvAct, SiluDeclinesWhenTheSigmoidIsReadElsewhere) {
  GraphBuilder b(30);
  const ValueId x = b.input("x", {1, 3, 5, 5});
  const ValueId c = b.conv(x, 4, 3, 1, 1);
  const ValueId s = b.unary("Sigmoid", c);
  b.output(b.binary("Mul", c, s));
  b.output(s);
  FuseConvAct pass;
  EXPECT_FALSE(*run_pass_once(b.g, pass));
  EXPECT_EQ(count_ops(b.g, "Conv"), 1);
}

TEST(FuseConvAct, SiluDeclinesWhenTheConvOutputHasAThirdReader) {
  GraphBuilder b(31);
  const ValueId x = b.input("x", {1, 3, 5, 5});
  const ValueId c = b.conv(x, 4, 3, 1, 1);
  b.output(b.binary("Mul", c, b.unary("Sigmoid", c)));
  b.output(b.unary("Relu", c));
  FuseConvAct pass;
  EXPECT_FALSE(*run_pass_once(b.g, pass));
}


// A quantized pre-activation (a QDQ model with Q/DQ between the conv and its SiLU, as yoloq's
// table-activation exports are) must stay a value: Sigmoid + Mul become one yq Activation that
// reads it, and the conv keeps no activation.
TEST(FuseConvAct, SiluOnAQuantizedConvOutputBecomesAnActivationNode) {
  GraphBuilder b(32);
  const ValueId x = b.input("x", {1, 3, 5, 5});
  const ValueId c = b.conv(x, 4, 3, 1, 1);
  const NodeId conv = b.last;
  const ValueId y = b.binary("Mul", c, b.unary("Sigmoid", c));
  b.output(y);
  b.g.value(c).qparams = *QParams::per_tensor(0.05f, 0);
  FuseConvAct pass;
  EXPECT_EQ(*run_pass_once(b.g, pass), 1);
  ASSERT_TRUE(b.g.verify().ok()) << b.g.verify().message();
  EXPECT_EQ(b.g.node(conv).op_type, "Conv");
  ASSERT_NE(b.g.producer_of(y), nullptr);
  const Node& act = *b.g.producer_of(y);
  EXPECT_EQ(act.op_type, "Activation");
  EXPECT_EQ(act.domain, "yq");
  EXPECT_EQ(act.attrs.get_string("activation", ""), "silu");
  EXPECT_EQ(act.input(0), c);
  EXPECT_EQ(count_ops(b.g, "Sigmoid") + count_ops(b.g, "Mul"), 0);
}

TEST(FuseConvAct, AnActivationNodeOnAFloatConvOutputFoldsIntoTheConv) {
  GraphBuilder b(33);
  const ValueId x = b.input("x", {1, 3, 5, 5});
  const ValueId c = b.conv(x, 4, 3, 1, 1);
  const NodeId conv = b.last;
  Attributes a;
  a.set("activation", std::string("hardswish"));
  a.set("activation_alpha", 1.0f / 6.0f);
  a.set("activation_beta", 0.5f);
  const ValueId y = b.unary("Activation", c, a);
  b.g.node(b.last).domain = "yq";
  b.output(y);
  Graph before = b.g;
  FuseConvAct pass;
  EXPECT_EQ(*run_pass_once(b.g, pass), 1);
  ASSERT_TRUE(b.g.verify().ok());
  EXPECT_EQ(b.g.live_node_count(), 1u);
  EXPECT_EQ(b.g.node(conv).attrs.get_string("activation", ""), "hardswish");
  EXPECT_EQ(b.g.node(conv).output(0), y);
  YQ_REQUIRE_REF_KERNELS();
  testing::expect_same_outputs(before, b.g, 1e-6);
}

TEST(FuseConvAct, AnActivationNodeOnAQuantizedValueStays) {
  GraphBuilder b(34);
  const ValueId x = b.input("x", {1, 3, 5, 5});
  const ValueId c = b.conv(x, 4, 3, 1, 1);
  Attributes a;
  a.set("activation", std::string("silu"));
  b.output(b.unary("Activation", c, a));
  b.g.node(b.last).domain = "yq";
  b.g.value(c).qparams = *QParams::per_tensor(0.05f, 0);
  FuseConvAct pass;
  EXPECT_EQ(*run_pass_once(b.g, pass), 0);
  EXPECT_EQ(count_ops(b.g, "Activation"), 1);
}

}  // namespace
}  // namespace yq::ir
