// SPDX-License-Identifier: Apache-2.0
// NanoDet (GFL) decoder. Six outputs, three class maps [cells, nc] and three box maps
// [cells, 4·(reg_max+1)], per stride. They are assigned by SHAPE, not name (the shared model's
// names are wrong): class vs box by column count, level by row count. spec.output_order, when
// set, lists them as cls8, cls16, cls32, box8, box16, box32 (needed only if nc == 4·(reg_max+1)).
// Box: softmax over the bins of each side l,t,r,b, expectation Σ p_i·i, times the stride; cell
// centre ((gx+0.5)·s, (gy+0.5)·s); clipped to the network input when spec.clip_to_input.
#pragma once

#include <span>
#include <vector>

#include "base/status.h"
#include "base/tensor.h"
#include "detect/box.h"
#include "detect/model_spec.h"

namespace yq::detect {

// Appends candidates (x1,y1,x2,y2 in network-input pixels, score, class) to *candidates.
// Bad shapes are InvalidArgument errors naming what was expected and found.
Status decode_nanodet(const ModelSpec& spec, std::span<const Tensor> outputs, std::vector<Detection>* candidates);

}  // namespace yq::detect
