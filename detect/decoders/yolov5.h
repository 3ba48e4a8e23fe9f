// SPDX-License-Identifier: Apache-2.0
// YOLOv5 decoder.
// Decoded (spec.decoded): one [1,N,5+nc] output of cx,cy,w,h,obj,cls in input pixels.
// Raw heads (!spec.decoded): one output per stride, [1,na,gh,gw,5+nc] or [1,na·(5+nc),gh,gw], in
// spec.output_order or, by default, sorted by grid size (largest grid = smallest stride). With
// p = sigmoid(raw) (unless spec.scores_sigmoid): cx = (2p_x − 0.5 + gx)·s, w = (2p_w)²·A_w.
// score = obj · cls.
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
Status decode_yolov5(const ModelSpec& spec, std::span<const Tensor> outputs, std::vector<Detection>* candidates);

}  // namespace yq::detect
