// SPDX-License-Identifier: Apache-2.0
// FastestDet decoder. One output [1,5+nc,gh,gw] (NCHW). Per cell: c0 obj (sigmoid applied), c1,c2
// offsets, c3,c4 size, c5.. class probabilities (softmax applied). cx = (gx + tanh(c1))/gw,
// cy = (gy + tanh(c2))/gh, w = sigmoid(c3), h = sigmoid(c4), normalised to the image; they are
// multiplied by the network input size here so that NMS runs in input pixels like the others
// (the stretch transform then maps them to the image). score = obj^obj_power · cls^cls_power.
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
Status decode_fastestdet(const ModelSpec& spec, std::span<const Tensor> outputs, std::vector<Detection>* candidates);

}  // namespace yq::detect
