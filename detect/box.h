// SPDX-License-Identifier: Apache-2.0
// Axis-aligned boxes and detections shared by the decoders, NMS and drawing.
//
// Boxes are corner form (x1, y1, x2, y2) with x1 <= x2, y1 <= y2 expected but not enforced; a
// degenerate box has area 0. Coordinates are continuous pixels with no +1 on widths
// (torchvision semantics), in whatever space the producer states (network input or image).
#pragma once

#include <algorithm>

namespace yq::detect {

struct Box {
  float x1 = 0.f, y1 = 0.f, x2 = 0.f, y2 = 0.f;
  float width() const { return std::max(0.f, x2 - x1); }
  float height() const { return std::max(0.f, y2 - y1); }
  float area() const { return width() * height(); }
};

// One detection (or a candidate before NMS): a box, its score for `class_id`, and the class.
struct Detection {
  Box box;
  float score = 0.f;
  int class_id = 0;
};

// inter / (area_a + area_b - inter); 0 when the union is empty.
inline float box_iou(const Box& a, const Box& b) {
  const float iw = std::min(a.x2, b.x2) - std::max(a.x1, b.x1);
  const float ih = std::min(a.y2, b.y2) - std::max(a.y1, b.y1);
  if (iw <= 0.f || ih <= 0.f) return 0.f;
  const float inter = iw * ih;
  const float uni = a.area() + b.area() - inter;
  return uni > 0.f ? inter / uni : 0.f;
}

}  // namespace yq::detect
