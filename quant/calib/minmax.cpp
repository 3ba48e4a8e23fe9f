// SPDX-License-Identifier: Apache-2.0
// MinMax: T = max|x|. Exact (from the streamed min/max, not the histogram); sensitive to a
// single outlier, which is why the histogram methods exist.
#include "quant/calib/methods.h"

namespace yq::quant::calib {

float minmax_threshold(const TensorStats& stats) { return stats.abs_max(); }

}  // namespace yq::quant::calib
