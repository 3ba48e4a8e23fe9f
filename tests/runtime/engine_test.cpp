// SPDX-License-Identifier: Apache-2.0
// Engine-level behaviour: a multi-node graph on oneDNN vs the reference path, zero-copy aliases,
// kept values, input checking and missing kernels.
#include <gtest/gtest.h>

#include "tests/runtime/engine_test_util.h"

namespace yq::runtime {
namespace {

using testing::add_act;
using testing::add_const;
using testing::add_input;
using testing::compare_onednn_vs_ref;
using testing::expect_close;
using testing::random_tensor;

// x[1,3,12,10] -> FusedConv(silu, 16, s2) -> MaxPool(k3 s1 p1) -> Concat(with conv out) -> Resize x2
// -> Reshape [1,32,-1] -> Transpose (ref) ; plus the concat as a second output.
ir::Graph small_net() {
  ir::Graph g;
  ir::ValueId x = add_input(g, "x", {1, 3, 12, 10});
  ir::ValueId w = add_const(g, "w", {16, 3, 3, 3}, 1);
  ir::ValueId b = add_const(g, "b", {16}, 2);
  ir::ValueId c = add_act(g, "c", {1, 16, 6, 5});
  ir::Attributes ca;
  ca.set("kernel_shape", std::vector<int64_t>{3, 3});
  ca.set("strides", std::vector<int64_t>{2, 2});
  ca.set("pads", std::vector<int64_t>{1, 1, 1, 1});
  ca.set("activation", std::string("silu"));
  g.add_node("FusedConv", "conv", {x, w, b}, {c}, ca);
  ir::ValueId p = add_act(g, "p", {1, 16, 6, 5});
  ir::Attributes pa;
  pa.set("kernel_shape", std::vector<int64_t>{3, 3});
  pa.set("strides", std::vector<int64_t>{1, 1});
  pa.set("pads", std::vector<int64_t>{1, 1, 1, 1});
  g.add_node("MaxPool", "pool", {c}, {p}, pa);
  ir::ValueId cat = add_act(g, "cat", {1, 32, 6, 5});
  ir::Attributes cta;
  cta.set("axis", int64_t{1});
  g.add_node("Concat", "concat", {c, p}, {cat}, cta);
  ir::ValueId roi = g.add_constant("roi", Tensor::from_vector<float>({}, {0}));
  ir::ValueId sc = g.add_constant("scales", Tensor::from_vector<float>({1, 1, 2, 2}, {4}));
  ir::ValueId up = add_act(g, "up", {1, 32, 12, 10});
  ir::Attributes ra;
  ra.set("mode", std::string("nearest"));
  ra.set("coordinate_transformation_mode", std::string("asymmetric"));
  ra.set("nearest_mode", std::string("floor"));
  g.add_node("Resize", "resize", {cat, roi, sc}, {up}, ra);
  ir::ValueId shape = g.add_constant("shape", Tensor::from_vector<int64_t>({1, 32, -1}, {3}));
  ir::ValueId r = add_act(g, "r", {1, 32, 120});
  g.add_node("Reshape", "reshape", {up, shape}, {r});
  ir::ValueId t = add_act(g, "t", {1, 120, 32});
  ir::Attributes ta;
  ta.set("perm", std::vector<int64_t>{0, 2, 1});
  g.add_node("Transpose", "transpose", {r}, {t}, ta);
  g.add_output(t);
  g.add_output(cat);
  return g;
}

TEST(Engine, SmallNetMatchesReferencePath) {
  ir::Graph g = small_net();
  EngineStats st = compare_onednn_vs_ref(g, {random_tensor({1, 3, 12, 10}, 5)}, "small net");
  EXPECT_EQ(st.onednn_kernels, 4);  // conv, pool, concat, resize
  EXPECT_EQ(st.ref_kernels, 1);     // transpose (a strided copy)
  // Reshape -> Transpose is one copy from the plain resize output (a blocked->plain reorder, plus
  // converting the blocked concat output): the reshape is a view (runtime/strided_view.h).
  EXPECT_GE(st.reorders, 1);
  bool reshape_view = false, transpose_copy = false;
  for (const KernelInfo& k : st.kernels) {
    reshape_view |= k.node == "reshape" && k.impl == "view:Reshape";
    transpose_copy |= k.node == "transpose" && k.impl == "plain:strided:Transpose(1 pieces)";
  }
  EXPECT_TRUE(reshape_view);
  EXPECT_TRUE(transpose_copy);
  EXPECT_GT(st.weight_bytes, 0u);
  EXPECT_GT(st.peak_activation_bytes, 0u);
}

TEST(Engine, KeptValuesAreRowMajor) {
  ir::Graph g = small_net();
  EngineOptions o;
  o.keep_values = {"c", "p"};
  o.threads = 2;
  o.profile = true;
  auto fast = Engine::create(g, o);
  ASSERT_TRUE(fast.ok()) << fast.status().message();
  o.use_onednn = false;
  auto ref = Engine::create(g, o);
  ASSERT_TRUE(ref.ok()) << ref.status().message();
  EXPECT_FALSE((*fast)->kept_value("c").ok());  // before run
  std::vector<Tensor> in{random_tensor({1, 3, 12, 10}, 6)}, out1, out2;
  ASSERT_TRUE((*fast)->run(in, &out1).ok());
  ASSERT_TRUE((*ref)->run(in, &out2).ok());
  for (const char* name : {"c", "p", "cat"}) {
    auto a = (*fast)->kept_value(name);
    auto b = (*ref)->kept_value(name);
    ASSERT_TRUE(a.ok()) << a.status().message();
    ASSERT_TRUE(b.ok()) << b.status().message();
    expect_close(*a, *b, name);
  }
  EXPECT_FALSE((*fast)->kept_value("up").ok());  // not kept
  for (const KernelInfo& k : (*fast)->stats().kernels) {
    if (k.impl != "alias" && k.impl.rfind("view:", 0) != 0) {  // aliases and views run no step
      EXPECT_EQ(k.calls, 1) << k.node;
    }
  }
}

TEST(Engine, UnknownKeptValueIsAnError) {
  EngineOptions o;
  o.keep_values = {"nope"};
  auto e = Engine::create(small_net(), o);
  ASSERT_FALSE(e.ok());
  EXPECT_NE(e.status().message().find("nope"), std::string::npos);
}

TEST(Engine, WrongInputShapeNamesTheInput) {
  auto e = Engine::create(small_net());
  ASSERT_TRUE(e.ok()) << e.status().message();
  EXPECT_EQ((*e)->input_names(), std::vector<std::string>{"x"});
  EXPECT_EQ((*e)->output_shapes()[0], (Shape{1, 120, 32}));
  std::vector<Tensor> out;
  Status s = (*e)->run(std::vector<Tensor>{random_tensor({1, 3, 12, 11}, 1)}, &out);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("'x'"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("[1,3,12,10]"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("[1,3,12,11]"), std::string::npos) << s.message();
  s = (*e)->run(std::vector<Tensor>{}, &out);
  EXPECT_FALSE(s.ok());
}

TEST(Engine, OpWithoutKernelNamesTheNode) {
  for (bool onednn : {true, false}) {
    ir::Graph g;
    ir::ValueId x = add_input(g, "x", {1, 4});
    ir::ValueId y = add_act(g, "y", {1, 4});
    g.add_node("NoSuchOp", "mystery_node", {x}, {y});
    g.add_output(y);
    EngineOptions o;
    o.use_onednn = onednn;
    auto e = Engine::create(g, o);
    ASSERT_FALSE(e.ok());
    EXPECT_NE(e.status().message().find("mystery_node"), std::string::npos) << e.status().message();
    EXPECT_NE(e.status().message().find("NoSuchOp"), std::string::npos) << e.status().message();
  }
}

TEST(Engine, MissingShapeIsAnError) {
  ir::Graph g;
  ir::ValueId x = add_input(g, "x", {1, 4});
  ir::ValueId y = g.add_value("y");
  g.add_node("Relu", "relu", {x}, {y});
  g.add_output(y);
  auto e = Engine::create(g);
  ASSERT_FALSE(e.ok());
  EXPECT_NE(e.status().message().find("relu"), std::string::npos) << e.status().message();
}

// A chain of aliases on a plain input is zero-copy end to end, and a graph output that is an
// alias still comes out right.
TEST(Engine, AliasChainOnPlainInput) {
  ir::Graph g;
  ir::ValueId x = add_input(g, "x", {2, 3, 4});
  ir::ValueId a = add_act(g, "a", {6, 4});
  g.add_node("Reshape", "r1", {x, g.add_constant("s1", Tensor::from_vector<int64_t>({6, 4}, {2}))}, {a});
  ir::ValueId b = add_act(g, "b", {1, 6, 4});
  g.add_node("Unsqueeze", "u", {a, g.add_constant("ax", Tensor::from_vector<int64_t>({0}, {1}))}, {b});
  ir::ValueId c = add_act(g, "c", {1, 6, 4});
  g.add_node("Sigmoid", "sig", {b}, {c});
  g.add_output(c);
  g.add_output(b);
  Tensor in = random_tensor({2, 3, 4}, 3);
  EngineStats st = compare_onednn_vs_ref(g, {in}, "alias chain");
  EXPECT_EQ(st.ref_kernels, 0);
  EXPECT_EQ(st.reorders, 0);
  testing::RunResult r = testing::run_graph(g, {in}, true);
  ASSERT_EQ(r.outputs.size(), 2u);
  EXPECT_EQ(0, std::memcmp(r.outputs[1].raw(), in.raw(), in.nbytes()));
}

// The conv reads the caller's input in place (no copy into the arena). Runs on different tensors
// must each see their own input, and the caller's tensors stay untouched.
TEST(Engine, InputsAreReadInPlaceAcrossRuns) {
  ir::Graph g = small_net();
  EngineOptions o;
  o.threads = 2;
  auto fast = Engine::create(g, o);
  ASSERT_TRUE(fast.ok()) << fast.status().message();
  EXPECT_EQ((*fast)->stats().direct_inputs, 1);
  o.use_onednn = false;
  auto ref = Engine::create(g, o);
  ASSERT_TRUE(ref.ok()) << ref.status().message();
  EXPECT_EQ((*ref)->stats().direct_inputs, 0);  // the reference conv wraps the slot at bind time
  const Tensor a = random_tensor({1, 3, 12, 10}, 21), b = random_tensor({1, 3, 12, 10}, 22);
  const Tensor a0 = a.clone(), b0 = b.clone();
  for (const Tensor* t : {&a, &b, &a}) {
    std::vector<Tensor> got, want;
    ASSERT_TRUE((*fast)->run(std::vector<Tensor>{*t}, &got).ok());
    ASSERT_TRUE((*ref)->run(std::vector<Tensor>{*t}, &want).ok());
    for (size_t i = 0; i < got.size(); ++i) expect_close(got[i], want[i], t == &b ? "input b" : "input a");
  }
  EXPECT_EQ(0, std::memcmp(a.raw(), a0.raw(), a.nbytes()));
  EXPECT_EQ(0, std::memcmp(b.raw(), b0.raw(), b.nbytes()));
}

// An input that a conv's residual sum would write over (in place, or copied into the conv's
// output) is copied into the arena first: the caller's tensor must not change.
TEST(Engine, InputUsedAsAResidualIsCopied) {
  ir::Graph g;
  ir::ValueId x = add_input(g, "x", {1, 16, 8, 8});
  ir::ValueId w = add_const(g, "w", {16, 16, 1, 1}, 1);
  ir::ValueId bias = add_const(g, "b", {16}, 2);
  ir::ValueId y = add_act(g, "y", {1, 16, 8, 8});
  ir::Attributes ca;
  ca.set("kernel_shape", std::vector<int64_t>{1, 1});
  g.add_node("FusedConv", "conv", {x, w, bias, x}, {y}, ca);
  g.add_output(y);
  const Tensor in = random_tensor({1, 16, 8, 8}, 23);
  const Tensor before = in.clone();
  EngineStats st = compare_onednn_vs_ref(g, {in}, "residual input");
  bool sum = false;
  for (const KernelInfo& k : st.kernels) sum |= k.impl.find("+sum") != std::string::npos;
  EXPECT_TRUE(sum) << "the conv no longer fuses the residual: the test checks nothing";
  EXPECT_EQ(st.direct_inputs, 0);
  EXPECT_EQ(0, std::memcmp(in.raw(), before.raw(), in.nbytes()));
}

}  // namespace
}  // namespace yq::runtime
