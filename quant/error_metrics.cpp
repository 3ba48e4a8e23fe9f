// SPDX-License-Identifier: Apache-2.0
#include "quant/error_metrics.h"

#include <cmath>
#include <limits>

#include "base/check.h"

namespace yq::quant {

ErrorMetrics compare_tensors(std::span<const float> q, std::span<const float> r) {
  YQ_CHECK(q.size() == r.size()) << "compare_tensors: " << q.size() << " vs " << r.size() << " elements";
  double err2 = 0, sig2 = 0, q2 = 0, dot = 0, max_abs = 0;
  for (size_t i = 0; i < q.size(); ++i) {
    const double d = static_cast<double>(q[i]) - r[i];
    err2 += d * d;
    sig2 += static_cast<double>(r[i]) * r[i];
    q2 += static_cast<double>(q[i]) * q[i];
    dot += static_cast<double>(q[i]) * r[i];
    max_abs = std::max(max_abs, std::fabs(d));
  }
  ErrorMetrics m;
  m.mse = q.empty() ? 0.0 : err2 / static_cast<double>(q.size());
  m.max_abs = max_abs;
  if (err2 == 0) {
    m.sqnr_db = std::numeric_limits<double>::infinity();
  } else if (sig2 == 0) {
    m.sqnr_db = -std::numeric_limits<double>::infinity();
  } else {
    m.sqnr_db = 10.0 * std::log10(sig2 / err2);
  }
  if (sig2 == 0 && q2 == 0) {
    m.cosine = 1.0;
  } else if (sig2 == 0 || q2 == 0) {
    m.cosine = 0.0;
  } else {
    m.cosine = dot / std::sqrt(sig2 * q2);
  }
  return m;
}

}  // namespace yq::quant
