// SPDX-License-Identifier: Apache-2.0
// ir/subgraph: downstream_nodes and extract_subgraph on a small branched graph built in code.
// Structure: which nodes, inputs (order), outputs, copied attributes/qparams/constants, verify().
// Numerics: the subgraph run on the original graph's intermediate values (reference kernels)
// reproduces the original graph's values bit for bit.
#include "ir/subgraph.h"

#include <gtest/gtest.h>

#include <cstring>
#include <map>
#include <random>

#include "runtime/kernels/ref/ref_kernels.h"
#include "tests/ir/ir_test_util.h"

namespace yq::ir {
namespace {

using testing::attrs;
using testing::GraphBuilder;

Tensor random_tensor(const Shape& shape, std::mt19937& rng) {
  std::uniform_real_distribution<float> d(-1.0f, 1.0f);
  Tensor t = Tensor::empty(DType::kF32, shape);
  for (int64_t i = 0; i < t.numel(); ++i) t.data<float>()[i] = d(rng);
  return t;
}

// x[1,2,6,6] -> conv -> a -> Sigmoid -> s -> Tanh -> o2 (output)
//                       a -> Relu -> r -> Mul(r, s) -> m -> Add(m, y) -> t -> Mul(t, k) -> o1 (output)
// y[1,2,6,6] is a second graph input, k a constant. Everything but Relu, Mul, Add, Mul is off the
// Relu's downstream path, and the Relu's subgraph reads a (produced outside), s (a sibling
// branch) and y (a graph input).
struct BranchedGraph {
  GraphBuilder b;
  NodeId conv = kNoNode, sigmoid = kNoNode, tanh = kNoNode, relu = kNoNode, mul = kNoNode, add = kNoNode,
         scale = kNoNode;
  ValueId x = kNoValue, y = kNoValue, k = kNoValue, a = kNoValue, s = kNoValue, r = kNoValue, m = kNoValue,
          t = kNoValue, o1 = kNoValue, o2 = kNoValue;

  BranchedGraph() {
    std::mt19937 rng(5);
    b.g.name = "branched";
    b.g.opsets[""] = 17;
    x = b.input("x", {1, 2, 6, 6});
    y = b.input("y", {1, 2, 6, 6});
    const ValueId w = b.constant("w", random_tensor({2, 2, 3, 3}, rng));
    const ValueId bias = b.constant("bias", random_tensor({2}, rng));
    k = b.constant("k", random_tensor({1, 2, 1, 1}, rng));
    // Nodes are added out of topological order (the Tanh before the Mul that feeds on its input's
    // sibling) so the test sees the topological, not the id, order of the copied nodes.
    a = b.g.add_value("a");
    conv = b.g.add_node("Conv", "conv", {x, w, bias}, {a},
                        attrs({{"kernel_shape", std::vector<int64_t>{3, 3}}, {"pads", std::vector<int64_t>{1, 1, 1, 1}}}));
    s = b.g.add_value("s");
    sigmoid = b.g.add_node("Sigmoid", "sigmoid", {a}, {s});
    o2 = b.g.add_value("o2");
    tanh = b.g.add_node("Tanh", "tanh", {s}, {o2});
    r = b.g.add_value("r");
    relu = b.g.add_node("Relu", "relu", {a}, {r});
    m = b.g.add_value("m");
    mul = b.g.add_node("Mul", "mul", {r, s}, {m});
    t = b.g.add_value("t");
    add = b.g.add_node("Add", "add", {m, y}, {t});
    o1 = b.g.add_value("o1");
    scale = b.g.add_node("Mul", "scale", {t, k}, {o1});
    b.g.node(scale).domain = "test.domain";  // copied verbatim
    b.g.add_output(o1);
    b.g.add_output(o2);
    // QParams on a boundary value and on a constant: both must survive the copy.
    b.g.value(a).qparams = *QParams::per_tensor(0.05f, 0);
    b.g.value(k).qparams = *QParams::per_tensor(0.01f, 0);
  }
};

std::vector<std::string> names(const Graph& g, const std::vector<ValueId>& ids) {
  std::vector<std::string> out;
  for (ValueId v : ids) out.push_back(g.value(v).name);
  return out;
}

// Runs `g` node by node on the reference kernels from `env` (values by name, at least the graph
// inputs) and returns every value it computed, the given ones included.
Expected<std::map<std::string, Tensor>> run_all(const Graph& g, std::map<std::string, Tensor> env) {
  for (NodeId id : g.topo_order()) {
    const Node& n = g.node(id);
    runtime::ref::RefKernelFn fn = runtime::ref::find_ref_kernel(n.op_type);
    if (fn == nullptr) return unsupported("no reference kernel for " + n.op_type);
    std::vector<const Tensor*> in;
    for (ValueId v : n.inputs()) {
      const Value& val = g.value(v);
      if (val.constant) {
        in.push_back(&*val.constant);
        continue;
      }
      auto it = env.find(val.name);
      if (it == env.end()) return internal_error("'" + val.name + "' was not computed");
      in.push_back(&it->second);
    }
    std::vector<Tensor> out;
    for (ValueId v : n.outputs()) out.push_back(Tensor::empty(g.value(v).dtype, g.value(v).shape));
    YQ_RETURN_IF_ERROR(fn(n, in, out).with_context(n.name));
    for (size_t i = 0; i < out.size(); ++i) env[g.value(n.output(i)).name] = out[i];
  }
  return env;
}

bool same_bits(const Tensor& p, const Tensor& q) {
  return p.shape() == q.shape() && p.dtype() == q.dtype() && std::memcmp(p.raw(), q.raw(), p.nbytes()) == 0;
}

TEST(DownstreamNodes, FollowsConsumersTransitively) {
  BranchedGraph t;
  EXPECT_EQ(downstream_nodes(t.b.g, {t.relu}), (std::set<NodeId>{t.relu, t.mul, t.add, t.scale}));
  // Through the Sigmoid's two readers (a sibling branch and the Mul).
  EXPECT_EQ(downstream_nodes(t.b.g, {t.sigmoid}), (std::set<NodeId>{t.sigmoid, t.tanh, t.mul, t.add, t.scale}));
  EXPECT_EQ(downstream_nodes(t.b.g, {t.conv}).size(), t.b.g.live_node_count());
  EXPECT_EQ(downstream_nodes(t.b.g, {t.tanh}), std::set<NodeId>{t.tanh});  // a leaf: itself only
  EXPECT_EQ(downstream_nodes(t.b.g, {t.tanh, t.add}), (std::set<NodeId>{t.tanh, t.add, t.scale}));
  EXPECT_TRUE(downstream_nodes(t.b.g, {}).empty());
}

TEST(ExtractSubgraph, StructureOfTheDownstreamPart) {
  BranchedGraph t;
  ASSERT_TRUE(t.b.infer().ok());
  auto sub = extract_subgraph(t.b.g, downstream_nodes(t.b.g, {t.relu}), {t.r});
  ASSERT_TRUE(sub.ok()) << sub.status().message();
  const Graph& g = *sub;
  ASSERT_TRUE(g.verify().ok()) << g.verify().message();
  EXPECT_EQ(g.live_node_count(), 4u);
  // Inputs in order of first read (relu reads a, mul reads s, add reads y); the constant k is
  // copied as a constant, not an input; x (read only by the conv) is not an input.
  EXPECT_EQ(names(g, g.inputs()), (std::vector<std::string>{"a", "s", "y"}));
  // o1 is an original output produced inside; o2 is produced outside; r is the extra output.
  EXPECT_EQ(names(g, g.outputs()), (std::vector<std::string>{"o1", "r"}));
  std::vector<std::string> ops;
  for (NodeId n : g.topo_order()) ops.push_back(g.node(n).name);
  EXPECT_EQ(ops, (std::vector<std::string>{"relu", "mul", "add", "scale"}));

  EXPECT_EQ(g.name, "branched");
  EXPECT_EQ(g.opsets.at(""), 17);
  const ValueId a = *g.find_value("a");
  ASSERT_TRUE(g.value(a).qparams.has_value());
  EXPECT_EQ(g.value(a).qparams->scales, std::vector<float>{0.05f});
  EXPECT_EQ(g.value(a).shape, (Shape{1, 2, 6, 6}));
  EXPECT_TRUE(g.value(a).shape_known);
  const ValueId k = *g.find_value("k");
  ASSERT_TRUE(g.value(k).is_constant());
  EXPECT_EQ(g.value(k).constant->raw(), t.b.g.value(t.k).constant->raw());  // storage shared, not copied
  ASSERT_TRUE(g.value(k).qparams.has_value());
  EXPECT_EQ(g.value(k).qparams->scales, std::vector<float>{0.01f});
  const Node* scale = g.producer_of(*g.find_value("o1"));
  ASSERT_NE(scale, nullptr);
  EXPECT_EQ(scale->name, "scale");
  EXPECT_EQ(scale->domain, "test.domain");
  EXPECT_EQ(scale->inputs().size(), 2u);
  EXPECT_FALSE(g.find_value("x").has_value());
  EXPECT_FALSE(g.find_value("o2").has_value());
}

TEST(ExtractSubgraph, CopiesAttributesAndRunsLikeTheOriginal) {
  BranchedGraph t;
  ASSERT_TRUE(t.b.infer().ok());
  std::mt19937 rng(9);
  auto full = run_all(t.b.g, {{"x", random_tensor({1, 2, 6, 6}, rng)}, {"y", random_tensor({1, 2, 6, 6}, rng)}});
  ASSERT_TRUE(full.ok()) << full.status().message();

  // Three cuts: the Relu's part (boundary a, s, y), the Sigmoid's (boundary a, y) and the whole
  // graph from the conv (the original inputs x, y).
  for (NodeId seed : {t.relu, t.sigmoid, t.conv}) {
    auto sub = extract_subgraph(t.b.g, downstream_nodes(t.b.g, {seed}));
    ASSERT_TRUE(sub.ok()) << sub.status().message();
    ASSERT_TRUE(sub->verify().ok());
    std::map<std::string, Tensor> feed;
    for (ValueId v : sub->inputs()) feed[sub->value(v).name] = full->at(sub->value(v).name);
    auto got = run_all(*sub, feed);
    ASSERT_TRUE(got.ok()) << got.status().message();
    ASSERT_FALSE(sub->outputs().empty());
    for (ValueId v : sub->outputs()) {
      const std::string& name = sub->value(v).name;
      EXPECT_TRUE(same_bits(got->at(name), full->at(name))) << "output '" << name << "' of the cut at node " << seed;
    }
  }
  // The whole graph as a "subgraph": same inputs and outputs as the original, and the conv's
  // pads survived the copy (without them its output would be 4x4, not 6x6).
  auto whole = extract_subgraph(t.b.g, downstream_nodes(t.b.g, {t.conv}));
  ASSERT_TRUE(whole.ok());
  EXPECT_EQ(names(*whole, whole->inputs()), (std::vector<std::string>{"x", "y"}));
  EXPECT_EQ(names(*whole, whole->outputs()), (std::vector<std::string>{"o1", "o2"}));
  const Node* conv = whole->producer_of(*whole->find_value("a"));
  ASSERT_NE(conv, nullptr);
  EXPECT_EQ(conv->attrs.get_ints("pads"), (std::vector<int64_t>{1, 1, 1, 1}));
}

TEST(ExtractSubgraph, RejectsBadIdsAndOutputsProducedOutside) {
  BranchedGraph t;
  auto bad_node = extract_subgraph(t.b.g, {t.relu, 99});
  ASSERT_FALSE(bad_node.ok());
  EXPECT_NE(bad_node.status().message().find("99"), std::string::npos);
  t.b.g.remove_node(t.tanh);
  auto dead = extract_subgraph(t.b.g, {t.tanh});
  ASSERT_FALSE(dead.ok());
  // s is produced by the Sigmoid, which is not selected.
  auto outside = extract_subgraph(t.b.g, {t.relu, t.mul}, {t.s});
  ASSERT_FALSE(outside.ok());
  EXPECT_NE(outside.status().message().find("'s'"), std::string::npos) << outside.status().message();
  auto bad_value = extract_subgraph(t.b.g, {t.relu}, {12345});
  EXPECT_FALSE(bad_value.ok());
}

TEST(ExtractSubgraph, EmptySelectionIsAnEmptyGraph) {
  BranchedGraph t;
  auto sub = extract_subgraph(t.b.g, {});
  ASSERT_TRUE(sub.ok());
  EXPECT_EQ(sub->live_node_count(), 0u);
  EXPECT_TRUE(sub->inputs().empty());
  EXPECT_TRUE(sub->outputs().empty());
  EXPECT_TRUE(sub->verify().ok());
}

}  // namespace
}  // namespace yq::ir
