// SPDX-License-Identifier: Apache-2.0
#include "detect/rotated_nms.h"

#include <algorithm>
#include <cmath>

#include "base/check.h"

namespace yq::detect {
namespace {

struct Pt {
  double x, y;
};

// Cross product of (b - a) and (p - a): > 0 when p is left of the directed edge a -> b.
double side(const Pt& a, const Pt& b, const Pt& p) { return (b.x - a.x) * (p.y - a.y) - (b.y - a.y) * (p.x - a.x); }

Pt intersect(const Pt& p, const Pt& q, double sp, double sq) {
  // sp, sq are the signed sides of p and q; they differ in sign, so the denominator is non-zero.
  const double t = sp / (sp - sq);
  return {p.x + t * (q.x - p.x), p.y + t * (q.y - p.y)};
}

double polygon_area(const std::vector<Pt>& poly) {
  double a = 0.0;
  for (size_t i = 0, n = poly.size(); i < n; ++i) {
    const Pt& p = poly[i];
    const Pt& q = poly[(i + 1) % n];
    a += p.x * q.y - q.x * p.y;
  }
  return std::abs(a) * 0.5;
}

std::vector<Pt> corners(const RotatedBox& b) {
  double c[4][2];
  rotated_box_corners(b, c);
  return {{c[0][0], c[0][1]}, {c[1][0], c[1][1]}, {c[2][0], c[2][1]}, {c[3][0], c[3][1]}};
}

}  // namespace

void rotated_box_corners(const RotatedBox& b, double out[4][2]) {
  const double c = std::cos(static_cast<double>(b.theta)), s = std::sin(static_cast<double>(b.theta));
  const double hw = 0.5 * b.w, hh = 0.5 * b.h;
  // Local corners in CCW order, then rotate by theta and translate.
  const double local[4][2] = {{-hw, -hh}, {hw, -hh}, {hw, hh}, {-hw, hh}};
  for (int i = 0; i < 4; ++i) {
    out[i][0] = b.cx + c * local[i][0] - s * local[i][1];
    out[i][1] = b.cy + s * local[i][0] + c * local[i][1];
  }
}

double rotated_intersection_area(const RotatedBox& a, const RotatedBox& b) {
  if (!(a.w > 0.f && a.h > 0.f && b.w > 0.f && b.h > 0.f)) return 0.0;
  // Sutherland–Hodgman: clip subject polygon `a` by each edge of the convex CCW clip polygon
  // `b`, keeping the part on the left (inside) of every edge.
  std::vector<Pt> poly = corners(a);
  const std::vector<Pt> clip = corners(b);
  std::vector<Pt> next;
  for (size_t e = 0; e < clip.size() && !poly.empty(); ++e) {
    const Pt& ca = clip[e];
    const Pt& cb = clip[(e + 1) % clip.size()];
    next.clear();
    for (size_t i = 0, n = poly.size(); i < n; ++i) {
      const Pt& p = poly[i];
      const Pt& q = poly[(i + 1) % n];
      const double sp = side(ca, cb, p), sq = side(ca, cb, q);
      // Points on the edge (side 0) count as inside, so touching boxes give area 0, not NaN.
      if (sp >= 0.0) {
        next.push_back(p);
        if (sq < 0.0) next.push_back(intersect(p, q, sp, sq));
      } else if (sq >= 0.0) {
        next.push_back(intersect(p, q, sp, sq));
      }
    }
    poly.swap(next);
  }
  return poly.size() < 3 ? 0.0 : polygon_area(poly);
}

double rotated_iou(const RotatedBox& a, const RotatedBox& b) {
  const double inter = rotated_intersection_area(a, b);
  if (inter <= 0.0) return 0.0;
  const double uni = static_cast<double>(a.w) * a.h + static_cast<double>(b.w) * b.h - inter;
  return uni > 0.0 ? std::min(1.0, inter / uni) : 0.0;
}

std::vector<int32_t> rotated_nms(std::span<const RotatedBox> boxes, std::span<const float> scores, float iou_threshold,
                                 float score_threshold, int max_out) {
  YQ_CHECK_EQ(boxes.size(), scores.size());
  std::vector<int32_t> order;
  for (size_t i = 0; i < boxes.size(); ++i) {
    if (scores[i] > score_threshold) order.push_back(static_cast<int32_t>(i));
  }
  std::sort(order.begin(), order.end(),
            [&](int32_t a, int32_t b) { return scores[a] != scores[b] ? scores[a] > scores[b] : a < b; });
  std::vector<int32_t> kept;
  for (int32_t idx : order) {
    if (max_out > 0 && kept.size() >= static_cast<size_t>(max_out)) break;
    bool suppressed = false;
    for (int32_t k : kept) {
      // Cheap reject: boxes whose circumscribed circles do not meet cannot overlap.
      const double dx = boxes[idx].cx - boxes[k].cx, dy = boxes[idx].cy - boxes[k].cy;
      const double r1 = 0.5 * std::hypot(boxes[idx].w, boxes[idx].h), r2 = 0.5 * std::hypot(boxes[k].w, boxes[k].h);
      if (dx * dx + dy * dy > (r1 + r2) * (r1 + r2)) continue;
      if (rotated_iou(boxes[idx], boxes[k]) > iou_threshold) {
        suppressed = true;
        break;
      }
    }
    if (!suppressed) kept.push_back(idx);
  }
  return kept;
}

}  // namespace yq::detect
