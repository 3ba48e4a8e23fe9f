// SPDX-License-Identifier: Apache-2.0
#include "quant/auto_quant.h"

#include <algorithm>
#include <cmath>
#include <map>

namespace yq::quant {

Expected<BudgetResult> search_float_budget(const std::vector<std::string>& ranking, double reference_score,
                                           double max_drop, const FloatSetScoreFn& score) {
  if (!(max_drop >= 0.0)) return invalid_argument("--max-drop must be >= 0, got " + std::to_string(max_drop));
  if (!score) return invalid_argument("budget search: no scorer");
  const int n = static_cast<int>(ranking.size());
  BudgetResult res;
  std::map<int, BudgetStep> done;
  auto eval = [&](int k) -> Expected<BudgetStep> {
    if (auto it = done.find(k); it != done.end()) return it->second;
    std::set<std::string> fl(ranking.begin(), ranking.begin() + k);
    auto s = score(fl);
    if (!s.ok()) return s.status().with_context("budget search at " + std::to_string(k) + " float layers");
    BudgetStep st;
    st.k = k;
    st.score = *s;
    st.drop = reference_score - *s;
    st.passes = st.drop <= max_drop;
    done[k] = st;
    res.steps.push_back(st);
    return st;
  };

  int hi = -1;  // the smallest K known to pass
  int lo = -1;  // the largest K known to fail below hi
  YQ_ASSIGN_OR_RETURN(BudgetStep s0, eval(0));
  if (s0.passes) {
    hi = 0;
  } else {
    lo = 0;
    // Doubling: 1, 2, 4, ... capped at n.
    for (int k = 1; n > 0; k = std::min(2 * k, n)) {
      YQ_ASSIGN_OR_RETURN(BudgetStep s, eval(k));
      if (s.passes) {
        hi = k;
        break;
      }
      lo = k;
      if (k == n) break;
    }
    // Bisection between the last failing and the first passing K.
    while (hi >= 0 && hi - lo > 1) {
      const int mid = lo + (hi - lo) / 2;
      YQ_ASSIGN_OR_RETURN(BudgetStep s, eval(mid));
      if (s.passes) {
        hi = mid;
      } else {
        lo = mid;
      }
    }
  }
  int k = hi;
  res.met = hi >= 0;
  if (!res.met) {
    // Nothing passes: the best score seen (smallest K among equals).
    k = 0;
    for (const auto& [kk, st] : done) {
      if (st.score > done.at(k).score) k = kk;
    }
  }
  res.k = k;
  res.float_layers.assign(ranking.begin(), ranking.begin() + k);
  res.score = done.at(k).score;
  res.drop = done.at(k).drop;
  return res;
}

}  // namespace yq::quant
