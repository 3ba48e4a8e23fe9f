// SPDX-License-Identifier: Apache-2.0
// Percentile: T = the p-th percentile of |x|, read from the histogram.
//
// With N = count and target r = p/100 · N, find the first bin b whose cumulative count
// C_b = Σ_{j<=b} h_j reaches r and interpolate linearly inside it, assuming values spread
// uniformly over the bin [b·w, (b+1)·w):
//   T = (b + (r − C_{b−1}) / h_b) · w
// then cap T at abs_max (the last bin's upper edge lies past the data).
#include <algorithm>
#include <string>

#include "quant/calib/methods.h"

namespace yq::quant::calib {

Expected<float> percentile_threshold(const TensorStats& stats, double percentile) {
  if (!(percentile > 0.0 && percentile <= 100.0)) {
    return invalid_argument("percentile calibration: percentile must be in (0, 100], found " +
                            std::to_string(percentile));
  }
  if (!stats.has_bin_width()) return 0.f;  // only zeros
  const auto& h = stats.abs_histogram();
  const double target = percentile / 100.0 * static_cast<double>(stats.count());
  double cum = 0.0;
  for (size_t b = 0; b < h.size(); ++b) {
    if (h[b] == 0) continue;
    const double next = cum + static_cast<double>(h[b]);
    if (next >= target) {
      const double frac = (target - cum) / static_cast<double>(h[b]);
      const double t = (static_cast<double>(b) + frac) * stats.bin_width();
      return std::min(static_cast<float>(t), stats.abs_max());
    }
    cum = next;
  }
  return stats.abs_max();  // target == N up to rounding of the double sum
}

}  // namespace yq::quant::calib
