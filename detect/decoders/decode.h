// SPDX-License-Identifier: Apache-2.0
// Decoding dispatch: raw model outputs -> candidates in network-input pixels, by spec.family.
#pragma once

#include <span>
#include <vector>

#include "base/status.h"
#include "base/tensor.h"
#include "detect/box.h"
#include "detect/model_spec.h"

namespace yq::detect {

// Outputs in model order (f32, row-major). Candidates come out in a deterministic order (level,
// cell, anchor, class), which is what NMS uses to break score ties.
Expected<std::vector<Detection>> decode(const ModelSpec& spec, std::span<const Tensor> outputs);

}  // namespace yq::detect
