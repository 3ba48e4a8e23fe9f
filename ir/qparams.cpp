// SPDX-License-Identifier: Apache-2.0
#include "ir/qparams.h"

#include <cmath>
#include <string>

namespace yq::ir {

Status QParams::validate() const {
  if (dtype != DType::kI8 && dtype != DType::kU8) return invalid_argument("qparams: dtype must be i8 or u8");
  const int32_t lo = dtype == DType::kI8 ? -128 : 0, hi = dtype == DType::kI8 ? 127 : 255;
  if (qmin < lo || qmax > hi || qmin >= qmax) {
    return invalid_argument("qparams: range [" + std::to_string(qmin) + "," + std::to_string(qmax) + "] invalid for " +
                            dtype_name(dtype));
  }
  if (scales.empty() || scales.size() != zero_points.size()) {
    return invalid_argument("qparams: " + std::to_string(scales.size()) + " scales vs " +
                            std::to_string(zero_points.size()) + " zero points");
  }
  if (axis < 0 && scales.size() != 1) return invalid_argument("qparams: per-tensor with several scales");
  for (size_t i = 0; i < scales.size(); ++i) {
    if (!std::isfinite(scales[i]) || scales[i] <= 0.f) {
      return invalid_argument("qparams: scale[" + std::to_string(i) + "] = " + std::to_string(scales[i]) + " not > 0");
    }
    if (zero_points[i] < qmin || zero_points[i] > qmax) {
      return invalid_argument("qparams: zero point " + std::to_string(zero_points[i]) + " outside range");
    }
  }
  return ok_status();
}

Expected<QParams> QParams::per_tensor(float scale, int32_t zero_point, DType dtype) {
  QParams q;
  q.dtype = dtype;
  q.scales = {scale};
  q.zero_points = {zero_point};
  q.qmin = dtype == DType::kI8 ? -128 : 0;
  q.qmax = dtype == DType::kI8 ? 127 : 255;
  YQ_RETURN_IF_ERROR(q.validate());
  return q;
}

}  // namespace yq::ir
