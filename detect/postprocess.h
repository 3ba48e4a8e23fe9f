// SPDX-License-Identifier: Apache-2.0
// Candidates -> final detections in original-image pixels, per the README "Reference accuracy"
// protocol: optional pre-NMS top-k, class-aware greedy NMS (spec.nms_iou, IoU > thr suppresses)
// on the boxes in network-input pixels, keep the spec.max_detections best, THEN map back with
// the letterbox transform and clip to [0,W]×[0,H].
#pragma once

#include <span>
#include <vector>

#include "base/status.h"
#include "base/tensor.h"
#include "detect/box.h"
#include "detect/model_spec.h"
#include "detect/preprocess.h"

namespace yq::detect {

// `candidates` are in network-input pixels (as the decoders give). Output is sorted by
// descending score (ties: candidate order).
std::vector<Detection> postprocess(std::span<const Detection> candidates, const ModelSpec& spec,
                                   const LetterboxTransform& transform);

// Maps one box from network-input pixels to the image and clips it to [0,W]×[0,H].
Box map_to_image(const Box& input_box, const LetterboxTransform& transform);

// decode() + postprocess(): raw outputs of one image -> detections in image pixels.
Expected<std::vector<Detection>> detect_objects(const ModelSpec& spec, std::span<const Tensor> outputs,
                                                const LetterboxTransform& transform);

}  // namespace yq::detect
