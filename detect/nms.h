// SPDX-License-Identifier: Apache-2.0
// Class-aware greedy non-maximum suppression with TensorRT EfficientNMS semantics:
//   1. drop candidates whose score is not > score_threshold (NaN scores are dropped too);
//   2. visit the rest by descending score, ties broken by ascending original index;
//   3. a candidate is suppressed when its IoU with an already kept box OF THE SAME CLASS is
//      strictly > iou_threshold (IoU exactly at the threshold is kept);
//   4. at most max_per_class boxes are kept per class and max_total overall (0 = no cap); the
//      total cap keeps the highest-scoring survivors.
// IoU has no +1 on widths (box.h).
//
// Cost: one sort of the surviving candidates, then each candidate is compared only against the
// kept boxes of its class; the scan stops as soon as max_total boxes are kept (exact, because
// later candidates rank below every kept one). 30k candidates take a few milliseconds.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "detect/box.h"

namespace yq::detect {

struct NmsOptions {
  float score_threshold = 0.001f;
  float iou_threshold = 0.5f;
  int max_per_class = 0;  // 0 = unlimited
  int max_total = 300;    // 0 = unlimited
};

// Returns indices into `candidates` of the kept boxes, by descending score (ties: ascending index).
std::vector<int32_t> nms_indices(std::span<const Detection> candidates, const NmsOptions& options);

// Convenience: the kept detections themselves, in the same order.
std::vector<Detection> nms(std::span<const Detection> candidates, const NmsOptions& options);

}  // namespace yq::detect
