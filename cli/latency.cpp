// SPDX-License-Identifier: Apache-2.0
#include "cli/latency.h"

#include <algorithm>
#include <vector>

namespace yq::cli {

double quantile(std::vector<double> v, double q) {
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<size_t>(q * static_cast<double>(v.size())))];
}

Expected<LatencyComparison> compare_latency(const std::function<Expected<double>()>& run_a,
                                            const std::function<Expected<double>()>& run_b, int rounds,
                                            int iters_per_block, int warmup) {
  for (int i = 0; i < warmup; ++i) {
    YQ_RETURN_IF_ERROR(run_a().status());
    YQ_RETURN_IF_ERROR(run_b().status());
  }
  std::vector<double> all_a, all_b, ratios;
  for (int r = 0; r < std::max(rounds, 1); ++r) {
    std::vector<double> a, b;
    for (bool is_a : {true, false, false, true}) {
      for (int i = 0; i < std::max(iters_per_block, 1); ++i) {
        YQ_ASSIGN_OR_RETURN(double ms, is_a ? run_a() : run_b());
        (is_a ? a : b).push_back(ms);
      }
    }
    ratios.push_back(quantile(a, 0.5) / quantile(b, 0.5));
    all_a.insert(all_a.end(), a.begin(), a.end());
    all_b.insert(all_b.end(), b.begin(), b.end());
  }
  LatencyComparison c;
  c.a_ms = quantile(all_a, 0.5);
  c.b_ms = quantile(all_b, 0.5);
  c.a_min_ms = *std::min_element(all_a.begin(), all_a.end());
  c.b_min_ms = *std::min_element(all_b.begin(), all_b.end());
  c.ratio = quantile(ratios, 0.5);
  c.ratio_p10 = quantile(ratios, 0.1);
  c.ratio_p90 = quantile(ratios, 0.9);
  return c;
}

}  // namespace yq::cli
