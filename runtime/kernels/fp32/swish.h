// SPDX-License-Identifier: Apache-2.0
// Internal to yoloq_runtime: SiLU over a dense f32 buffer, y = x * sigmoid(x) (swish.cpp says how
// and why it is not oneDNN's). x == y (in place) is allowed.
#pragma once

#include <cstdint>

namespace yq::runtime::fp32 {

void swish(const float* x, float* y, int64_t n);

}  // namespace yq::runtime::fp32
