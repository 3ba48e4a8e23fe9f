// SPDX-License-Identifier: Apache-2.0
// yoloq's SiLU pass (runtime/kernels/fp32/swish.cpp) against x / (1 + exp(-x)) in double.
#include <gtest/gtest.h>
#include <omp.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>
#include <vector>

#include "runtime/kernels/fp32/swish.h"

namespace yq::runtime::fp32 {
namespace {

double swish_ref(double x) { return x / (1.0 + std::exp(-x)); }

TEST(Swish, WithinAMillionthOfTheDefinition) {
  for (int threads : {1, 2}) {
    omp_set_num_threads(threads);
    std::vector<float> x;
    for (float v = -100.f; v <= 100.f; v += 0.0625f) x.push_back(v);  // ties of the 2^t split included
    std::mt19937 rng(3);
    std::normal_distribution<float> d(0.f, 4.f);
    while (x.size() < (1u << 15) + 7) x.push_back(d(rng));  // above the parallel threshold, odd tail
    std::vector<float> y(x.size());
    swish(x.data(), y.data(), static_cast<int64_t>(x.size()));
    for (size_t i = 0; i < x.size(); ++i) {
      const double want = swish_ref(x[i]);
      // Relative to |want|: 1e-6, growing with |x| beyond 4 because x * log2(e) is rounded to a
      // float before the split into 2^n * 2^f (an error of |t| * 2^-24 in the exponent); below
      // x = -87.3 the sigmoid is flushed to 0 (exp_avx512.h: no denormals), where |want| < 1.2e-36.
      const double rel = 1e-6 * std::max(1.0, std::fabs(x[i]) / 4.0);
      ASSERT_NEAR(y[i], want, rel * std::fabs(want) + 1.2e-36) << "x = " << x[i] << " threads " << threads;
      if (x[i] < -87.3f) ASSERT_EQ(y[i], 0.f) << "x = " << x[i];
    }
  }
  omp_set_num_threads(1);
}

TEST(Swish, InPlaceAndSpecialValues) {
  const float inf = std::numeric_limits<float>::infinity();
  std::vector<float> x = {0.f, -0.f, 1e30f, -1e30f, inf, -inf, std::numeric_limits<float>::quiet_NaN(), 20.f, -20.f};
  const std::vector<float> in = x;
  swish(x.data(), x.data(), static_cast<int64_t>(x.size()));  // 9 values: the masked tail only
  EXPECT_EQ(x[0], 0.f);
  EXPECT_EQ(x[1], 0.f);
  EXPECT_EQ(x[2], 1e30f);
  EXPECT_EQ(x[3], 0.f);
  EXPECT_EQ(x[4], inf);
  EXPECT_TRUE(std::isnan(x[5]));  // -inf * 0, as -inf / (1 + exp(inf)) is
  EXPECT_TRUE(std::isnan(x[6]));
  EXPECT_NEAR(x[7], swish_ref(in[7]), 1e-5);
  EXPECT_NEAR(x[8], swish_ref(in[8]), 1e-12);
}

}  // namespace
}  // namespace yq::runtime::fp32
