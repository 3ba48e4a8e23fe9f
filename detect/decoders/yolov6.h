// SPDX-License-Identifier: Apache-2.0
// YOLOv6 decoder: one decoded [1,N,5+nc] output, cx,cy,w,h,1.0,cls in input pixels. Column 4 is a
// constant kept for the YOLOv5 layout and is ignored (spec.has_objectness = false); score = cls.
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
Status decode_yolov6(const ModelSpec& spec, std::span<const Tensor> outputs, std::vector<Detection>* candidates);

}  // namespace yq::detect
