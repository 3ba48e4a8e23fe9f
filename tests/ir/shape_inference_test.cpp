// SPDX-License-Identifier: Apache-2.0
// Whole-graph inference: constant propagation through a fake evaluator, unknown inputs, and
// re-running after set_input_shape.
#include "ir/shape_inference.h"

#include <gtest/gtest.h>

#include <random>

#include "ir_test_util.h"

namespace yq::ir {
namespace {

using testing::attrs;
using testing::contains;
using testing::GraphBuilder;
using Ints = std::vector<int64_t>;

// Implements just the i64 ops a Shape->Gather->Unsqueeze->Concat chain needs; everything else is
// "no kernel" (kUnsupported), like an evaluator missing a reference kernel.
class FakeEvaluator final : public ConstantEvaluator {
 public:
  mutable int calls = 0;
  mutable int folded = 0;
  bool fail_gather = false;

  Expected<std::vector<Tensor>> evaluate(const Node& node, std::span<const Tensor* const> in,
                                         std::span<const TensorInfo> out) const override {
    ++calls;
    std::vector<int64_t> v;
    if (node.op_type == "Gather") {
      if (fail_gather) return invalid_model("index out of range");
      const auto data = in[0]->to_int64_vector();
      for (int64_t i : in[1]->to_int64_vector())
        v.push_back(data.at(static_cast<size_t>(i < 0 ? i + in[0]->numel() : i)));
    } else if (node.op_type == "Unsqueeze" || node.op_type == "Identity") {
      v = in[0]->to_int64_vector();
    } else if (node.op_type == "Concat") {
      for (const Tensor* t : in) {
        for (int64_t x : t->to_int64_vector()) v.push_back(x);
      }
    } else {
      return unsupported("no reference kernel for op " + node.op_type);
    }
    ++folded;
    return std::vector<Tensor>{Tensor::from_vector<int64_t>(v, out[0].shape)};
  }
};

// x [N,C,H,W] -> Reshape(x, Concat(Unsqueeze(Gather(Shape(x), 0)), Unsqueeze(Gather(Shape(x), 1)), [-1])).
struct FlattenChain {
  GraphBuilder b;
  ValueId x, target, y;
  explicit FlattenChain(Shape in_shape) {
    x = b.input("x", std::move(in_shape));
    ValueId shape = b.node("Shape", {x});
    ValueId n = b.node("Gather", {shape, b.constant("i0", Tensor::scalar<int64_t>(0))});
    ValueId c = b.node("Gather", {shape, b.constant("i1", Tensor::scalar<int64_t>(1))});
    ValueId n1 = b.node("Unsqueeze", {n}, attrs({{"axes", Ints{0}}}));
    ValueId c1 = b.node("Unsqueeze", {c, b.ints({0})});
    target = b.node("Concat", {n1, c1, b.ints({-1})}, attrs({{"axis", int64_t{0}}}));
    y = b.node("Reshape", {x, target});
  }
};

TEST(ShapeInference, ConstantPropagationResolvesReshapeTarget) {
  FlattenChain f({1, 8, 4, 4});
  FakeEvaluator ev;
  ASSERT_TRUE(f.b.infer(&ev).ok()) << f.b.infer(&ev).message();
  EXPECT_EQ(f.b.shape(f.y), (Shape{1, 8, 16}));
  const Value& t = f.b.g.value(f.target);
  ASSERT_TRUE(t.is_constant());
  EXPECT_EQ(t.constant->to_int64_vector(), (Ints{1, 8, -1}));
  EXPECT_EQ(t.dtype, DType::kI64);
  EXPECT_TRUE(t.shape_known);
  // The Reshape reads a non-constant x, so it is never handed to the evaluator.
  EXPECT_FALSE(f.b.g.value(f.y).is_constant());
}

TEST(ShapeInference, WithoutEvaluatorTheChainStaysUnresolved) {
  FlattenChain f({1, 8, 4, 4});
  Status s = f.b.infer();
  ASSERT_FALSE(s.ok());
  EXPECT_TRUE(contains(s.message(), "(Reshape): target shape (input 1) is not a constant")) << s.message();
}

TEST(ShapeInference, SetInputShapeRecomputesFoldedConstants) {
  FlattenChain f({1, 8, 4, 4});
  FakeEvaluator ev;
  ASSERT_TRUE(f.b.infer(&ev).ok());
  ASSERT_TRUE(set_input_shape(f.b.g, 0, {2, 8, 6, 6}).ok());
  EXPECT_FALSE(f.b.g.value(f.y).shape_known);
  EXPECT_FALSE(f.b.g.value(f.target).is_constant());
  // Initializers keep their value.
  EXPECT_TRUE(f.b.g.value(*f.b.g.find_value("i0")).is_constant());
  ASSERT_TRUE(f.b.infer(&ev).ok());
  EXPECT_EQ(f.b.shape(f.y), (Shape{2, 8, 36}));
  EXPECT_EQ(f.b.g.value(f.target).constant->to_int64_vector(), (Ints{2, 8, -1}));
}

TEST(ShapeInference, SetInputShapeChecksRank) {
  FlattenChain f({1, 8, 4, 4});
  Status s = set_input_shape(f.b.g, 0, {8, 16});
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(contains(s.message(), "input 'x' has rank 4")) << s.message();
  EXPECT_FALSE(set_input_shape(f.b.g, 1, {1}).ok());
}

TEST(ShapeInference, ShapeStartEndGivesAConstantWithoutEvaluator) {
  GraphBuilder b;
  ValueId x = b.input("x", {1, 8, 5, 4});
  ValueId s = b.node("Shape", {x}, attrs({{"start", int64_t{1}}, {"end", int64_t{-1}}}));
  ValueId all = b.node("Shape", {x}, attrs({{"start", int64_t{-10}}}));
  ASSERT_TRUE(b.infer().ok());
  ASSERT_TRUE(b.g.value(s).is_constant());
  EXPECT_EQ(b.g.value(s).constant->to_int64_vector(), (Ints{8, 5}));
  EXPECT_EQ(b.shape(s), (Shape{2}));
  EXPECT_EQ(b.g.value(all).constant->to_int64_vector(), (Ints{1, 8, 5, 4}));
}

TEST(ShapeInference, ConstantNodeBecomesAConstantValue) {
  GraphBuilder b;
  ValueId x = b.input("x", {2, 3, 4});
  ValueId c = b.node("Constant", {}, attrs({{"value_ints", Ints{0, -1}}}));
  ValueId y = b.node("Reshape", {x, c});
  ASSERT_TRUE(b.infer().ok()) << b.infer().message();
  EXPECT_TRUE(b.g.value(c).is_constant());
  EXPECT_EQ(b.shape(y), (Shape{2, 12}));
}

TEST(ShapeInference, EvaluatorWithoutKernelFallsBackToShapeOnly) {
  GraphBuilder b;
  std::mt19937 rng(7);
  std::uniform_real_distribution<float> dist(-1.f, 1.f);
  std::vector<float> v(6);
  for (float& e : v) e = dist(rng);
  ValueId a = b.constant("a", Tensor::from_vector<float>(v, {2, 3}));
  ValueId sum = b.node("Add", {a, a});  // FakeEvaluator has no Add
  FakeEvaluator ev;
  ASSERT_TRUE(b.infer(&ev).ok()) << b.infer(&ev).message();
  EXPECT_EQ(ev.calls, 1);
  EXPECT_EQ(ev.folded, 0);
  EXPECT_FALSE(b.g.value(sum).is_constant());
  EXPECT_TRUE(b.g.value(sum).shape_known);
  EXPECT_EQ(b.shape(sum), (Shape{2, 3}));
}

TEST(ShapeInference, EvaluatorDataErrorsFailInference) {
  FlattenChain f({1, 8, 4, 4});
  FakeEvaluator ev;
  ev.fail_gather = true;
  Status s = f.b.infer(&ev);
  ASSERT_FALSE(s.ok());
  EXPECT_TRUE(contains(s.message(), "(Gather): index out of range")) << s.message();
}

TEST(ShapeInference, LargeOutputsAreNotFolded) {
  GraphBuilder b;
  ValueId c = b.node("Identity", {b.ints({1, 2, 3, 4, 5})});
  FakeEvaluator ev;
  ShapeInferenceOptions opts;
  opts.evaluator = &ev;
  opts.max_fold_elements = 4;
  ASSERT_TRUE(infer_shapes(b.g, opts).ok());
  EXPECT_FALSE(b.g.value(c).is_constant());
  EXPECT_EQ(ev.calls, 0);
  opts.max_fold_elements = 5;
  ASSERT_TRUE(infer_shapes(b.g, opts).ok());
  EXPECT_TRUE(b.g.value(c).is_constant());
}

TEST(ShapeInference, UnknownInputDimsAskForInputShape) {
  GraphBuilder b;
  ValueId x = b.g.add_value("images", DType::kF32, {-1, 3, -1, -1}, false);
  b.g.add_input(x);
  b.node("Relu", {x});
  Status s = b.infer();
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(), "input 'images' has unknown dims [?,3,?,?]; give --input-shape");
  ASSERT_TRUE(set_input_shape(b.g, 0, {1, 3, 32, 32}).ok());
  EXPECT_TRUE(b.infer().ok());
}

TEST(ShapeInference, UnsupportedOpNamesTheNode) {
  GraphBuilder b;
  ValueId x = b.input("x", {4});
  b.node_n("NonMaxSuppression", "nms", {x}, 1);
  Status s = b.infer();
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.code(), StatusCode::kUnsupported);
  EXPECT_TRUE(contains(s.message(), "node 'nms' (NonMaxSuppression)")) << s.message();
}

TEST(ShapeInference, ChainOfConvsPropagates) {
  GraphBuilder b;
  ValueId x = b.input("x", {1, 3, 32, 32});
  ValueId c1 =
      b.node("Conv", {x, b.weights({8, 3, 3, 3})}, attrs({{"strides", Ints{2, 2}}, {"pads", Ints{1, 1, 1, 1}}}));
  ValueId s1 = b.node("Sigmoid", {c1});
  ValueId m1 = b.node("Mul", {c1, s1});
  ValueId p = b.node("MaxPool", {m1}, attrs({{"kernel_shape", Ints{2, 2}}, {"strides", Ints{2, 2}}}));
  ValueId up = b.node("Resize", {p, kNoValue, b.floats({1, 1, 2, 2})});
  ValueId cat = b.node("Concat", {up, m1}, attrs({{"axis", int64_t{1}}}));
  ASSERT_TRUE(b.infer().ok()) << b.infer().message();
  EXPECT_EQ(b.shape(cat), (Shape{1, 16, 16, 16}));
}

}  // namespace
}  // namespace yq::ir
