// SPDX-License-Identifier: Apache-2.0
// Entropy calibration: TensorRT's "entropy calibration 2" (S. Migacz, "8-bit Inference with
// TensorRT", GTC 2017), a search for the clipping threshold whose int8 quantization loses the
// least information, measured by the KL divergence between the clipped float distribution and
// its 128-level quantization.
//
// Input: the histogram h_0 .. h_{n-1} of |x| (n = num_bins, bin width w; tensor_stats.h).
// For every candidate number of kept bins i = 128 .. n (threshold ≈ i·w):
//
//   Reference P (length i): the histogram clipped at bin i, with the clipped mass ("outliers")
//   folded into the last kept bin, since saturation maps every |x| >= T onto T:
//     P_b = h_b                          for b < i − 1
//     P_{i−1} = h_{i−1} + Σ_{b >= i} h_b
//
//   Candidate Q (length i): the kept bins h_0 .. h_{i−1} (without the outliers) merged into
//   M = 128 quantization levels, then expanded back to i bins by spreading each level's count
//   evenly over those of its bins where P is non-zero (a zero bin stays zero, as in the talk):
//     level(b) = floor(b · M / i)                     (each level gets floor or ceil of i/M bins)
//     S_l = Σ_{b<i, level(b)=l} h_b,   Z_l = #{b < i : level(b) = l, P_b > 0}
//     Q_b = S_{level(b)} / Z_{level(b)}  if P_b > 0,  else 0
//   (MXNet/TVM put the i mod M leftover bins all into the last level; the even split above
//   treats every level alike and is equally deterministic.)
//
//   Divergence, with both normalised to sum 1:
//     KL(P || Q) = Σ_{b: P_b > 0} p_b · ln(p_b / q_b),   p = P / ΣP,  q = Q / ΣQ
//   A bin with P_b > 0 and Q_b = 0 (the folded outliers land on a level whose kept bins are all
//   empty) makes KL infinite: that candidate is rejected rather than smoothed with an epsilon.
//
// Pick i* = argmin_i KL (the smallest i on ties) and T = (i* + 0.5) · w, the talk's formula,
// capped at abs_max. i = n (nothing clipped) is a candidate, so data without outliers (e.g. a
// uniform distribution) gets T ≈ max|x|. The search costs O(n²) (≈ 4M steps at n = 2048).
#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "quant/calib/methods.h"

namespace yq::quant::calib {
namespace {

constexpr int kQuantLevels = 128;  // int8 magnitudes 0..127 of a symmetric quantizer

// KL(P || Q) for keeping i bins; +inf when Q misses mass P has.
double kl_for_kept_bins(const std::vector<int64_t>& h, int i, int64_t outliers, std::vector<double>& level_sum,
                        std::vector<int64_t>& level_nonzero) {
  std::fill(level_sum.begin(), level_sum.end(), 0.0);
  std::fill(level_nonzero.begin(), level_nonzero.end(), 0);
  auto p_at = [&](int b) { return static_cast<double>(h[b]) + (b == i - 1 ? static_cast<double>(outliers) : 0.0); };
  double sum_p = 0.0, sum_q = 0.0;
  for (int b = 0; b < i; ++b) {
    const int l = static_cast<int>(static_cast<int64_t>(b) * kQuantLevels / i);
    level_sum[l] += static_cast<double>(h[b]);
    const double p = p_at(b);
    if (p > 0.0) ++level_nonzero[l];
    sum_p += p;
    sum_q += static_cast<double>(h[b]);
  }
  if (sum_q <= 0.0) return std::numeric_limits<double>::infinity();
  double kl = 0.0;
  for (int b = 0; b < i; ++b) {
    const double p = p_at(b);
    if (p <= 0.0) continue;
    const int l = static_cast<int>(static_cast<int64_t>(b) * kQuantLevels / i);
    const double q = level_sum[l] / static_cast<double>(level_nonzero[l]);
    if (q <= 0.0) return std::numeric_limits<double>::infinity();
    const double pn = p / sum_p, qn = q / sum_q;
    kl += pn * std::log(pn / qn);
  }
  return kl;
}

}  // namespace

Expected<float> entropy_threshold(const TensorStats& stats) {
  const int n = stats.num_bins();
  if (n <= kQuantLevels) {
    return invalid_argument("entropy calibration: needs more than " + std::to_string(kQuantLevels) +
                            " histogram bins, found " + std::to_string(n));
  }
  if (!stats.has_bin_width()) return 0.f;  // only zeros
  const auto& h = stats.abs_histogram();
  // outliers(i) = Σ_{b >= i} h_b, maintained incrementally as i grows.
  int64_t outliers = 0;
  for (int b = kQuantLevels; b < n; ++b) outliers += h[b];
  std::vector<double> level_sum(kQuantLevels);
  std::vector<int64_t> level_nonzero(kQuantLevels);
  double best_kl = std::numeric_limits<double>::infinity();
  int best_i = n;
  for (int i = kQuantLevels; i <= n; ++i) {
    const double kl = kl_for_kept_bins(h, i, outliers, level_sum, level_nonzero);
    if (kl < best_kl) {
      best_kl = kl;
      best_i = i;
    }
    if (i < n) outliers -= h[i];
  }
  const double t = (static_cast<double>(best_i) + 0.5) * stats.bin_width();
  return std::min(static_cast<float>(t), stats.abs_max());
}

}  // namespace yq::quant::calib
