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
// Codes [qmin, qmax] with scale T / qmax; `f` the activation that reads the value.
float activation_mse_threshold(const TensorStats& stats, const std::function<float(float)>& f, int qmin, int qmax);
// The expected squared error after f per observed value, at `threshold` (the quantity the search
// above minimises, divided by count()).
double activation_mse_error(const TensorStats& stats, const std::function<float(float)>& f, int qmin, int qmax,
                            float threshold);

}  // namespace yq::quant::calib
