// SPDX-License-Identifier: Apache-2.0
// Reference kernels other than Conv: hand-computed cases and independent formulations.
#include "ref_test_util.h"

namespace yq::runtime::ref::testing {
namespace {

TEST(RefEvaluator, AllocatesAndFillsOutputs) {
  const Tensor a = f32({1, 2, 3}, {3});
  const Tensor b = f32({10, 20, 30}, {3});
  auto r = run_op("Add", {}, {&a, &b}, {{DType::kF32, {3}, nullptr}});
  ASSERT_TRUE(r.ok()) << r.status().message();
  ASSERT_EQ(r->size(), 1u);
  EXPECT_EQ((*r)[0].shape(), Shape{3});
  EXPECT_EQ((*r)[0].data<float>()[2], 33.0f);
  auto bad = run_op("NoSuchOp", {}, {&a}, {{DType::kF32, {3}, nullptr}});
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), StatusCode::kUnsupported);
  EXPECT_NE(find_ref_kernel("FusedConv"), nullptr);
  EXPECT_EQ(find_ref_kernel("NoSuchOp"), nullptr);
}

TEST(RefElementwise, FourDimBroadcastMatchesExplicitIndexing) {
  const Tensor a = random_f32({2, 1, 3, 1}, 1);
  const Tensor b = random_f32({1, 4, 1, 5}, 2);
  const Tensor c = random_f32({5}, 3);
  const Tensor sum = run1("Add", {}, {&a, &b}, DType::kF32, {2, 4, 3, 5});
  const Tensor prod = run1("Mul", {}, {&sum, &c}, DType::kF32, {2, 4, 3, 5});
  for (int n = 0; n < 2; ++n)
    for (int h = 0; h < 4; ++h)
      for (int i = 0; i < 3; ++i)
        for (int j = 0; j < 5; ++j) {
          const float want = (a.data<float>()[n * 3 + i] + b.data<float>()[h * 5 + j]) * c.data<float>()[j];
          ASSERT_FLOAT_EQ(prod.data<float>()[((n * 4 + h) * 3 + i) * 5 + j], want);
        }
}

TEST(RefElementwise, IntegerArithmeticTruncatesAndEqualGivesBool) {
  const Tensor a = i64({-7, 7, 9, -9}, {4});
  const Tensor b = i64({2}, {1});
  const Tensor q = run1("Div", {}, {&a, &b}, DType::kI64, {4});
  EXPECT_EQ(q.to_int64_vector(), (std::vector<int64_t>{-3, 3, 4, -4}));
  const Tensor d = run1("Sub", {}, {&a, &b}, DType::kI64, {4});
  EXPECT_EQ(d.to_int64_vector(), (std::vector<int64_t>{-9, 5, 7, -11}));
  const Tensor e = run1("Equal", {}, {&q, &b}, DType::kBool, {4});
  EXPECT_EQ(e.to_int64_vector(), (std::vector<int64_t>{0, 0, 0, 0}));
  const Tensor three = i64({3}, {});
  EXPECT_EQ(run1("Equal", {}, {&q, &three}, DType::kBool, {4}).to_int64_vector(),
            (std::vector<int64_t>{0, 1, 0, 0}));
  const Tensor zero = i64({0}, {1});
  auto r = run_op("Div", {}, {&a, &zero}, {{DType::kI64, {4}, nullptr}});
  EXPECT_FALSE(r.ok());
}

TEST(RefElementwise, CastTruncatesTowardZero) {
  const Tensor x = f32({-2.7f, -0.3f, 0.0f, 1.9f, 3.2f}, {5});
  EXPECT_EQ(run1("Cast", {}, {&x}, DType::kI64, {5}).to_int64_vector(), (std::vector<int64_t>{-2, 0, 0, 1, 3}));
  EXPECT_EQ(run1("Cast", {}, {&x}, DType::kBool, {5}).to_int64_vector(), (std::vector<int64_t>{1, 1, 0, 1, 1}));
  const Tensor i = i64({-5, 300}, {2});
  const Tensor back = run1("Cast", {}, {&i}, DType::kF32, {2});
  EXPECT_EQ(back.data<float>()[0], -5.0f);
  EXPECT_EQ(back.data<float>()[1], 300.0f);
}

TEST(RefElementwise, UnaryHandValues) {
  const Tensor x = f32({-4.0f, -1.0f, 0.0f, 2.0f, 9.0f}, {5});
  auto vals = [&](const std::string& op, const ir::Attributes& a = {}) {
    const Tensor y = run1(op, a, {&x}, DType::kF32, {5});
    return std::vector<float>(y.data<float>(), y.data<float>() + 5);
  };
  EXPECT_EQ(vals("Relu"), (std::vector<float>{0, 0, 0, 2, 9}));
  EXPECT_EQ(vals("Neg"), (std::vector<float>{4, 1, -0.0f, -2, -9}));
  ir::Attributes lr;
  lr.set("alpha", 0.5f);
  EXPECT_EQ(vals("LeakyRelu", lr), (std::vector<float>{-2, -0.5f, 0, 2, 9}));
  // HardSwish: x * clamp(x/6 + 0.5, 0, 1).
  const std::vector<float> hs = vals("HardSwish");
  EXPECT_FLOAT_EQ(hs[0], 0.0f);
  EXPECT_FLOAT_EQ(hs[1], -1.0f * (1.0f / 3.0f));
  EXPECT_FLOAT_EQ(hs[3], 2.0f * (5.0f / 6.0f));
  EXPECT_FLOAT_EQ(hs[4], 9.0f);
  // Clip with opset-11 min/max inputs; max omitted.
  const Tensor lo = f32({-1.5f}, {});
  const Tensor y = run1("Clip", {}, {&x, &lo, nullptr}, DType::kF32, {5});
  EXPECT_EQ(std::vector<float>(y.data<float>(), y.data<float>() + 5), (std::vector<float>{-1.5f, -1, 0, 2, 9}));
  const std::vector<float> s = vals("Sigmoid");
  EXPECT_NEAR(s[1], 1.0 / (1.0 + std::exp(1.0)), 1e-7);
  EXPECT_FLOAT_EQ(s[2], 0.5f);
  const Tensor two = f32({2.0f}, {1});
  const Tensor sq = run1("Pow", {}, {&x, &two}, DType::kF32, {5});
  EXPECT_EQ(sq.data<float>()[0], 16.0f);
  const Tensor two_i = i64({2}, {});
  EXPECT_EQ(run1("Pow", {}, {&x, &two_i}, DType::kF32, {5}).data<float>()[4], 81.0f);
}

TEST(RefElementwise, WhereBroadcastsOnI64) {
  const Tensor c = Tensor::from_vector<bool>({true, false}, {2, 1});
  const Tensor x = i64({1, 2, 3}, {3});
  const Tensor y = i64({-1}, {1});
  const Tensor z = run1("Where", {}, {&c, &x, &y}, DType::kI64, {2, 3});
  EXPECT_EQ(z.to_int64_vector(), (std::vector<int64_t>{1, 2, 3, -1, -1, -1}));
}

TEST(RefSoftmax, SumsToOneAlongAxisAndLegacyFlattens) {
  const Tensor x = random_f32({2, 3, 4}, 5, -5, 5);
  ir::Attributes a;
  a.set("axis", int64_t{1});
  const Tensor y = run1("Softmax", a, {&x}, DType::kF32, {2, 3, 4});
  for (int n = 0; n < 2; ++n)
    for (int k = 0; k < 4; ++k) {
      double s = 0.0;
      for (int c = 0; c < 3; ++c) s += y.data<float>()[(n * 3 + c) * 4 + k];
      EXPECT_NEAR(s, 1.0, 1e-6);
      // Ratio of two entries is exp of the difference of logits.
      EXPECT_NEAR(y.data<float>()[(n * 3 + 0) * 4 + k] / y.data<float>()[(n * 3 + 1) * 4 + k],
                  std::exp(x.data<float>()[(n * 3 + 0) * 4 + k] - x.data<float>()[(n * 3 + 1) * 4 + k]), 1e-4);
    }
  a.set("yq_opset_lt13", int64_t{1});
  const Tensor l = run1("Softmax", a, {&x}, DType::kF32, {2, 3, 4});
  for (int n = 0; n < 2; ++n) {
    double s = 0.0;
    for (int i = 0; i < 12; ++i) s += l.data<float>()[n * 12 + i];
    EXPECT_NEAR(s, 1.0, 1e-6);
  }
}

TEST(RefResize, HalfPixelLinearHandValues) {
  const Tensor x = f32({1, 2, 3, 4}, {1, 1, 2, 2});
  const Tensor scales = f32({1, 1, 2, 2}, {4});
  ir::Attributes a;
  a.set("mode", std::string("linear"));
  const Tensor y = run1("Resize", a, {&x, nullptr, &scales}, DType::kF32, {1, 1, 4, 4});
  const std::vector<float> want = {1,   1.25, 1.75, 2,   1.5, 1.75, 2.25, 2.5,
                                   2.5, 2.75, 3.25, 3.5, 3,   3.25, 3.75, 4};
  expect_near(y, f32(want, {1, 1, 4, 4}), 1e-7);
  // align_corners: the corners map exactly; 2 -> 3 gives the midpoints.
  a.set("coordinate_transformation_mode", std::string("align_corners"));
  const Tensor sizes = i64({1, 1, 3, 3}, {4});
  const Tensor ac = run1("Resize", a, {&x, nullptr, nullptr, &sizes}, DType::kF32, {1, 1, 3, 3});
  expect_near(ac, f32({1, 1.5, 2, 2, 2.5, 3, 3, 3.5, 4}, {1, 1, 3, 3}), 1e-7);
}

TEST(RefResize, NearestAsymmetricFloorAsYoloExports) {
  const Tensor x = f32({1, 2, 3, 4, 5, 6}, {1, 2, 1, 3});
  const Tensor scales = f32({1, 1, 2, 2}, {4});
  ir::Attributes a;
  a.set("mode", std::string("nearest"));
  a.set("coordinate_transformation_mode", std::string("asymmetric"));
  a.set("nearest_mode", std::string("floor"));
  const Tensor roi = f32({}, {0});
  const Tensor y = run1("Resize", a, {&x, &roi, &scales}, DType::kF32, {1, 2, 2, 6});
  const std::vector<float> want = {1, 1, 2, 2, 3, 3, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 4, 4, 5, 5, 6, 6};
  expect_near(y, f32(want, {1, 2, 2, 6}), 0);
  // Upsample (opset 9) with the same scales agrees.
  const Tensor u = run1("Upsample", a, {&x, &scales}, DType::kF32, {1, 2, 2, 6});
  expect_near(u, y, 0);
}

TEST(RefResize, NearestModesOnDownscale) {
  // 5 -> 2 with half_pixel: x = (o + 0.5) * 2.5 - 0.5 = 0.75, 3.25.
  const Tensor x = f32({10, 11, 12, 13, 14}, {1, 5});
  const Tensor sizes = i64({1, 2}, {2});
  auto pick = [&](const std::string& mode) {
    ir::Attributes a;
    a.set("nearest_mode", mode);
    const Tensor y = run1("Resize", a, {&x, nullptr, nullptr, &sizes}, DType::kF32, {1, 2});
    return std::vector<float>{y.data<float>()[0], y.data<float>()[1]};
  };
  EXPECT_EQ(pick("round_prefer_floor"), (std::vector<float>{11, 13}));
  EXPECT_EQ(pick("floor"), (std::vector<float>{10, 13}));
  EXPECT_EQ(pick("ceil"), (std::vector<float>{11, 14}));
}

TEST(RefSlice, NegativeStepsAndClamping) {
  std::vector<float> v(10);
  for (int i = 0; i < 10; ++i) v[i] = static_cast<float>(i);
  const Tensor x = f32(v, {2, 5});
  const Tensor starts = i64({-1}, {1});
  const Tensor ends = i64({std::numeric_limits<int64_t>::min()}, {1});
  const Tensor axes = i64({1}, {1});
  const Tensor steps = i64({-2}, {1});
  const Tensor y = run1("Slice", {}, {&x, &starts, &ends, &axes, &steps}, DType::kF32, {2, 3});
  expect_near(y, f32({4, 2, 0, 9, 7, 5}, {2, 3}), 0);
  // Positive step with an end past the dim, both axes, i64 data.
  const Tensor xi = i64({0, 1, 2, 3, 4, 5, 6, 7, 8, 9}, {2, 5});
  const Tensor s2 = i64({1, 1}, {2});
  const Tensor e2 = i64({100, 1000}, {2});
  const Tensor st2 = i64({1, 2}, {2});
  const Tensor y2 = run1("Slice", {}, {&xi, &s2, &e2, nullptr, &st2}, DType::kI64, {1, 2});
  EXPECT_EQ(y2.to_int64_vector(), (std::vector<int64_t>{6, 8}));
}

TEST(RefGather, NegativeIndexAndOutOfRangeError) {
  const Tensor x = f32({0, 1, 2, 3, 4, 5}, {2, 3});
  const Tensor idx = i64({-1, 0}, {2});
  ir::Attributes a;
  a.set("axis", int64_t{1});
  const Tensor y = run1("Gather", a, {&x, &idx}, DType::kF32, {2, 2});
  expect_near(y, f32({2, 0, 5, 3}, {2, 2}), 0);
  const Tensor bad = i64({3}, {});
  auto r = run_op("Gather", a, {&x, &bad}, {{DType::kF32, {2}, nullptr}});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("test_Gather"), std::string::npos);
  EXPECT_NE(r.status().message().find("index 3"), std::string::npos) << r.status().message();
}

TEST(RefTensor, TransposeConcatSplitExpand) {
  const Tensor x = f32({0, 1, 2, 3, 4, 5}, {2, 3});
  ir::Attributes perm;
  perm.set("perm", std::vector<int64_t>{1, 0});
  expect_near(run1("Transpose", perm, {&x}, DType::kF32, {3, 2}), f32({0, 3, 1, 4, 2, 5}, {3, 2}), 0);
  const Tensor z = f32({9, 8}, {2, 1});
  ir::Attributes ax1;
  ax1.set("axis", int64_t{-1});
  const Tensor c = run1("Concat", ax1, {&x, &z}, DType::kF32, {2, 4});
  expect_near(c, f32({0, 1, 2, 9, 3, 4, 5, 8}, {2, 4}), 0);
  auto parts = run_op("Split", ax1, {&c}, {{DType::kF32, {2, 1}, nullptr}, {DType::kF32, {2, 3}, nullptr}});
  ASSERT_TRUE(parts.ok()) << parts.status().message();
  expect_near((*parts)[0], f32({0, 3}, {2, 1}), 0);
  expect_near((*parts)[1], f32({1, 2, 9, 4, 5, 8}, {2, 3}), 0);
  const Tensor col = f32({1, 2}, {2, 1});
  const Tensor shape = i64({2, 2, 3}, {3});
  const Tensor e = run1("Expand", {}, {&col, &shape}, DType::kF32, {2, 2, 3});
  expect_near(e, f32({1, 1, 1, 2, 2, 2, 1, 1, 1, 2, 2, 2}, {2, 2, 3}), 0);
}

TEST(RefTensor, PadModes) {
  const Tensor x = f32({1, 2, 3}, {1, 3});
  const Tensor pads = i64({0, 2, 0, 1}, {4});
  const Tensor value = f32({-1}, {});
  expect_near(run1("Pad", {}, {&x, &pads, &value}, DType::kF32, {1, 6}), f32({-1, -1, 1, 2, 3, -1}, {1, 6}), 0);
  ir::Attributes reflect;
  reflect.set("mode", std::string("reflect"));
  expect_near(run1("Pad", reflect, {&x, &pads}, DType::kF32, {1, 6}), f32({3, 2, 1, 2, 3, 2}, {1, 6}), 0);
  ir::Attributes edge;
  edge.set("mode", std::string("edge"));
  expect_near(run1("Pad", edge, {&x, &pads}, DType::kF32, {1, 6}), f32({1, 1, 1, 2, 3, 3}, {1, 6}), 0);
  const Tensor crop = i64({0, -1, 0, 0}, {4});
  expect_near(run1("Pad", {}, {&x, &crop}, DType::kF32, {1, 2}), f32({2, 3}, {1, 2}), 0);
}

TEST(RefTensor, ShapeChainOps) {
  const Tensor x = random_f32({2, 3, 5}, 7);
  EXPECT_EQ(run1("Shape", {}, {&x}, DType::kI64, {3}).to_int64_vector(), (std::vector<int64_t>{2, 3, 5}));
  ir::Attributes se;
  se.set("start", int64_t{-2});
  EXPECT_EQ(run1("Shape", se, {&x}, DType::kI64, {2}).to_int64_vector(), (std::vector<int64_t>{3, 5}));
  const Tensor s = i64({0}, {}), l = i64({10}, {}), d = i64({3}, {});
  EXPECT_EQ(run1("Range", {}, {&s, &l, &d}, DType::kI64, {4}).to_int64_vector(),
            (std::vector<int64_t>{0, 3, 6, 9}));
  ir::Attributes v;
  v.set("value", Tensor::from_vector<int64_t>({7}, {1}));
  const Tensor shp = i64({2, 2}, {2});
  EXPECT_EQ(run1("ConstantOfShape", v, {&shp}, DType::kI64, {2, 2}).to_int64_vector(),
            (std::vector<int64_t>{7, 7, 7, 7}));
  const Tensor r = run1("Reshape", {}, {&x, &shp}, DType::kF32, {6, 5});
  EXPECT_EQ(r.data<float>()[29], x.data<float>()[29]);
}

TEST(RefPool, MaxPoolCeilModeWithPads) {
  // 1x1x4x4, k=2, s=2, pads 1: windows start at -1, 1, 3 (the last one only sees row/col 3).
  std::vector<float> v(16);
  for (int i = 0; i < 16; ++i) v[i] = static_cast<float>((i * 7) % 16);
  const Tensor x = f32(v, {1, 1, 4, 4});
  ir::Attributes a;
  a.set("kernel_shape", std::vector<int64_t>{2, 2});
  a.set("strides", std::vector<int64_t>{2, 2});
  a.set("pads", std::vector<int64_t>{1, 1, 1, 1});
  const Tensor y = run1("MaxPool", a, {&x}, DType::kF32, {1, 1, 3, 3});
  for (int oh = 0; oh < 3; ++oh)
    for (int ow = 0; ow < 3; ++ow) {
      float m = -1e30f;
      for (int i = oh * 2 - 1; i <= oh * 2; ++i)
        for (int j = ow * 2 - 1; j <= ow * 2; ++j)
          if (i >= 0 && i < 4 && j >= 0 && j < 4) m = std::max(m, v[i * 4 + j]);
      EXPECT_EQ(y.data<float>()[oh * 3 + ow], m);
    }
}

TEST(RefPool, AveragePoolCountIncludePadAndCeilMode) {
  // 1x1x3x3 of ones, k=2, s=2, pads {0,0,0,0}, ceil_mode: output 2x2; the last window hangs
  // over the edge and must average only the pixels it covers.
  const Tensor x = f32({1, 2, 3, 4, 5, 6, 7, 8, 9}, {1, 1, 3, 3});
  ir::Attributes a;
  a.set("kernel_shape", std::vector<int64_t>{2, 2});
  a.set("strides", std::vector<int64_t>{2, 2});
  a.set("ceil_mode", int64_t{1});
  expect_near(run1("AveragePool", a, {&x}, DType::kF32, {1, 1, 2, 2}), f32({3, 4.5, 7.5, 9}, {1, 1, 2, 2}), 1e-7);
  // pads 1 and count_include_pad: the corner window holds one pixel and three zeros.
  ir::Attributes p;
  p.set("kernel_shape", std::vector<int64_t>{2, 2});
  p.set("strides", std::vector<int64_t>{2, 2});
  p.set("pads", std::vector<int64_t>{1, 1, 1, 1});
  p.set("count_include_pad", int64_t{1});
  const Tensor y = run1("AveragePool", p, {&x}, DType::kF32, {1, 1, 2, 2});
  expect_near(y, f32({0.25f, (2 + 3) / 4.0f, (4 + 7) / 4.0f, (5 + 6 + 8 + 9) / 4.0f}, {1, 1, 2, 2}), 1e-7);
  p.set("count_include_pad", int64_t{0});
  expect_near(run1("AveragePool", p, {&x}, DType::kF32, {1, 1, 2, 2}), f32({1, 2.5, 5.5, 7}, {1, 1, 2, 2}), 1e-7);
}

TEST(RefNorm, BatchNormGlobalPoolReduceMean) {
  const Tensor x = f32({1, 2, 3, 4, 5, 6, 7, 8}, {1, 2, 2, 2});
  const Tensor scale = f32({2, 1}, {2}), bias = f32({1, 0}, {2}), mean = f32({1, 5}, {2}), var = f32({4, 1}, {2});
  ir::Attributes eps;
  eps.set("epsilon", 0.0f);
  const Tensor bn = run1("BatchNormalization", eps, {&x, &scale, &bias, &mean, &var}, DType::kF32, {1, 2, 2, 2});
  // channel 0: (x-1)*2/2 + 1 = x; channel 1: (x-5)*1/1.
  expect_near(bn, f32({1, 2, 3, 4, 0, 1, 2, 3}, {1, 2, 2, 2}), 1e-7);
  expect_near(run1("GlobalAveragePool", {}, {&x}, DType::kF32, {1, 2, 1, 1}), f32({2.5, 6.5}, {1, 2, 1, 1}), 1e-7);
  ir::Attributes rm;
  rm.set("axes", std::vector<int64_t>{-1});
  rm.set("keepdims", int64_t{0});
  expect_near(run1("ReduceMean", rm, {&x}, DType::kF32, {1, 2, 2}), f32({1.5, 3.5, 5.5, 7.5}, {1, 2, 2}), 1e-7);
  rm.set("axes", std::vector<int64_t>{1, 3});
  expect_near(run1("ReduceMean", rm, {&x}, DType::kF32, {1, 2}), f32({3.5, 5.5}, {1, 2}), 1e-7);
}

TEST(RefMatmul, GemmTransposesAndBroadcastsC) {
  const Tensor a = random_f32({4, 3}, 8);  // transA: A' is 3x4
  const Tensor b = random_f32({5, 4}, 9);  // transB: B' is 4x5
  const Tensor c = random_f32({5}, 10);
  ir::Attributes at;
  at.set("transA", int64_t{1});
  at.set("transB", int64_t{1});
  at.set("alpha", 0.5f);
  at.set("beta", 2.0f);
  const Tensor y = run1("Gemm", at, {&a, &b, &c}, DType::kF32, {3, 5});
  for (int m = 0; m < 3; ++m)
    for (int n = 0; n < 5; ++n) {
      double s = 0;
      for (int k = 0; k < 4; ++k) s += double(a.data<float>()[k * 3 + m]) * b.data<float>()[n * 4 + k];
      EXPECT_NEAR(y.data<float>()[m * 5 + n], 0.5 * s + 2.0 * c.data<float>()[n], 1e-5);
    }
}

TEST(RefMatmul, BatchedBroadcastMatMul) {
  const Tensor a = random_f32({2, 1, 3, 4}, 11);
  const Tensor b = random_f32({3, 4, 2}, 12);
  const Tensor y = run1("MatMul", {}, {&a, &b}, DType::kF32, {2, 3, 3, 2});
  for (int i = 0; i < 2; ++i)
    for (int j = 0; j < 3; ++j)
      for (int m = 0; m < 3; ++m)
        for (int n = 0; n < 2; ++n) {
          double s = 0;
          for (int k = 0; k < 4; ++k) s += double(a.data<float>()[(i * 3 + m) * 4 + k]) * b.data<float>()[(j * 4 + k) * 2 + n];
          EXPECT_NEAR(y.data<float>()[((i * 3 + j) * 3 + m) * 2 + n], s, 1e-5);
        }
  const Tensor v = random_f32({4}, 13);  // 1-D rhs: [..., 3, 4] x [4] -> [..., 3]
  const Tensor yv = run1("MatMul", {}, {&a, &v}, DType::kF32, {2, 1, 3});
  double s = 0;
  for (int k = 0; k < 4; ++k) s += double(a.data<float>()[4 * 4 + k]) * v.data<float>()[k];
  EXPECT_NEAR(yv.data<float>()[4], s, 1e-5);
}

}  // namespace
}  // namespace yq::runtime::ref::testing
