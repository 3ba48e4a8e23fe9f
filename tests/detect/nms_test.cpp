// SPDX-License-Identifier: Apache-2.0
#include "detect/nms.h"

#include <gtest/gtest.h>

#include <chrono>
#include <random>

namespace yq::detect {
namespace {

Detection det(float x1, float y1, float x2, float y2, float score, int cls = 0) {
  return {{x1, y1, x2, y2}, score, cls};
}

TEST(BoxIou, NoPlusOneOnWidths) {
  EXPECT_FLOAT_EQ(box_iou({0, 0, 10, 10}, {0, 0, 10, 10}), 1.f);
  EXPECT_FLOAT_EQ(box_iou({0, 0, 10, 10}, {5, 0, 15, 10}), 50.f / 150.f);
  EXPECT_FLOAT_EQ(box_iou({0, 0, 10, 10}, {10, 0, 20, 10}), 0.f);  // touching
  EXPECT_FLOAT_EQ(box_iou({0, 0, 0, 0}, {0, 0, 0, 0}), 0.f);       // empty union
}

TEST(Nms, IouExactlyAtThresholdIsKept) {
  // IoU = 50/150 = 1/3 exactly representable as the same float on both sides.
  const std::vector<Detection> c = {det(0, 0, 10, 10, 0.9f), det(5, 0, 15, 10, 0.8f)};
  NmsOptions o;
  o.iou_threshold = box_iou(c[0].box, c[1].box);
  EXPECT_EQ(nms_indices(c, o).size(), 2u);
  o.iou_threshold = std::nextafter(o.iou_threshold, 0.f);
  EXPECT_EQ(nms_indices(c, o), std::vector<int32_t>({0}));
}

TEST(Nms, ClassAware) {
  const std::vector<Detection> c = {det(0, 0, 10, 10, 0.9f, 0), det(0, 0, 10, 10, 0.8f, 1), det(1, 1, 10, 10, 0.7f, 0)};
  NmsOptions o;
  o.iou_threshold = 0.5f;
  EXPECT_EQ(nms_indices(c, o), std::vector<int32_t>({0, 1}));
}

TEST(Nms, ScoreThresholdIsStrictAndDropsNaN) {
  const std::vector<Detection> c = {det(0, 0, 1, 1, 0.5f), det(5, 5, 6, 6, 0.001f), det(9, 9, 10, 10, std::nanf(""))};
  NmsOptions o;
  o.score_threshold = 0.001f;
  EXPECT_EQ(nms_indices(c, o), std::vector<int32_t>({0}));
}

TEST(Nms, TiesBrokenByOriginalIndex) {
  // Equal scores, overlapping: the lower index wins and suppresses the other.
  const std::vector<Detection> c = {det(20, 20, 30, 30, 0.5f), det(0, 0, 10, 10, 0.7f), det(0, 0, 10, 10, 0.7f),
                                    det(21, 20, 31, 30, 0.5f)};
  NmsOptions o;
  o.iou_threshold = 0.5f;
  EXPECT_EQ(nms_indices(c, o), std::vector<int32_t>({1, 0}));
}

TEST(Nms, PerClassCap) {
  std::vector<Detection> c;
  for (int i = 0; i < 5; ++i) c.push_back(det(20.f * i, 0, 20.f * i + 10, 10, 0.9f - 0.1f * i, 0));
  c.push_back(det(0, 0, 10, 10, 0.05f, 1));
  NmsOptions o;
  o.max_per_class = 2;
  EXPECT_EQ(nms_indices(c, o), std::vector<int32_t>({0, 1, 5}));
}

TEST(Nms, TotalCapKeepsBestAcrossClasses) {
  std::vector<Detection> c;
  for (int i = 0; i < 10; ++i) c.push_back(det(20.f * i, 0, 20.f * i + 10, 10, 0.1f + 0.05f * i, i % 3));
  NmsOptions o;
  o.max_total = 4;
  EXPECT_EQ(nms_indices(c, o), std::vector<int32_t>({9, 8, 7, 6}));
}

// The early stop at max_total must not change which boxes survive: compare against a plain
// per-class greedy NMS followed by a global sort.
TEST(Nms, MatchesNaivePerClassGreedy) {
  std::mt19937 rng(7);
  std::uniform_real_distribution<float> pos(0.f, 100.f), size(5.f, 40.f), score(0.f, 1.f);
  std::vector<Detection> c;
  for (int i = 0; i < 2000; ++i) {
    const float x = pos(rng), y = pos(rng);
    c.push_back(det(x, y, x + size(rng), y + size(rng), std::round(score(rng) * 50.f) / 50.f, i % 4));
  }
  NmsOptions o;
  o.iou_threshold = 0.45f;
  o.max_total = 0;
  std::vector<int32_t> naive;
  for (int cls = 0; cls < 4; ++cls) {
    std::vector<int32_t> idx;
    for (int32_t i = 0; i < static_cast<int32_t>(c.size()); ++i) {
      if (c[i].class_id == cls && c[i].score > o.score_threshold) idx.push_back(i);
    }
    std::stable_sort(idx.begin(), idx.end(), [&](int32_t a, int32_t b) { return c[a].score > c[b].score; });
    std::vector<int32_t> kept;
    for (int32_t i : idx) {
      bool ok = true;
      for (int32_t k : kept) ok = ok && !(box_iou(c[i].box, c[k].box) > o.iou_threshold);
      if (ok) kept.push_back(i);
    }
    naive.insert(naive.end(), kept.begin(), kept.end());
  }
  std::sort(naive.begin(), naive.end(),
            [&](int32_t a, int32_t b) { return c[a].score != c[b].score ? c[a].score > c[b].score : a < b; });
  EXPECT_EQ(nms_indices(c, o), naive);
  o.max_total = 100;
  naive.resize(100);
  EXPECT_EQ(nms_indices(c, o), naive);
}

TEST(Nms, ThirtyThousandCandidatesIsFast) {
  std::mt19937 rng(1);
  std::uniform_real_distribution<float> pos(0.f, 600.f), size(4.f, 200.f), score(0.001f, 1.f);
  std::uniform_int_distribution<int> cls(0, 79);
  std::vector<Detection> c;
  for (int i = 0; i < 30000; ++i) {
    const float x = pos(rng), y = pos(rng);
    c.push_back(det(x, y, x + size(rng), y + size(rng), score(rng), cls(rng)));
  }
  NmsOptions o;
  o.max_total = 0;  // worst case: no early stop
  const auto t0 = std::chrono::steady_clock::now();
  const auto kept = nms_indices(c, o);
  const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  EXPECT_GT(kept.size(), 100u);
  EXPECT_LT(ms, 2000.0);  // generous for shared CI machines; typically tens of ms
}

}  // namespace
}  // namespace yq::detect
