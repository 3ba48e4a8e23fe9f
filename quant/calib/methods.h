// SPDX-License-Identifier: Apache-2.0
// Internal: one threshold search per file (minmax.cpp, percentile.cpp, entropy.cpp, mse.cpp).
// calibrator.cpp checks the common preconditions (count() > 0) and dispatches; each function
// returns T in [0, stats.abs_max()].
#pragma once

#include <functional>

#include "base/status.h"
#include "quant/tensor_stats.h"

namespace yq::quant::calib {

float minmax_threshold(const TensorStats& stats);
Expected<float> percentile_threshold(const TensorStats& stats, double percentile);
Expected<float> entropy_threshold(const TensorStats& stats);
float mse_threshold(const TensorStats& stats);
// The threshold with the least `error` among those the error-minimising calibrators try, in
// increasing order: the bin edges c * bin_width below abs_max (c = 1 .. last, the last non-empty
// bin), then abs_max itself; the first minimum wins, so the result is deterministic.
float argmin_threshold(const TensorStats& stats, int last, const std::function<double(float)>& error);
// Codes [qmin, qmax] with scale T / qmax; `f` the activation that reads the value.
float activation_mse_threshold(const TensorStats& stats, const std::function<float(float)>& f, int qmin, int qmax);
// The expected squared error after f per observed value, at `threshold` (the quantity the search
// above minimises, divided by count()).
double activation_mse_error(const TensorStats& stats, const std::function<float(float)>& f, int qmin, int qmax,
                            float threshold);
// Asymmetric u8 codes (qmath's asymmetric_u8_qparams(lo, hi)) for a value read only by f: the
// range lo <= 0 <= hi with the least error after f (coordinate descent over bin edges, from the
// symmetric optimum; deterministic). Both 0 when every observed value is zero.
struct U8Range {
  float lo, hi;
};
U8Range activation_mse_u8_range(const TensorStats& stats, const std::function<float(float)>& f);
// The expected squared error after f per observed value with the u8 codes of [lo, hi].
double activation_mse_u8_error(const TensorStats& stats, const std::function<float(float)>& f, float lo, float hi);

}  // namespace yq::quant::calib
