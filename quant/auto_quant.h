// SPDX-License-Identifier: Apache-2.0
// The accuracy-budget search of `yoloq quantize --max-drop D`: given layers ranked most sensitive
// first (quant/sensitivity.h), find the smallest K such that keeping the top K layers in float
// scores within `max_drop` of the reference score (FP32 mAP).
//
// Search (each K scored at most once; scores are cached by K):
//   K = 0 (full INT8); if it passes, stop.
//   K = 1, 2, 4, ... (capped at the number of layers) until one passes: the first passing K_hi,
//   the last failing K_lo.
//   Bisection on (K_lo, K_hi): mid passes -> K_hi = mid, else K_lo = mid, until K_hi = K_lo + 1.
// The result is K_hi: it passes, and K_hi - 1 was scored and failed, so no smaller prefix of the
// ranking that was tried meets the budget. Minimality over all K holds when the score is monotone
// in K (more float layers never hurt), the usual case; a non-monotone dip below K_lo is not
// searched for. If even every layer in float fails, met = false and the best-scoring step is
// returned.
//
// The scorer is a callback so the search is testable without a model: it gets the set of layers
// to keep float and returns the score (mAP in percent, higher is better); an error aborts.
#pragma once

#include <functional>
#include <set>
#include <string>
#include <vector>

#include "base/status.h"

namespace yq::quant {

using FloatSetScoreFn = std::function<Expected<double>(const std::set<std::string>& float_layers)>;

struct BudgetStep {
  int k = 0;                         // layers in float (the top k of the ranking)
  double score = 0.0;                // e.g. mAP
  double drop = 0.0;                 // reference - score
  bool passes = false;               // drop <= max_drop
};

struct BudgetResult {
  bool met = false;
  int k = 0;
  std::vector<std::string> float_layers;  // the top k of the ranking
  double score = 0.0;
  double drop = 0.0;
  std::vector<BudgetStep> steps;          // in evaluation order
};

// Errors: max_drop < 0 or NaN, a scorer error (with the K it was scoring).
Expected<BudgetResult> search_float_budget(const std::vector<std::string>& ranking, double reference_score,
                                           double max_drop, const FloatSetScoreFn& score);

}  // namespace yq::quant
