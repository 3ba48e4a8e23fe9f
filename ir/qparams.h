// SPDX-License-Identifier: Apache-2.0
// QParams: how a tensor is quantized. Lives on ir::Value so that passes (scale unification,
// QDQ insertion) and the runtime read one source of truth. Reference quantize/requantize math
// lives in quant/; this is only the value type with its invariants.
#pragma once

#include <cstdint>
#include <vector>

#include "base/dtype.h"
#include "base/status.h"

namespace yq::ir {

struct QParams {
  DType dtype = DType::kI8;          // kI8 (symmetric by default) or kU8
  std::vector<float> scales;         // 1 entry per tensor, or one per channel along `axis`
  std::vector<int32_t> zero_points;  // same length as scales
  int axis = -1;                     // -1: per-tensor; otherwise the channel axis
  int32_t qmin = -128;
  int32_t qmax = 127;

  bool per_channel() const { return axis >= 0; }
  // Checks: scales finite and > 0, zero points inside [qmin, qmax], sizes agree,
  // qmin < qmax within the dtype's range.
  Status validate() const;
  static Expected<QParams> per_tensor(float scale, int32_t zero_point, DType dtype = DType::kI8);
};

}  // namespace yq::ir
