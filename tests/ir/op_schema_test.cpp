// SPDX-License-Identifier: Apache-2.0
// Per-op shape rules, checked through infer_shapes on one- or two-node graphs. Expected dims
// are derived in the comments from the ONNX formulas.
#include "ir/op_schema.h"

#include <gtest/gtest.h>

#include <limits>

#include "ir_test_util.h"

namespace yq::ir {
namespace {

using testing::attrs;
using testing::contains;
using testing::GraphBuilder;
using Ints = std::vector<int64_t>;

TEST(OpSchema, EverySupportedOpHasAShapeFunction) {
  const char* kOps[] = {"Conv",
                        "QuantizeLinear",
                        "DequantizeLinear",
                        "ConvTranspose",
                        "BatchNormalization",
                        "Add",
                        "Sub",
                        "Mul",
                        "Div",
                        "Pow",
                        "Sqrt",
                        "Sigmoid",
                        "Relu",
                        "LeakyRelu",
                        "HardSigmoid",
                        "HardSwish",
                        "Tanh",
                        "Exp",
                        "Clip",
                        "Softmax",
                        "Concat",
                        "Split",
                        "Slice",
                        "Gather",
                        "MaxPool",
                        "AveragePool",
                        "GlobalAveragePool",
                        "Resize",
                        "Upsample",
                        "Reshape",
                        "Flatten",
                        "Transpose",
                        "Squeeze",
                        "Unsqueeze",
                        "Pad",
                        "MatMul",
                        "Gemm",
                        "Identity",
                        "Dropout",
                        "Constant",
                        "Shape",
                        "Cast",
                        "ConstantOfShape",
                        "Expand",
                        "Range",
                        "Equal",
                        "Where",
                        "ReduceMean",
                        "Floor",
                        "Neg",
                        "FusedConv",
                        "Activation"};
  for (const char* op : kOps) {
    const OpSchema* s = find_op_schema(op);
    ASSERT_NE(s, nullptr) << op;
    EXPECT_TRUE(static_cast<bool>(s->infer)) << op;
    EXPECT_LE(s->min_inputs, s->max_inputs) << op;
    EXPECT_LE(s->min_outputs, s->max_outputs) << op;
  }
  EXPECT_EQ(supported_op_types().size(), std::size(kOps));
  EXPECT_EQ(find_op_schema("NonMaxSuppression"), nullptr);
}

TEST(OpSchema, ConvPadsStridesDilationsGroups) {
  GraphBuilder b;
  ValueId x = b.input("x", {1, 8, 17, 15});
  ValueId y = b.node("Conv", {x, b.weights({16, 4, 3, 3}), b.weights({16})},
                     attrs({{"group", int64_t{2}},
                            {"pads", Ints{1, 2, 1, 0}},
                            {"strides", Ints{2, 3}},
                            {"dilations", Ints{2, 1}},
                            {"kernel_shape", Ints{3, 3}}}));
  ASSERT_TRUE(b.infer().ok()) << b.infer().message();
  // H: (17 + 1 + 1 - ((3-1)*2 + 1)) / 2 + 1 = 8;  W: (15 + 2 + 0 - 3) / 3 + 1 = 5.
  EXPECT_EQ(b.shape(y), (Shape{1, 16, 8, 5}));
  EXPECT_EQ(b.dtype(y), DType::kF32);
}

TEST(OpSchema, ConvAutoPadSameUpperAndValid) {
  GraphBuilder b;
  ValueId x = b.input("x", {1, 3, 17, 16});
  ValueId same = b.node("Conv", {x, b.weights({4, 3, 3, 3})},
                        attrs({{"auto_pad", std::string("SAME_UPPER")}, {"strides", Ints{2, 2}}}));
  ValueId valid = b.node("Conv", {x, b.weights({4, 3, 3, 3})},
                         attrs({{"auto_pad", std::string("VALID")}, {"strides", Ints{2, 2}}}));
  ASSERT_TRUE(b.infer().ok()) << b.infer().message();
  EXPECT_EQ(b.shape(same), (Shape{1, 4, 9, 8}));   // ceil(17/2), ceil(16/2)
  EXPECT_EQ(b.shape(valid), (Shape{1, 4, 8, 7}));  // (17-3)/2+1, (16-3)/2+1
}

TEST(OpSchema, ConvChannelMismatchIsAnError) {
  GraphBuilder b;
  ValueId x = b.input("x", {1, 16, 8, 8});
  b.node_n("Conv", "conv", {x, b.weights({8, 32, 3, 3})}, 1);
  Status s = b.infer();
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.code(), StatusCode::kInvalidModel);
  EXPECT_TRUE(contains(s.message(), "node 'conv' (Conv)")) << s.message();
  EXPECT_TRUE(contains(s.message(), "input has 16 channels, weight expects 32 (group 1)")) << s.message();
}

TEST(OpSchema, FusedConvResidualMustMatchOutput) {
  GraphBuilder b;
  ValueId x = b.input("x", {1, 4, 8, 8});
  ValueId good_r = b.input("r", {1, 6, 8, 8});
  ValueId bad_r = b.input("r2", {1, 6, 4, 4});
  auto a = attrs({{"pads", Ints{1, 1, 1, 1}}, {"activation", std::string("silu")}});
  ValueId y = b.node("FusedConv", {x, b.weights({6, 4, 3, 3}), kNoValue, good_r}, a);
  ASSERT_TRUE(b.infer().ok()) << b.infer().message();
  EXPECT_EQ(b.shape(y), (Shape{1, 6, 8, 8}));
  b.node("FusedConv", {x, b.weights({6, 4, 3, 3}), kNoValue, bad_r}, a);
  Status s = b.infer();
  ASSERT_FALSE(s.ok());
  EXPECT_TRUE(contains(s.message(), "residual R has shape [1,6,4,4], expected the output shape [1,6,8,8]"))
      << s.message();
}

TEST(OpSchema, ConvTransposeOutputPaddingAndOutputShape) {
  GraphBuilder b;
  ValueId x = b.input("x", {1, 4, 5, 5});
  auto common = attrs(
      {{"group", int64_t{2}}, {"strides", Ints{2, 2}}, {"pads", Ints{1, 1, 1, 1}}, {"output_padding", Ints{1, 0}}});
  ValueId y = b.node("ConvTranspose", {x, b.weights({4, 3, 3, 3})}, common);
  Attributes with_shape = common;
  with_shape.set("output_shape", Ints{12, 11});
  ValueId z = b.node("ConvTranspose", {x, b.weights({4, 3, 3, 3})}, with_shape);
  ASSERT_TRUE(b.infer().ok()) << b.infer().message();
  // 2*(5-1) + output_padding + (3-1)*1 + 1 - 1 - 1: 10 (H, padding 1) and 9 (W, padding 0).
  // Output channels = W[1] * group = 6.
  EXPECT_EQ(b.shape(y), (Shape{1, 6, 10, 9}));
  EXPECT_EQ(b.shape(z), (Shape{1, 6, 12, 11}));
}

TEST(OpSchema, MaxPoolCeilModeDropsWindowsStartingInPadding) {
  GraphBuilder b;
  ValueId x6 = b.input("x6", {1, 2, 6, 6});
  ValueId x5 = b.input("x5", {1, 2, 5, 5});
  auto k3s2 = attrs({{"kernel_shape", Ints{3, 3}}, {"strides", Ints{2, 2}}});
  Attributes k3s2_ceil = k3s2;
  k3s2_ceil.set("ceil_mode", int64_t{1});
  ValueId floor6 = b.node("MaxPool", {x6}, k3s2);
  ValueId ceil6 = b.node("MaxPool", {x6}, k3s2_ceil);
  // in 5, k 2, s 2, pads 1/1, ceil: ceil((7-2)/2)+1 = 4, but window 4 would start at 6 >= 5+1
  // (entirely in the end padding), so 3.
  ValueId ceil5 = b.node("MaxPool", {x5},
                         attrs({{"kernel_shape", Ints{2, 2}},
                                {"strides", Ints{2, 2}},
                                {"pads", Ints{1, 1, 1, 1}},
                                {"ceil_mode", int64_t{1}}}));
  ValueId spp = b.node("MaxPool", {x5}, attrs({{"kernel_shape", Ints{5, 5}}, {"pads", Ints{2, 2, 2, 2}}}));
  ValueId gap = b.node("GlobalAveragePool", {x5});
  ASSERT_TRUE(b.infer().ok()) << b.infer().message();
  EXPECT_EQ(b.shape(floor6), (Shape{1, 2, 2, 2}));  // (6-3)/2+1
  EXPECT_EQ(b.shape(ceil6), (Shape{1, 2, 3, 3}));   // ceil(3/2)+1
  EXPECT_EQ(b.shape(ceil5), (Shape{1, 2, 3, 3}));
  EXPECT_EQ(b.shape(spp), (Shape{1, 2, 5, 5}));
  EXPECT_EQ(b.shape(gap), (Shape{1, 2, 1, 1}));
}

TEST(OpSchema, ReduceMeanAxesAndKeepdims) {
  GraphBuilder b;
  ValueId x = b.input("x", {2, 3, 4, 5});
  ValueId keep = b.node("ReduceMean", {x}, attrs({{"axes", Ints{-1, 2}}}));
  ValueId drop = b.node("ReduceMean", {x}, attrs({{"axes", Ints{1}}, {"keepdims", int64_t{0}}}));
  ValueId all = b.node("ReduceMean", {x}, attrs({{"keepdims", int64_t{0}}}));
  ASSERT_TRUE(b.infer().ok()) << b.infer().message();
  EXPECT_EQ(b.shape(keep), (Shape{2, 3, 1, 1}));
  EXPECT_EQ(b.shape(drop), (Shape{2, 4, 5}));
  EXPECT_EQ(b.shape(all), Shape{});
}

TEST(OpSchema, ReshapeZeroAndMinusOne) {
  GraphBuilder b;
  ValueId x = b.input("x", {2, 3, 4});
  ValueId a = b.node("Reshape", {x, b.ints({0, -1})});
  ValueId c = b.node("Reshape", {x, b.ints({0, -1, 2})});
  ValueId d = b.node("Reshape", {x, b.ints({-1})});
  ASSERT_TRUE(b.infer().ok()) << b.infer().message();
  EXPECT_EQ(b.shape(a), (Shape{2, 12}));
  EXPECT_EQ(b.shape(c), (Shape{2, 6, 2}));
  EXPECT_EQ(b.shape(d), (Shape{24}));
}

TEST(OpSchema, ReshapeElementCountMismatchIsAnError) {
  GraphBuilder b;
  ValueId x = b.input("x", {2, 3, 4});
  b.node_n("Reshape", "r", {x, b.ints({5, -1})}, 1);
  Status s = b.infer();
  ASSERT_FALSE(s.ok());
  EXPECT_TRUE(contains(s.message(), "cannot reshape [2,3,4] (24 elements) to [5,-1]")) << s.message();
}

TEST(OpSchema, ReshapeTargetMustBeConstant) {
  GraphBuilder b;
  ValueId x = b.input("x", {2, 3, 4});
  ValueId t = b.input("target", {2}, DType::kI64);
  b.node_n("Reshape", "r", {x, t}, 1);
  Status s = b.infer();
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.code(), StatusCode::kUnsupported);
  EXPECT_TRUE(contains(s.message(), "node 'r' (Reshape): target shape (input 1) is not a constant")) << s.message();
}

TEST(OpSchema, SliceNegativeClampedAndStepped) {
  GraphBuilder b;
  ValueId x = b.input("x", {10, 20, 30});
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
  constexpr int64_t kMin = std::numeric_limits<int64_t>::min();
  // axis 0: start -3 -> 7, end INT64_MAX -> 10: 3 elements.
  // axis 1 (step -2): start -1 -> 19, end INT64_MIN -> clamped to -1: 19,17,...,1 = 10 elements.
  // axis 2: start 100 and end 200 both clamp to 30: empty.
  ValueId y =
      b.node("Slice", {x, b.ints({-3, -1, 100}), b.ints({kMax, kMin, 200}), b.ints({0, -2, 2}), b.ints({1, -2, 1})});
  // step 3 over [1, 10): 1, 4, 7.
  ValueId z = b.node("Slice", {x, b.ints({1}), b.ints({10}), b.ints({0}), b.ints({3})});
  // Without axes/steps: leading axes, step 1; end -5 on 20 is 15.
  ValueId w = b.node("Slice", {x, b.ints({0, 2}), b.ints({1, -5})});
  // Extreme steps: INT64_MIN from the last element takes one element; -1 reverses the whole axis.
  ValueId one = b.node("Slice", {x, b.ints({-1}), b.ints({kMin}), b.ints({2}), b.ints({kMin})});
  ValueId rev = b.node("Slice", {x, b.ints({-1}), b.ints({kMin}), b.ints({1}), b.ints({-1})});
  ASSERT_TRUE(b.infer().ok()) << b.infer().message();
  EXPECT_EQ(b.shape(one), (Shape{10, 20, 1}));
  EXPECT_EQ(b.shape(rev), (Shape{10, 20, 30}));
  EXPECT_EQ(b.shape(y), (Shape{3, 10, 0}));
  EXPECT_EQ(b.shape(z), (Shape{3, 20, 30}));
  EXPECT_EQ(b.shape(w), (Shape{1, 13, 30}));
}

TEST(OpSchema, SliceZeroStepIsAnError) {
  GraphBuilder b;
  ValueId x = b.input("x", {10});
  b.node("Slice", {x, b.ints({0}), b.ints({5}), b.ints({0}), b.ints({0})});
  Status s = b.infer();
  ASSERT_FALSE(s.ok());
  EXPECT_TRUE(contains(s.message(), "steps must be non-zero")) << s.message();
}

TEST(OpSchema, SplitAttributeInputAndEqualParts) {
  GraphBuilder b;
  ValueId x = b.input("x", {2, 10});
  auto by_attr = b.node_n("Split", "s_attr", {x}, 2, attrs({{"axis", int64_t{1}}, {"split", Ints{3, 7}}}));
  auto by_input = b.node_n("Split", "s_in", {x, b.ints({2, 8})}, 2, attrs({{"axis", int64_t{-1}}}));
  auto equal = b.node_n("Split", "s_eq", {x}, 5, attrs({{"axis", int64_t{1}}}));
  ASSERT_TRUE(b.infer().ok()) << b.infer().message();
  EXPECT_EQ(b.shape(by_attr[0]), (Shape{2, 3}));
  EXPECT_EQ(b.shape(by_attr[1]), (Shape{2, 7}));
  EXPECT_EQ(b.shape(by_input[0]), (Shape{2, 2}));
  EXPECT_EQ(b.shape(by_input[1]), (Shape{2, 8}));
  for (ValueId v : equal) EXPECT_EQ(b.shape(v), (Shape{2, 2}));
}

TEST(OpSchema, SplitSizesMustSumToTheDim) {
  GraphBuilder b;
  ValueId x = b.input("x", {2, 10});
  b.node_n("Split", "s", {x}, 2, attrs({{"axis", int64_t{1}}, {"split", Ints{3, 6}}}));
  Status s = b.infer();
  ASSERT_FALSE(s.ok());
  EXPECT_TRUE(contains(s.message(), "split [3,6] sums to 9, expected 10")) << s.message();
}

TEST(OpSchema, ResizeScalesVersusSizes) {
  GraphBuilder b;
  ValueId x = b.input("x", {1, 3, 5, 7});
  ValueId empty = b.constant("empty", Tensor::zeros(DType::kF32, {0}));
  ValueId by_scales =
      b.node("Resize", {x, empty, b.floats({1.f, 1.f, 2.f, 2.f})}, attrs({{"mode", std::string("nearest")}}));
  ValueId by_sizes = b.node("Resize", {x, kNoValue, empty, b.ints({1, 3, 9, 11})});
  // floor(5 * 1.5) = 7, floor(7 * 0.5) = 3.
  ValueId fractional = b.node("Resize", {x, kNoValue, b.floats({1.f, 1.f, 1.5f, 0.5f})});
  ValueId up = b.node("Upsample", {x, b.floats({1.f, 1.f, 2.f, 3.f})});
  ASSERT_TRUE(b.infer().ok()) << b.infer().message();
  EXPECT_EQ(b.shape(by_scales), (Shape{1, 3, 10, 14}));
  EXPECT_EQ(b.shape(by_sizes), (Shape{1, 3, 9, 11}));
  EXPECT_EQ(b.shape(fractional), (Shape{1, 3, 7, 3}));
  EXPECT_EQ(b.shape(up), (Shape{1, 3, 10, 21}));
}

TEST(OpSchema, ResizeNeedsExactlyOneOfScalesAndSizes) {
  GraphBuilder b;
  ValueId x = b.input("x", {1, 3, 5, 7});
  ValueId empty = b.constant("empty", Tensor::zeros(DType::kF32, {0}));
  b.node("Resize", {x, empty, empty});
  Status s = b.infer();
  ASSERT_FALSE(s.ok());
  EXPECT_TRUE(contains(s.message(), "neither scales nor sizes")) << s.message();
}

TEST(OpSchema, BinaryOpsBroadcast) {
  GraphBuilder b;
  ValueId a = b.input("a", {2, 1, 4});
  ValueId c = b.input("c", {3, 1});
  ValueId s = b.input("s", {});
  ValueId sum = b.node("Add", {a, c});
  ValueId prod = b.node("Mul", {s, a});
  ValueId eq = b.node("Equal", {a, c});
  ValueId where = b.node("Where", {eq, s, c});
  ValueId pw = b.node("Pow", {a, b.ints({2})});
  ASSERT_TRUE(b.infer().ok()) << b.infer().message();
  EXPECT_EQ(b.shape(sum), (Shape{2, 3, 4}));
  EXPECT_EQ(b.shape(prod), (Shape{2, 1, 4}));
  EXPECT_EQ(b.shape(eq), (Shape{2, 3, 4}));
  EXPECT_EQ(b.dtype(eq), DType::kBool);
  EXPECT_EQ(b.shape(where), (Shape{2, 3, 4}));
  EXPECT_EQ(b.dtype(where), DType::kF32);
  EXPECT_EQ(b.dtype(pw), DType::kF32);
}

TEST(OpSchema, NonBroadcastableShapesAreAnError) {
  GraphBuilder b;
  ValueId a = b.input("a", {2, 3});
  ValueId c = b.input("c", {4});
  b.node_n("Sub", "sub", {a, c}, 1);
  Status s = b.infer();
  ASSERT_FALSE(s.ok());
  EXPECT_TRUE(contains(s.message(), "node 'sub' (Sub)")) << s.message();
  EXPECT_TRUE(contains(s.message(), "shapes [2,3] and [4] are not broadcastable")) << s.message();
}

TEST(OpSchema, MixedDtypesInArithmeticAreAnError) {
  GraphBuilder b;
  ValueId a = b.input("a", {2}, DType::kF32);
  ValueId c = b.input("c", {2}, DType::kI64);
  b.node("Add", {a, c});
  Status s = b.infer();
  ASSERT_FALSE(s.ok());
  EXPECT_TRUE(contains(s.message(), "dtypes differ (f32 vs i64)")) << s.message();
}

TEST(OpSchema, GatherScalarIndexReducesRank) {
  GraphBuilder b;
  ValueId data = b.input("data", {5, 6, 7});
  ValueId scalar =
      b.node("Gather", {data, b.constant("i", Tensor::scalar<int64_t>(-1))}, attrs({{"axis", int64_t{1}}}));
  ValueId mat = b.node("Gather", {data, b.constant("m", Tensor::from_vector<int64_t>({0, 1, 2, 3, 4, 5}, {2, 3}))},
                       attrs({{"axis", int64_t{-2}}}));
  ASSERT_TRUE(b.infer().ok()) << b.infer().message();
  EXPECT_EQ(b.shape(scalar), (Shape{5, 7}));
  EXPECT_EQ(b.shape(mat), (Shape{5, 2, 3, 7}));
}

TEST(OpSchema, GatherConstantIndexOutOfRangeIsAnError) {
  GraphBuilder b;
  ValueId data = b.input("data", {5, 6});
  b.node("Gather", {data, b.ints({5})});
  Status s = b.infer();
  ASSERT_FALSE(s.ok());
  EXPECT_TRUE(contains(s.message(), "index 5 is out of range for axis 0 of size 5")) << s.message();
}

TEST(OpSchema, SqueezeUnsqueezeAttributeVersusInput) {
  GraphBuilder b;
  ValueId x = b.input("x", {1, 3, 1, 5});
  ValueId sq_attr = b.node("Squeeze", {x}, attrs({{"axes", Ints{0, -2}}}));
  ValueId sq_in = b.node("Squeeze", {x, b.ints({2})});
  ValueId sq_all = b.node("Squeeze", {x});
  ValueId v = b.input("v", {3, 4});
  ValueId un_attr = b.node("Unsqueeze", {v}, attrs({{"axes", Ints{0, -1}}}));
  ValueId un_in = b.node("Unsqueeze", {v, b.ints({1})});
  ASSERT_TRUE(b.infer().ok()) << b.infer().message();
  EXPECT_EQ(b.shape(sq_attr), (Shape{3, 5}));
  EXPECT_EQ(b.shape(sq_in), (Shape{1, 3, 5}));
  EXPECT_EQ(b.shape(sq_all), (Shape{3, 5}));
  EXPECT_EQ(b.shape(un_attr), (Shape{1, 3, 4, 1}));  // axes index the rank-4 output
  EXPECT_EQ(b.shape(un_in), (Shape{3, 1, 4}));
}

TEST(OpSchema, SqueezeOfANonUnitAxisIsAnError) {
  GraphBuilder b;
  ValueId x = b.input("x", {1, 3});
  b.node("Squeeze", {x}, attrs({{"axes", Ints{1}}}));
  Status s = b.infer();
  ASSERT_FALSE(s.ok());
  EXPECT_TRUE(contains(s.message(), "cannot squeeze axis 1 of [1,3]: its size is 3, expected 1")) << s.message();
}

TEST(OpSchema, ConcatChecksOtherDims) {
  GraphBuilder b;
  ValueId a = b.input("a", {1, 2, 4});
  ValueId c = b.input("c", {1, 3, 4});
  ValueId ok = b.node("Concat", {a, c, a}, attrs({{"axis", int64_t{-2}}}));
  ASSERT_TRUE(b.infer().ok()) << b.infer().message();
  EXPECT_EQ(b.shape(ok), (Shape{1, 7, 4}));
  b.node("Concat", {a, c}, attrs({{"axis", int64_t{2}}}));
  Status s = b.infer();
  ASSERT_FALSE(s.ok());
  EXPECT_TRUE(contains(s.message(), "input 1 has shape [1,3,4], input 0 has [1,2,4]: dim 1 must match")) << s.message();
}

TEST(OpSchema, AxisOutOfRangeIsAnError) {
  GraphBuilder b;
  ValueId a = b.input("a", {1, 2, 4});
  b.node("Concat", {a, a}, attrs({{"axis", int64_t{3}}}));
  Status s = b.infer();
  ASSERT_FALSE(s.ok());
  EXPECT_TRUE(contains(s.message(), "axis 3 is out of range for rank 3")) << s.message();
}

TEST(OpSchema, LayoutOps) {
  GraphBuilder b;
  ValueId x = b.input("x", {2, 3, 4, 5});
  ValueId flat = b.node("Flatten", {x}, attrs({{"axis", int64_t{2}}}));
  ValueId flat0 = b.node("Flatten", {x}, attrs({{"axis", int64_t{0}}}));
  ValueId tr = b.node("Transpose", {x}, attrs({{"perm", Ints{0, 2, 3, 1}}}));
  ValueId rev = b.node("Transpose", {x});
  ValueId pad = b.node("Pad", {x, b.ints({0, 0, 1, -1, 0, 0, 2, 3})});
  ValueId exp = b.node("Expand", {b.input("e", {3, 1}), b.ints({2, 1, 6})});
  ValueId sm = b.node("Softmax", {x}, attrs({{"axis", int64_t{1}}}));
  auto drop = b.node_n("Dropout", "drop", {x}, 2);
  ASSERT_TRUE(b.infer().ok()) << b.infer().message();
  EXPECT_EQ(b.shape(flat), (Shape{6, 20}));
  EXPECT_EQ(b.shape(flat0), (Shape{1, 120}));
  EXPECT_EQ(b.shape(tr), (Shape{2, 4, 5, 3}));
  EXPECT_EQ(b.shape(rev), (Shape{5, 4, 3, 2}));
  EXPECT_EQ(b.shape(pad), (Shape{2, 3, 7, 7}));  // 4+1+2, 5-1+3
  EXPECT_EQ(b.shape(exp), (Shape{2, 3, 6}));
  EXPECT_EQ(b.shape(sm), (Shape{2, 3, 4, 5}));
  EXPECT_EQ(b.shape(drop[1]), (Shape{2, 3, 4, 5}));
  EXPECT_EQ(b.dtype(drop[1]), DType::kBool);
}

TEST(OpSchema, MatrixProductsAndBatchNorm) {
  GraphBuilder b;
  ValueId a = b.input("a", {3, 5});
  ValueId gemm = b.node("Gemm", {a, b.weights({7, 5}), b.weights({7})}, attrs({{"transB", int64_t{1}}}));
  ValueId mm = b.node("MatMul", {b.input("m", {2, 1, 3, 4}), b.weights({6, 4, 5})});
  ValueId mv = b.node("MatMul", {b.input("v", {4}), b.weights({2, 4, 5})});
  ValueId x = b.input("x", {1, 3, 4, 4});
  ValueId bn = b.node("BatchNormalization", {x, b.weights({3}), b.weights({3}), b.weights({3}), b.weights({3})});
  ASSERT_TRUE(b.infer().ok()) << b.infer().message();
  EXPECT_EQ(b.shape(gemm), (Shape{3, 7}));
  EXPECT_EQ(b.shape(mm), (Shape{2, 6, 3, 5}));
  EXPECT_EQ(b.shape(mv), (Shape{2, 5}));
  EXPECT_EQ(b.shape(bn), (Shape{1, 3, 4, 4}));
}

TEST(OpSchema, BatchNormChannelMismatchIsAnError) {
  GraphBuilder b;
  ValueId x = b.input("x", {1, 3, 4, 4});
  b.node("BatchNormalization", {x, b.weights({4}), b.weights({3}), b.weights({3}), b.weights({3})});
  Status s = b.infer();
  ASSERT_FALSE(s.ok());
  EXPECT_TRUE(contains(s.message(), "scale has shape [4], expected [3]")) << s.message();
}

TEST(OpSchema, DtypeRules) {
  GraphBuilder b;
  ValueId x = b.input("x", {2, 3});
  ValueId to_i64 = b.node("Cast", {x}, attrs({{"to", int64_t{7}}}));
  ValueId to_bool = b.node("Cast", {x}, attrs({{"to", int64_t{9}}}));
  ValueId shape = b.node("Shape", {x});
  ValueId range =
      b.node("Range", {b.constant("s", Tensor::scalar<int64_t>(1)), b.constant("l", Tensor::scalar<int64_t>(10)),
                       b.constant("d", Tensor::scalar<int64_t>(4))});
  ValueId frange =
      b.node("Range", {b.constant("fs", Tensor::scalar<float>(0.f)), b.constant("fl", Tensor::scalar<float>(1.f)),
                       b.constant("fd", Tensor::scalar<float>(0.25f))});
  Attributes one;
  one.set("value", Tensor::from_vector<int64_t>({1}, {1}));
  ValueId cos = b.node("ConstantOfShape", {b.ints({4, 2})}, one);
  ValueId clip = b.node("Clip", {x, b.constant("lo", Tensor::scalar<float>(0.f)), kNoValue});
  ASSERT_TRUE(b.infer().ok()) << b.infer().message();
  EXPECT_EQ(b.dtype(to_i64), DType::kI64);
  EXPECT_EQ(b.dtype(to_bool), DType::kBool);
  EXPECT_EQ(b.dtype(shape), DType::kI64);
  EXPECT_EQ(b.shape(shape), (Shape{2}));
  EXPECT_EQ(b.dtype(range), DType::kI64);
  EXPECT_EQ(b.shape(range), (Shape{3}));  // 1, 5, 9
  EXPECT_EQ(b.dtype(frange), DType::kF32);
  EXPECT_EQ(b.shape(frange), (Shape{4}));  // 0, .25, .5, .75
  EXPECT_EQ(b.dtype(cos), DType::kI64);
  EXPECT_EQ(b.shape(cos), (Shape{4, 2}));
  EXPECT_EQ(b.shape(clip), (Shape{2, 3}));
}

TEST(OpSchema, CastToFloat16IsUnsupported) {
  GraphBuilder b;
  ValueId x = b.input("x", {2});
  b.node("Cast", {x}, attrs({{"to", int64_t{10}}}));
  Status s = b.infer();
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.code(), StatusCode::kUnsupported);
  EXPECT_TRUE(contains(s.message(), "float16")) << s.message();
}

TEST(OpSchema, AbsurdSizesAreAnError) {
  GraphBuilder b;
  // 2^20 * 2^20 = 2^40 elements: over the 2^34 limit, though every dim is fine.
  b.node("ConstantOfShape", {b.ints({int64_t{1} << 20, int64_t{1} << 20})});
  Status s = b.infer();
  ASSERT_FALSE(s.ok());
  EXPECT_TRUE(contains(s.message(), "more than 2^34 elements")) << s.message();
}

TEST(OpSchema, ArityIsChecked) {
  GraphBuilder b;
  ValueId x = b.input("x", {2});
  b.node("Relu", {x, x});
  Status s = b.infer();
  ASSERT_FALSE(s.ok());
  EXPECT_TRUE(contains(s.message(), "expected 1..1 inputs, found 2")) << s.message();
}

TEST(OpSchema, PadsThatWouldBreakAKernelAreErrors) {
  GraphBuilder b;
  ValueId x = b.input("x", {1, 1, 3, 3});
  b.node("Pad", {x, b.ints({0, 0, 3, 0, 0, 0, 0, 0})}, attrs({{"mode", std::string("reflect")}}));
  Status s = b.infer();
  ASSERT_FALSE(s.ok());
  EXPECT_TRUE(contains(s.message(), "reflect pads [0,0,3,0,0,0,0,0] must be smaller than axis 2")) << s.message();

  GraphBuilder p;
  ValueId y = p.input("y", {1, 1, 8, 8});
  p.node("MaxPool", {y}, attrs({{"kernel_shape", Ints{2, 2}}, {"pads", Ints{0, 2, 0, 0}}}));
  s = p.infer();
  ASSERT_FALSE(s.ok());
  EXPECT_TRUE(contains(s.message(), "pads [0,2,0,0] must be smaller than the kernel [2,2]")) << s.message();
}

}  // namespace
}  // namespace yq::ir
