// SPDX-License-Identifier: Apache-2.0
// Latency of two engines compared in one process: rounds of blocks of runs (A, B, B, A), so a slow
// spell of a shared machine (another tenant on the core's sibling thread made runs up to 1.5x
// slower for seconds at a time here) hits both sides of a round alike. `yoloq bench --against`
// and the FP32-vs-INT8 line of `yoloq quantize`'s report.
#pragma once

#include <functional>
#include <vector>

#include "base/status.h"

namespace yq::cli {

// The q-quantile (0 <= q < 1) of a non-empty sample, by rank: v[floor(q * n)] of it sorted.
double quantile(std::vector<double> v, double q);

struct LatencyComparison {
  double a_ms = 0, b_ms = 0;   // medians over every timed run
  double a_min_ms = 0, b_min_ms = 0;
  double ratio = 0;            // median over rounds of A's median run over B's in that round
  double ratio_p10 = 0, ratio_p90 = 0;
};

// `run_a` / `run_b` run once and return the wall time in ms. `warmup` untimed runs of each first.
Expected<LatencyComparison> compare_latency(const std::function<Expected<double>()>& run_a,
                                            const std::function<Expected<double>()>& run_b, int rounds,
                                            int iters_per_block, int warmup);

}  // namespace yq::cli
