// SPDX-License-Identifier: Apache-2.0
#include "detect/rotated_nms.h"

#include <gtest/gtest.h>

#include <cmath>
#include <numbers>

namespace yq::detect {
namespace {

constexpr double kPi = std::numbers::pi;

TEST(RotatedIou, IdenticalBoxesAreOne) {
  const RotatedBox a{3.f, 4.f, 2.f, 5.f, 0.3f};
  EXPECT_NEAR(rotated_iou(a, a), 1.0, 1e-6);
}

TEST(RotatedIou, SquareRotatedNinetyDegreesIsOne) {
  EXPECT_NEAR(rotated_iou({0, 0, 2, 2, 0}, {0, 0, 2, 2, static_cast<float>(kPi / 2)}), 1.0, 1e-6);
  // A 2×4 box rotated 90° is the same region as a 4×2 box.
  EXPECT_NEAR(rotated_iou({0, 0, 2, 4, static_cast<float>(kPi / 2)}, {0, 0, 4, 2, 0}), 1.0, 1e-6);
}

TEST(RotatedIou, DisjointIsZero) {
  EXPECT_EQ(rotated_iou({0, 0, 1, 1, 0}, {5, 5, 1, 1, 0.7f}), 0.0);
  EXPECT_EQ(rotated_iou({0, 0, 1, 1, 0}, {1, 0, 1, 1, 0}), 0.0);  // sharing an edge
}

TEST(RotatedIou, UnitSquaresOffsetByHalfIsOneThird) {
  EXPECT_NEAR(rotated_iou({0, 0, 1, 1, 0}, {0.5f, 0, 1, 1, 0}), 1.0 / 3.0, 1e-6);
}

TEST(RotatedIou, SquareOverItselfRotated45) {
  // The overlap is a regular octagon with apothem 1/2: area 8·(1/2)²·tan(π/8) = 2(√2 − 1);
  // IoU = 2(√2−1) / (2 − 2(√2−1)) = 1/√2.
  const double inter = rotated_intersection_area({0, 0, 1, 1, 0}, {0, 0, 1, 1, static_cast<float>(kPi / 4)});
  EXPECT_NEAR(inter, 2.0 * (std::sqrt(2.0) - 1.0), 1e-6);
  EXPECT_NEAR(rotated_iou({0, 0, 1, 1, 0}, {0, 0, 1, 1, static_cast<float>(kPi / 4)}), 1.0 / std::sqrt(2.0), 1e-6);
}

TEST(RotatedIou, ContainedBox) {
  // A 1×1 square inside a 4×4 one, any rotation: IoU = 1/16.
  EXPECT_NEAR(rotated_iou({0, 0, 4, 4, 0.2f}, {0.1f, 0.2f, 1, 1, 1.1f}), 1.0 / 16.0, 1e-6);
}

TEST(RotatedIou, MatchesAxisAlignedWhenThetaZero) {
  // [0,3]×[0,2] and [1,4]×[1,3]: inter 2·1 = 2, union 6 + 6 − 2 = 10.
  EXPECT_NEAR(rotated_iou({1.5f, 1.f, 3, 2, 0}, {2.5f, 2.f, 3, 2, 0}), 0.2, 1e-6);
}

TEST(RotatedIou, DegenerateIsZero) { EXPECT_EQ(rotated_iou({0, 0, 0, 1, 0}, {0, 0, 1, 1, 0}), 0.0); }

TEST(RotatedNms, GreedyByScore) {
  const std::vector<RotatedBox> boxes = {{0, 0, 1, 1, 0},
                                         {0, 0, 1, 1, static_cast<float>(kPi / 4)},  // IoU 0.707 with 0
                                         {0.5f, 0, 1, 1, 0},                         // IoU 1/3 with 0
                                         {10, 10, 1, 1, 0}};
  const std::vector<float> scores = {0.9f, 0.8f, 0.7f, 0.6f};
  EXPECT_EQ(rotated_nms(boxes, scores, 0.5f), std::vector<int32_t>({0, 2, 3}));
  EXPECT_EQ(rotated_nms(boxes, scores, 0.3f), std::vector<int32_t>({0, 3}));
  EXPECT_EQ(rotated_nms(boxes, scores, 0.5f, 0.f, 2), std::vector<int32_t>({0, 2}));
  EXPECT_EQ(rotated_nms(boxes, scores, 0.5f, 0.75f), std::vector<int32_t>({0}));
  EXPECT_EQ(rotated_nms(boxes, scores, 0.75f, 0.75f), std::vector<int32_t>({0, 1}));
}

}  // namespace
}  // namespace yq::detect
