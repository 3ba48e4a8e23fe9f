// SPDX-License-Identifier: Apache-2.0
// YOLOv8 (ultralytics) decoder.
// Decoded (spec.decoded): one [1,4+nc,N] output (spec.channels_first), cx,cy,w,h in input
// pixels, sigmoid class scores, no objectness.
// Raw heads (!spec.decoded): one [1,4·(reg_max+1)+nc,gh,gw] output per stride (order as for
// yolov5 raw): DFL box distances l,t,r,b from the anchor point (g+0.5), times the stride; class
// logits go through sigmoid unless spec.scores_sigmoid.
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
Status decode_yolov8(const ModelSpec& spec, std::span<const Tensor> outputs, std::vector<Detection>* candidates);

}  // namespace yq::detect
