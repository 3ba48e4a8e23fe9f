// SPDX-License-Identifier: Apache-2.0
// Activation-aware MSE calibration, for a value read only by an activation f that the INT8 engine
// evaluates as a table over the value's codes (QuantPolicy::table_activations). The threshold T
// minimises the squared error after f:
//   E(T) = Σ_b p_b · (f(m_b) − f(fq_T(m_b)))² + n_b · (f(−m_b) − f(fq_T(−m_b)))²
// with m_b the centre of |x| bin b, n_b its count of negative values (negative_histogram()),
// p_b = h_b − n_b, and fq_T the fake quantization to codes [qmin, qmax] at scale T / qmax.
// Unlike plain MSE this sees that f flattens a tail: for SiLU, values below about −8 may all
// clip to −T (silu(−8) = −0.003) while the positive side keeps its range.
// f(fq_T(·)) takes only qmax − qmin + 1 values, so each candidate evaluates f on its code grid
// once (a table, as the engine will) and then costs one lookup per bin. Candidates as in mse.cpp
// (bin edges below abs_max, then abs_max), in increasing order; the first minimum wins, so the
// result is deterministic.
#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "quant/calib/methods.h"

namespace yq::quant::calib {

namespace {

// The histogram as bins with their centres, counts split by sign, and f at +-centre.
struct Bin {
  double m, pos, neg, f_pos, f_neg;
};

std::vector<Bin> signed_bins(const TensorStats& stats, const std::function<float(float)>& f, int* last) {
  const auto& h = stats.abs_histogram();
  const auto& neg = stats.negative_histogram();
  const double w = stats.bin_width();
  std::vector<Bin> bins;
  *last = 0;
  for (size_t b = 0; b < h.size(); ++b) {
    if (h[b] == 0) continue;
    const double m = (static_cast<double>(b) + 0.5) * w;
    bins.push_back({m, static_cast<double>(h[b] - neg[b]), static_cast<double>(neg[b]), f(static_cast<float>(m)),
                    f(static_cast<float>(-m))});
    *last = static_cast<int>(b);
  }
  return bins;
}

// E(T) summed over the bins; `table` is scratch of qmax - qmin + 1 entries.
double total_error(const std::vector<Bin>& bins, const std::function<float(float)>& f, int qmin, int qmax, float t,
                   std::vector<double>& table) {
  const double s = static_cast<double>(t) / qmax;
  for (int q = qmin; q <= qmax; ++q) table[q - qmin] = f(static_cast<float>(q * s));
  auto code = [&](double x) {
    const double r = std::nearbyint(x / s);  // round half to even, as qmath's quantize
    return static_cast<int>(std::clamp(r, static_cast<double>(qmin), static_cast<double>(qmax)));
  };
  double e = 0.0;
  for (const Bin& b : bins) {
    if (b.pos > 0) {
      const double d = b.f_pos - table[code(b.m) - qmin];
      e += b.pos * d * d;
    }
    if (b.neg > 0) {
      const double d = b.f_neg - table[code(-b.m) - qmin];
      e += b.neg * d * d;
    }
  }
  return e;
}

}  // namespace

float activation_mse_threshold(const TensorStats& stats, const std::function<float(float)>& f, int qmin, int qmax) {
  if (!stats.has_bin_width() || !(stats.abs_max() > 0.f)) return 0.f;
  int last = 0;
  const std::vector<Bin> bins = signed_bins(stats, f, &last);
  std::vector<double> table(static_cast<size_t>(qmax - qmin + 1));
  return argmin_threshold(stats, last, [&](float t) { return total_error(bins, f, qmin, qmax, t, table); });
}

double activation_mse_error(const TensorStats& stats, const std::function<float(float)>& f, int qmin, int qmax,
                            float threshold) {
  if (!stats.has_bin_width() || !(threshold > 0.f) || stats.count() == 0) return 0.0;
  int last = 0;
  const std::vector<Bin> bins = signed_bins(stats, f, &last);
  std::vector<double> table(static_cast<size_t>(qmax - qmin + 1));
  return total_error(bins, f, qmin, qmax, threshold, table) / static_cast<double>(stats.count());
}

}  // namespace yq::quant::calib
