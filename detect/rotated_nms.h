// SPDX-License-Identifier: Apache-2.0
// Rotated boxes: exact IoU by convex polygon clipping (Sutherland–Hodgman) and greedy NMS.
//
// A RotatedBox is (cx, cy, w, h, theta) with theta in radians, counter-clockwise in a y-up frame
// (clockwise on screen with y down); the IoU does not depend on that convention as long as both
// boxes use the same one. Widths/heights <= 0 give an empty box (IoU 0). Math runs in double.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

namespace yq::detect {

struct RotatedBox {
  float cx = 0.f, cy = 0.f, w = 0.f, h = 0.f, theta = 0.f;
};

// The four corners, counter-clockwise in a y-up frame: out[0..3] = (x, y) pairs.
void rotated_box_corners(const RotatedBox& b, double out[4][2]);
double rotated_intersection_area(const RotatedBox& a, const RotatedBox& b);
double rotated_iou(const RotatedBox& a, const RotatedBox& b);

// Greedy NMS over rotated boxes (class-agnostic: call per class for class-aware NMS).
// Candidates with score not > score_threshold are dropped; the rest are visited by descending
// score (ties: ascending index); IoU strictly > iou_threshold suppresses; at most max_out kept
// (0 = unlimited). Returns indices into `boxes`. boxes.size() must equal scores.size().
std::vector<int32_t> rotated_nms(std::span<const RotatedBox> boxes, std::span<const float> scores, float iou_threshold,
                                 float score_threshold = 0.f, int max_out = 0);

}  // namespace yq::detect
