// SPDX-License-Identifier: Apache-2.0
#include "quant/calibrator.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <random>
#include <vector>

#include "quant/qmath.h"

namespace yq::quant {
namespace {

constexpr CalibMethod kAllMethods[] = {CalibMethod::kMinMax, CalibMethod::kPercentile, CalibMethod::kEntropy,
                                       CalibMethod::kMse};

float threshold_of(const TensorStats& s, CalibMethod m, double percentile = 99.99) {
  CalibOptions o;
  o.method = m;
  o.percentile = percentile;
  auto t = calibrate_threshold(s, o);
  EXPECT_TRUE(t.ok()) << t.status().message();
  return t.ok() ? *t : -1.f;
}

TensorStats stats_of(const std::vector<float>& v) {
  TensorStats s;
  s.observe(v);
  return s;
}

// Exact mean squared error of int8 activation fake quantization with threshold t over samples.
double exact_mse(const std::vector<float>& v, float t) {
  const float s = t / 127.f;
  double e = 0.0;
  for (float x : v) {
    const double d = static_cast<double>(x) - fake_quantize_value(x, s, 0, -128, 127);
    e += d * d;
  }
  return e / static_cast<double>(v.size());
}

// The brute-force optimum of exact_mse over [lo, hi]: a coarse grid (step 0.25) and then a fine
// one (step 0.005) around the best coarse point.
std::pair<float, double> brute_force_mse(const std::vector<float>& v, float lo, float hi) {
  auto search = [&](float a, float b, float step) {
    std::pair<float, double> best{a, exact_mse(v, a)};
    for (float t = a + step; t <= b; t += step) {
      const double e = exact_mse(v, t);
      if (e < best.second) best = {t, e};
    }
    return best;
  };
  const float coarse = search(lo, hi, 0.25f).first;
  return search(std::max(lo, coarse - 0.25f), std::min(hi, coarse + 0.25f), 0.005f);
}

std::vector<float> gaussian(uint32_t seed, size_t n) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> g(0.f, 1.f);
  std::vector<float> v(n);
  for (auto& x : v) x = g(rng);
  return v;
}

TEST(Calibrator, MethodNamesRoundTrip) {
  for (CalibMethod m : kAllMethods) {
    auto p = parse_calib_method(calib_method_name(m));
    ASSERT_TRUE(p.ok());
    EXPECT_EQ(*p, m);
  }
  auto bad = parse_calib_method("kl");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("'kl'"), std::string::npos);
}

TEST(Calibrator, UniformGivesItsHalfWidth) {
  const float a = 3.f;
  std::mt19937 rng(1);
  std::uniform_real_distribution<float> u(-a, a);
  std::vector<float> v(200000);
  for (auto& x : v) x = u(rng);
  const TensorStats s = stats_of(v);
  const float amax = s.abs_max();
  EXPECT_EQ(threshold_of(s, CalibMethod::kMinMax), amax);
  EXPECT_NEAR(threshold_of(s, CalibMethod::kPercentile), a * (1 - 1e-4), 0.002 * a);
  EXPECT_NEAR(threshold_of(s, CalibMethod::kEntropy), a, 0.03 * a);
  EXPECT_NEAR(threshold_of(s, CalibMethod::kMse), a, 0.03 * a);
}

// Percentiles of |x| known in closed form: P(|N(0,1)| > 3.8906) = 1e-4; P(|Laplace(1)| > t) = e^-t.
constexpr float kGaussianAbsP9999 = 3.8906f;
const float kLaplaceAbsP9999 = std::log(1e4f);

TEST(Calibrator, GaussianWithAFewHugeOutliers) {
  std::vector<float> clean = gaussian(2, 1000000);
  std::vector<float> v = clean;
  v[1000] = 20.f;
  v[2000] = -20.f;
  const TensorStats s = stats_of(v);
  EXPECT_EQ(threshold_of(s, CalibMethod::kMinMax), 20.f);
  EXPECT_NEAR(threshold_of(s, CalibMethod::kPercentile), kGaussianAbsP9999, 0.02 * kGaussianAbsP9999);

  // MSE: the histogram search must find the optimum of the exact per-sample error (outliers
  // included), which for 2 outliers in 1M samples clips them.
  const auto [t_best, e_best] = brute_force_mse(v, 1.f, 20.f);
  const float t_mse = threshold_of(s, CalibMethod::kMse);
  EXPECT_LT(t_mse, 20.f / 3);
  EXPECT_NEAR(t_mse, t_best, 0.05 * t_best);
  EXPECT_LE(exact_mse(v, t_mse), 1.01 * e_best);

  // Entropy: far below the outliers, barely moved by them, and near the clean data's MSE optimum.
  const float t_kl = threshold_of(s, CalibMethod::kEntropy);
  const float t_kl_clean = threshold_of(stats_of(clean), CalibMethod::kEntropy);
  const float t_best_clean = brute_force_mse(clean, 1.f, 8.f).first;
  EXPECT_LT(t_kl, 20.f / 3);
  EXPECT_NEAR(t_kl, t_kl_clean, 0.05 * t_kl_clean);
  EXPECT_NEAR(t_kl, t_best_clean, 0.2 * t_best_clean);
}

TEST(Calibrator, Laplacian) {
  std::mt19937 rng(4);
  std::exponential_distribution<float> e(1.f);
  std::bernoulli_distribution sign(0.5);
  std::vector<float> v(1000000);
  for (auto& x : v) x = (sign(rng) ? 1.f : -1.f) * e(rng);
  const TensorStats s = stats_of(v);
  EXPECT_NEAR(threshold_of(s, CalibMethod::kPercentile), kLaplaceAbsP9999, 0.02 * kLaplaceAbsP9999);
  const auto [t_best, e_best] = brute_force_mse(v, 1.f, s.abs_max());
  const float t_mse = threshold_of(s, CalibMethod::kMse);
  EXPECT_NEAR(t_mse, t_best, 0.05 * t_best);
  EXPECT_LE(exact_mse(v, t_mse), 1.01 * e_best);
  const float t_kl = threshold_of(s, CalibMethod::kEntropy);
  EXPECT_LT(t_kl, 0.9f * s.abs_max());
  EXPECT_NEAR(t_kl, t_best, 0.15 * t_best);
}

TEST(Calibrator, AllZeroTensorGivesAValidTinyScale) {
  const TensorStats s = stats_of(std::vector<float>(1000, 0.f));
  for (CalibMethod m : kAllMethods) {
    CalibOptions o;
    o.method = m;
    EXPECT_EQ(threshold_of(s, m), 0.f) << calib_method_name(m);
    auto qp = calibrate_activation(s, o);
    ASSERT_TRUE(qp.ok()) << qp.status().message();
    EXPECT_TRUE(qp->validate().ok());
    EXPECT_EQ(qp->scales[0], kMinScale);
  }
}

TEST(Calibrator, ConstantTensorKeepsItsValue) {
  const TensorStats s = stats_of(std::vector<float>(1000, -2.5f));
  for (CalibMethod m : {CalibMethod::kMinMax, CalibMethod::kEntropy, CalibMethod::kMse}) {
    EXPECT_EQ(threshold_of(s, m), 2.5f) << calib_method_name(m);
  }
}

TEST(Calibrator, IsDeterministic) {
  const std::vector<float> v = gaussian(9, 100000);
  const TensorStats whole = stats_of(v);
  // The same statistics reached through a merge must give the same bits.
  TensorStats a, b;
  a.observe(std::span<const float>(v).first(30000));
  b.observe(std::span<const float>(v).subspan(30000));
  ASSERT_TRUE(b.merge(a).ok());
  for (CalibMethod m : kAllMethods) {
    const float t1 = threshold_of(whole, m), t2 = threshold_of(whole, m), t3 = threshold_of(b, m);
    EXPECT_EQ(std::bit_cast<uint32_t>(t1), std::bit_cast<uint32_t>(t2)) << calib_method_name(m);
    EXPECT_EQ(std::bit_cast<uint32_t>(t1), std::bit_cast<uint32_t>(t3)) << calib_method_name(m);
  }
}

TEST(Calibrator, ActivationQParams) {
  const std::vector<float> v = {-1.f, 0.5f, 3.f, 12.7f};
  const TensorStats s = stats_of(v);
  CalibOptions o;
  o.method = CalibMethod::kMinMax;
  auto sym = calibrate_activation(s, o);
  ASSERT_TRUE(sym.ok());
  EXPECT_EQ(sym->dtype, DType::kI8);
  EXPECT_EQ(sym->qmin, -128);
  EXPECT_FLOAT_EQ(sym->scales[0], 0.1f);
  o.symmetric = false;
  auto asym = calibrate_activation(s, o);
  ASSERT_TRUE(asym.ok());
  EXPECT_EQ(asym->dtype, DType::kU8);
  EXPECT_FLOAT_EQ(asym->scales[0], 13.7f / 255.f);
  EXPECT_EQ(asym->zero_points[0], 19);  // 1 / (13.7/255) = 18.61
  o.method = CalibMethod::kEntropy;
  auto bad = calibrate_activation(s, o);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), StatusCode::kUnsupported);
}

// A tensor never seen below zero (ReLU outputs) uses u8 [0, 255] at scale T/255: the same
// threshold, twice the resolution, zero point 0. One negative value keeps it s8.
TEST(Calibrator, NonNegativeActivationsGetU8WithZeroPointZero) {
  CalibOptions o;
  o.method = CalibMethod::kMinMax;
  auto u = calibrate_activation(stats_of({0.f, 0.5f, 3.f, 25.5f}), o);
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(u->dtype, DType::kU8);
  EXPECT_EQ(u->qmin, 0);
  EXPECT_EQ(u->qmax, 255);
  EXPECT_EQ(u->zero_points[0], 0);
  EXPECT_FLOAT_EQ(u->scales[0], 0.1f);
  auto s = calibrate_activation(stats_of({-0.001f, 0.5f, 3.f, 12.7f}), o);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->dtype, DType::kI8);
  EXPECT_FLOAT_EQ(s->scales[0], 0.1f);
  o.unsigned_if_nonnegative = false;
  auto off = calibrate_activation(stats_of({0.f, 0.5f, 3.f, 12.7f}), o);
  ASSERT_TRUE(off.ok());
  EXPECT_EQ(off->dtype, DType::kI8);
  EXPECT_FLOAT_EQ(off->scales[0], 0.1f);
  // An all-zero tensor keeps the tiny symmetric scale (nothing to gain, T == 0).
  auto zero = calibrate_activation(stats_of({0.f, 0.f}), o);
  ASSERT_TRUE(zero.ok());
  EXPECT_EQ(zero->dtype, DType::kI8);
}

TEST(Calibrator, BadInputIsAStatus) {
  CalibOptions o;
  EXPECT_FALSE(calibrate_threshold(TensorStats(), o).ok());  // nothing observed
  const TensorStats s = stats_of(gaussian(1, 1000));
  o.method = CalibMethod::kPercentile;
  for (double p : {0.0, -1.0, 100.5}) {
    o.percentile = p;
    auto t = calibrate_threshold(s, o);
    ASSERT_FALSE(t.ok()) << p;
    EXPECT_NE(t.status().message().find("(0, 100]"), std::string::npos) << t.status().message();
  }
  TensorStats few(128);
  few.observe(gaussian(1, 100));
  o.method = CalibMethod::kEntropy;
  auto t = calibrate_threshold(few, o);
  ASSERT_FALSE(t.ok());
  EXPECT_NE(t.status().message().find("found 128"), std::string::npos) << t.status().message();
}

}  // namespace
}  // namespace yq::quant
