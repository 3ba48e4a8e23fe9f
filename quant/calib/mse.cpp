// SPDX-License-Identifier: Apache-2.0
// MSE calibration: the threshold T minimising the expected squared error of symmetric int8
// fake quantization over the observed distribution, estimated from the |x| histogram with each
// bin represented by its centre m_b = (b + 0.5)·w:
//   E(T) = Σ_b h_b · (m_b − fq_T(m_b))²,   fq_T(m) = min(round_half_even(m / s), 127) · s,
//   s = T / 127
// (quant/qmath.h's fake_quantize_value; the histogram is of |x| so the positive side's 127
// levels are used: the extra −128 level of activations is ignored, which is conservative).
// E(T) balances the rounding error (∝ s², grows with T) against the clipping error of bins
// above T. Candidates are the bin edges T_c = c·w below abs_max (c = 1 .. L, L = the last
// non-empty bin) plus abs_max itself, tried in increasing order; the first minimum wins, so the
// result is deterministic. Cost O(L · non-empty bins), ≈ 4M fake-quant evaluations at 2048 bins.
#include <algorithm>
#include <limits>
#include <vector>

#include "quant/calib/methods.h"
#include "quant/qmath.h"

namespace yq::quant::calib {
namespace {

constexpr int32_t kQMax = 127;

struct Bin {
  float centre;
  double count;
};

double expected_error(const std::vector<Bin>& bins, float threshold) {
  const float s = threshold / static_cast<float>(kQMax);
  double e = 0.0;
  for (const Bin& b : bins) {
    const double d = static_cast<double>(b.centre) - fake_quantize_value(b.centre, s, 0, -kQMax - 1, kQMax);
    e += b.count * d * d;
  }
  return e;
}

}  // namespace

float mse_threshold(const TensorStats& stats) {
  if (!stats.has_bin_width() || !(stats.abs_max() > 0.f)) return 0.f;  // only zeros
  const auto& h = stats.abs_histogram();
  const double w = stats.bin_width();
  std::vector<Bin> bins;
  int last = 0;
  for (size_t b = 0; b < h.size(); ++b) {
    if (h[b] == 0) continue;
    bins.push_back({static_cast<float>((static_cast<double>(b) + 0.5) * w), static_cast<double>(h[b])});
    last = static_cast<int>(b);
  }
  return argmin_threshold(stats, last, [&](float t) { return expected_error(bins, t); });
}

float argmin_threshold(const TensorStats& stats, int last, const std::function<double(float)>& error) {
  const double w = stats.bin_width();
  const float amax = stats.abs_max();
  float best_t = amax;
  double best_e = std::numeric_limits<double>::infinity();
  auto consider = [&](float t) {
    const double e = error(t);
    if (e < best_e) {
      best_e = e;
      best_t = t;
    }
  };
  for (int c = 1; c <= last && static_cast<float>(c * w) < amax; ++c) consider(static_cast<float>(c * w));
  consider(amax);
  return best_t;
}

}  // namespace yq::quant::calib
