// SPDX-License-Identifier: Apache-2.0
#include "quant/qmath.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>

namespace yq::quant {
namespace {

TEST(QMath, RoundsHalfToEvenExactlyOnTies) {
  // x / 0.5 lands exactly on .5: 0.25 -> 0.5, 0.75 -> 1.5, 1.25 -> 2.5, 1.75 -> 3.5.
  EXPECT_EQ(quantize_value(0.25f, 0.5f, 0, -128, 127), 0);
  EXPECT_EQ(quantize_value(0.75f, 0.5f, 0, -128, 127), 2);
  EXPECT_EQ(quantize_value(1.25f, 0.5f, 0, -128, 127), 2);
  EXPECT_EQ(quantize_value(1.75f, 0.5f, 0, -128, 127), 4);
  EXPECT_EQ(quantize_value(-0.25f, 0.5f, 0, -128, 127), 0);
  EXPECT_EQ(quantize_value(-0.75f, 0.5f, 0, -128, 127), -2);
  EXPECT_EQ(quantize_value(-1.25f, 0.5f, 0, -128, 127), -2);
  // The zero point is added after rounding: 2.5 -> 2, + 10.
  EXPECT_EQ(quantize_value(2.5f, 1.f, 10, 0, 255), 12);
  EXPECT_EQ(quantize_value(3.5f, 1.f, 10, 0, 255), 14);
}

TEST(QMath, RoundsToNearestOffTies) {
  EXPECT_EQ(quantize_value(0.26f, 0.5f, 0, -128, 127), 1);   // 0.52
  EXPECT_EQ(quantize_value(0.74f, 0.5f, 0, -128, 127), 1);   // 1.48
  EXPECT_EQ(quantize_value(1.26f, 0.5f, 0, -128, 127), 3);   // 2.52
  EXPECT_EQ(quantize_value(-0.26f, 0.5f, 0, -128, 127), -1);
  EXPECT_EQ(quantize_value(-1.24f, 0.5f, 0, -128, 127), -2);  // -2.48
  EXPECT_FLOAT_EQ(dequantize_value(-3, 0.5f, 0), -1.5f);
  EXPECT_FLOAT_EQ(dequantize_value(130, 0.25f, 128), 0.5f);
}

TEST(QMath, SaturatesAtTheRangeEnds) {
  const float inf = std::numeric_limits<float>::infinity();
  EXPECT_EQ(quantize_value(1000.f, 0.1f, 0, -128, 127), 127);
  EXPECT_EQ(quantize_value(-1000.f, 0.1f, 0, -128, 127), -128);
  EXPECT_EQ(quantize_value(-1000.f, 0.1f, 0, -127, 127), -127);
  EXPECT_EQ(quantize_value(1e30f, 1e-8f, 0, -128, 127), 127);  // x / scale far outside int32
  EXPECT_EQ(quantize_value(inf, 0.1f, 0, -128, 127), 127);
  EXPECT_EQ(quantize_value(-inf, 0.1f, 3, 0, 255), 0);
  EXPECT_EQ(quantize_value(std::nanf(""), 0.1f, 3, 0, 255), 3);
  // 12.75 / 0.1 = 127.5 -> 128 (even) -> saturates to 127.
  EXPECT_EQ(quantize_value(12.75f, 0.1f, 0, -128, 127), 127);
}

TEST(QMath, FakeQuantErrorIsAtMostHalfAStepInsideTheRange) {
  std::mt19937 rng(7);
  const float t = 6.3f;
  const ir::QParams qp = symmetric_qparams(t);
  const float s = qp.scales[0];
  std::uniform_real_distribution<float> u(-t, t);
  // x / s and q * s are each rounded once in float: allow their few ulps on top of s / 2.
  const float bound = s / 2 + 4 * std::numeric_limits<float>::epsilon() * t;
  for (int i = 0; i < 100000; ++i) {
    const float x = u(rng);
    ASSERT_LE(std::fabs(fake_quantize_value(x, s, 0, qp.qmin, qp.qmax) - x), bound) << "x = " << x;
  }
}

TEST(QMath, SymmetricParams) {
  const ir::QParams a = symmetric_qparams(12.7f);
  EXPECT_FLOAT_EQ(a.scales[0], 0.1f);
  EXPECT_EQ(a.zero_points[0], 0);
  EXPECT_EQ(a.qmin, -128);
  EXPECT_EQ(a.qmax, 127);
  EXPECT_TRUE(a.validate().ok());
  const ir::QParams w = symmetric_qparams(12.7f, /*weights=*/true);
  EXPECT_EQ(w.qmin, -127);
  for (float bad : {0.f, -1.f, std::nanf(""), std::numeric_limits<float>::infinity(), 1e-30f}) {
    const ir::QParams q = symmetric_qparams(bad);
    EXPECT_EQ(q.scales[0], kMinScale) << bad;
    EXPECT_TRUE(q.validate().ok()) << bad;
  }
}

TEST(QMath, AsymmetricU8KeepsZeroExact) {
  const ir::QParams q = asymmetric_u8_qparams(-1.f, 3.f);
  ASSERT_TRUE(q.validate().ok());
  EXPECT_FLOAT_EQ(q.scales[0], 4.f / 255.f);
  EXPECT_EQ(q.zero_points[0], 64);  // 1 / (4/255) = 63.75 -> 64
  EXPECT_EQ(fake_quantize_value(0.f, q.scales[0], q.zero_points[0], q.qmin, q.qmax), 0.f);
  // Ranges not containing 0 are widened to include it.
  const ir::QParams pos = asymmetric_u8_qparams(0.5f, 2.f);
  EXPECT_EQ(pos.zero_points[0], 0);
  EXPECT_FLOAT_EQ(pos.scales[0], 2.f / 255.f);
  const ir::QParams neg = asymmetric_u8_qparams(-3.f, -1.f);
  EXPECT_EQ(neg.zero_points[0], 255);
  // Constant / all-zero / non-finite: a valid tiny scale.
  for (auto [lo, hi] : {std::pair{0.f, 0.f}, std::pair{-std::numeric_limits<float>::infinity(), 1.f}}) {
    const ir::QParams c = asymmetric_u8_qparams(lo, hi);
    EXPECT_TRUE(c.validate().ok());
    EXPECT_EQ(c.scales[0], kMinScale);
  }
}

TEST(QMath, PerChannelWeightsAlongAxis0) {
  // OIHW [3,1,2,2]: channel maxima 2, 0.5, 0 (all zero).
  Tensor w = Tensor::from_vector<float>({1.f, -2.f, 0.5f, 0.25f, 0.5f, -0.5f, 0.1f, 0.f, 0.f, 0.f, 0.f, 0.f},
                                        {3, 1, 2, 2});
  const ir::QParams qp = per_channel_weight_qparams(w, 0);
  ASSERT_TRUE(qp.validate().ok());
  EXPECT_EQ(qp.axis, 0);
  EXPECT_EQ(qp.qmin, -127);
  ASSERT_EQ(qp.scales.size(), 3u);
  EXPECT_FLOAT_EQ(qp.scales[0], 2.f / 127.f);
  EXPECT_FLOAT_EQ(qp.scales[1], 0.5f / 127.f);
  EXPECT_EQ(qp.scales[2], kMinScale);
  const Tensor q = quantize_tensor(w, qp);
  ASSERT_EQ(q.dtype(), DType::kI8);
  const int8_t* d = q.data<int8_t>();
  EXPECT_EQ(d[1], -127);  // each channel's max maps to ±127
  EXPECT_EQ(d[4], 127);
  EXPECT_EQ(d[5], -127);
  EXPECT_EQ(d[3], 16);    // 0.25 / (2/127) = 15.875
  EXPECT_EQ(d[6], 25);    // 0.1 / (0.5/127) = 25.4
  for (int i = 8; i < 12; ++i) EXPECT_EQ(d[i], 0);
  const Tensor back = dequantize_tensor(q, qp);
  for (int64_t i = 0; i < w.numel(); ++i) {
    EXPECT_NEAR(back.data<float>()[i], w.data<float>()[i], qp.scales[i / 4] / 2 * 1.0001f) << i;
  }
}

TEST(QMath, PerChannelAlongAnInnerAxis) {
  // [2,3] along axis 1 (negative axis -1): columns have maxima 1, 2, 4.
  Tensor w = Tensor::from_vector<float>({1.f, -2.f, 4.f, -0.5f, 1.f, 2.f}, {2, 3});
  const ir::QParams qp = per_channel_weight_qparams(w, -1);
  EXPECT_EQ(qp.axis, 1);
  ASSERT_EQ(qp.scales.size(), 3u);
  EXPECT_FLOAT_EQ(qp.scales[0], 1.f / 127.f);
  EXPECT_FLOAT_EQ(qp.scales[1], 2.f / 127.f);
  EXPECT_FLOAT_EQ(qp.scales[2], 4.f / 127.f);
  Tensor f = w.clone();
  fake_quantize_inplace(f, qp);
  const Tensor q = quantize_tensor(w, qp);
  for (int64_t i = 0; i < 6; ++i) {
    const size_t c = static_cast<size_t>(i % 3);
    EXPECT_EQ(q.data<int8_t>()[i], quantize_value(w.data<float>()[i], qp.scales[c], 0, -127, 127));
    EXPECT_EQ(f.data<float>()[i], dequantize_value(q.data<int8_t>()[i], qp.scales[c], 0));
  }
}

TEST(QMath, CheckQParamsNamesTheMismatch) {
  Tensor w = Tensor::zeros(DType::kF32, {4, 2});
  ir::QParams qp = symmetric_qparams(1.f, true);
  qp.axis = 0;
  qp.scales = {0.1f, 0.1f, 0.1f};
  qp.zero_points = {0, 0, 0};
  const Status s = check_qparams_for(w, qp, DType::kF32);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("4 channels"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("3 scales"), std::string::npos) << s.message();
  qp.axis = 2;
  EXPECT_FALSE(check_qparams_for(w, qp, DType::kF32).ok());
  EXPECT_FALSE(check_qparams_for(Tensor::zeros(DType::kI8, {4, 2}), symmetric_qparams(1.f), DType::kF32).ok());
  EXPECT_TRUE(check_qparams_for(w, symmetric_qparams(1.f), DType::kF32).ok());
}

}  // namespace
}  // namespace yq::quant
