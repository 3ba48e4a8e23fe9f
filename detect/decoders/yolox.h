// SPDX-License-Identifier: Apache-2.0
// YOLOX decoder. One output [1,N,5+nc], N = Σ_s ceil(H/s)·ceil(W/s) for spec.strides, levels
// concatenated in stride order, row-major cells (row = gy·gw + gx). Columns tx,ty,tw,th,obj,cls.
// cx = (tx+gx)·s, cy = (ty+gy)·s, w = exp(tw)·s, h = exp(th)·s; score = obj·cls (sigmoid already
// applied unless !spec.scores_sigmoid).
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
Status decode_yolox(const ModelSpec& spec, std::span<const Tensor> outputs, std::vector<Detection>* candidates);

}  // namespace yq::detect
