// SPDX-License-Identifier: Apache-2.0
// Hand-built COCOeval cases. Each expected value is derived in the comment from pycocotools'
// rules (cocoeval.py evaluateImg/accumulate/summarize), not from running this code.
// Notation: pr = tp / (fp + tp + eps); "≈1" is 1/(1 + eps) = 1 − 2⁻⁵², hence EXPECT_NEAR.
#include "eval/coco_eval.h"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

namespace yq::eval {
namespace {

constexpr double kTol = 1e-12;
enum Stat { kAP, kAP50, kAP75, kAPs, kAPm, kAPl, kAR1, kAR10, kAR100, kARs, kARm, kARl };

GtBox gt(int64_t img, int cat, double x, double y, double w, double h, bool crowd = false) {
  return GtBox{img, cat, {x, y, w, h}, w * h, crowd};
}
DtBox dt(int64_t img, int cat, double x, double y, double w, double h, double score) {
  return DtBox{img, cat, {x, y, w, h}, score};
}

CocoResult run(const std::vector<int64_t>& imgs, const std::vector<int>& cats, const std::vector<GtBox>& gts,
               const std::vector<DtBox>& dts) {
  auto r = evaluate_coco(imgs, cats, gts, dts);
  EXPECT_TRUE(r.ok()) << r.status().message();
  return r.ok() ? *r : CocoResult{};
}

TEST(CocoEval, ThresholdsHaveNumpyValues) {
  const auto iou = coco_iou_thresholds();
  EXPECT_EQ(iou[0], 0.5);
  // summarize() finds AP75 with np.where(0.75 == iouThrs): it must be exactly 0.75.
  EXPECT_EQ(iou[5], 0.75);
  EXPECT_EQ(iou[9], 0.95);
  const auto rec = coco_recall_thresholds();
  EXPECT_EQ(rec[0], 0.0);
  EXPECT_EQ(rec[50], 0.5);
  EXPECT_EQ(rec[100], 1.0);
  // linspace's i * 0.01, not the literal: 3 * 0.01 = 0.030000000000000002 != 0.03.
  EXPECT_EQ(rec[3], 3 * 0.01);
}

// Every GT found exactly, one detection each: all precisions ≈1, recall 1. Small only in cat 1,
// medium only in cat 2, large only in cat 1: each area mean still ≈1 because categories without
// GT in that range are -1 and left out.
TEST(CocoEval, PerfectDetectionsScoreOneEverywhere) {
  std::vector<GtBox> gts = {gt(1, 1, 0, 0, 100, 100), gt(2, 1, 10, 10, 20, 20), gt(2, 2, 0, 0, 50, 50)};
  std::vector<DtBox> dts;
  for (const auto& g : gts)
    dts.push_back(dt(g.image_id, g.category_id, g.bbox[0], g.bbox[1], g.bbox[2], g.bbox[3], 0.9));
  const auto r = run({1, 2}, {1, 2}, gts, dts);
  for (int i = 0; i < 12; ++i) EXPECT_NEAR(r.stats[i], 1.0, kTol) << kCocoStatNames[i];
  EXPECT_EQ(r.num_categories_with_gt, 2);
  ASSERT_EQ(r.per_class_ap.size(), 2u);
  EXPECT_NEAR(r.per_class_ap.at(1), 1.0, kTol);
}

// One GT; a FP (score .9) ranked above the TP (.8). tp=[0,1], fp=[1,1] → rc=[0,1], pr=[0,.5];
// envelope → [.5,.5]; searchsorted: r=0 → idx 0, r>0 → idx 1; every q = .5 → AP = .5 at all
// IoUs. Both boxes are 10×10 (small). AR1 keeps only the FP → 0; AR10 = AR100 = 1.
TEST(CocoEval, FalsePositiveAboveTruePositiveHalvesAp) {
  const auto r = run({7}, {3}, {gt(7, 3, 0, 0, 10, 10)}, {dt(7, 3, 50, 50, 10, 10, 0.9), dt(7, 3, 0, 0, 10, 10, 0.8)});
  EXPECT_NEAR(r.stats[kAP], 0.5, kTol);
  EXPECT_NEAR(r.stats[kAP50], 0.5, kTol);
  EXPECT_NEAR(r.stats[kAP75], 0.5, kTol);
  EXPECT_NEAR(r.stats[kAPs], 0.5, kTol);
  EXPECT_EQ(r.stats[kAPm], -1.0);
  EXPECT_EQ(r.stats[kAPl], -1.0);
  EXPECT_EQ(r.stats[kAR1], 0.0);
  EXPECT_EQ(r.stats[kAR10], 1.0);
  EXPECT_EQ(r.stats[kAR100], 1.0);
  EXPECT_EQ(r.stats[kARs], 1.0);
  EXPECT_EQ(r.stats[kARm], -1.0);
}

// Two GTs; TP(.9), FP(.8), TP(.7): rc=[.5,.5,1], pr=[≈1,.5,2/3] → envelope [≈1,2/3,2/3].
// Recall points 0.00..0.50 (51 of them; recThrs[50] is exactly .5) land on idx 0 → ≈1, the
// 50 points .51..1.00 on idx 2 → 2/3. AP = (51 + 50·2/3) / 101 = 0.83498349...
TEST(CocoEval, HundredAndOnePointInterpolation) {
  const auto r = run({1}, {1}, {gt(1, 1, 0, 0, 40, 40), gt(1, 1, 100, 100, 40, 40)},
                     {dt(1, 1, 0, 0, 40, 40, 0.9), dt(1, 1, 300, 300, 40, 40, 0.8), dt(1, 1, 100, 100, 40, 40, 0.7)});
  const double expected = (51.0 + 50.0 * 2.0 / 3.0) / 101.0;
  EXPECT_NEAR(r.stats[kAP], expected, 1e-9);
  EXPECT_NEAR(r.stats[kAPm], expected, 1e-9);  // 40×40 = 1600: medium
  EXPECT_NEAR(r.stats[kAR100], 1.0, kTol);
  EXPECT_NEAR(r.stats[kAR1], 0.5, kTol);  // one det per image: only the first TP
}

// A crowd GT is ignored and absorbs any number of detections: IoU = inter / area(dt) = 1 for a
// box inside it, the match is to an ignored GT, so both crowd detections are ignored rather
// than FPs. Only the real GT counts (npig = 1) and its TP is the only scored detection → AP ≈1.
// Without crowd handling the two higher-scored dets would be FPs and AP would be 1/3.
TEST(CocoEval, CrowdGroundTruthIsIgnoredAndAbsorbsDetections) {
  std::vector<GtBox> gts = {gt(1, 1, 0, 0, 10, 10), gt(1, 1, 100, 100, 50, 50, /*crowd=*/true)};
  std::vector<DtBox> dts = {dt(1, 1, 110, 110, 10, 10, 0.9), dt(1, 1, 120, 120, 10, 10, 0.85),
                            dt(1, 1, 0, 0, 10, 10, 0.8)};
  const auto r = run({1}, {1}, gts, dts);
  EXPECT_NEAR(r.stats[kAP], 1.0, kTol);
  EXPECT_EQ(r.stats[kAPm], -1.0);  // the crowd (2500, medium) never counts as GT
  EXPECT_NEAR(r.stats[kAR100], 1.0, kTol);
  // A category whose only GT is a crowd has nothing to find: -1 everywhere.
  const auto only_crowd = run({1}, {1}, {gts[1]}, {dts[0]});
  for (int i = 0; i < 12; ++i) EXPECT_EQ(only_crowd.stats[i], -1.0) << kCocoStatNames[i];
}

// GT order matters: non-ignored GT come first and matching stops at the first ignored one once
// a real GT is matched. Det [0,0,10,8.2] has IoU .82 with the real GT and 1.0 (= 82/82) with the
// crowd listed *before* it. t ≤ .8 (7 thresholds): matched to the real GT → TP, AP ≈1;
// t ≥ .85 (3): real GT fails, the crowd matches → the det is ignored, no TP → AP 0.
// AP = 7/10. Matching in input order instead would always pick the crowd → AP 0.
TEST(CocoEval, IgnoredGroundTruthIsSortedLastForMatching) {
  const auto r = run({1}, {1}, {gt(1, 1, 0, 0, 20, 20, true), gt(1, 1, 0, 0, 10, 10)}, {dt(1, 1, 0, 0, 10, 8.2, 0.9)});
  EXPECT_NEAR(r.stats[kAP], 0.7, kTol);
  EXPECT_NEAR(r.stats[kAP50], 1.0, kTol);
  EXPECT_NEAR(r.stats[kAP75], 1.0, kTol);
}

// The GT's `area` field, not its box, decides the range: a 10×10 box with area 5000 is medium.
// In the small range that GT is ignored, and the det matched to it is ignored too → APs = -1.
TEST(CocoEval, AreaRangesUseTheAnnotationAreaField) {
  GtBox g = gt(1, 1, 0, 0, 10, 10);
  g.area = 5000;
  const auto r = run({1}, {1}, {g}, {dt(1, 1, 0, 0, 10, 10, 0.9)});
  EXPECT_EQ(r.stats[kAPs], -1.0);
  EXPECT_NEAR(r.stats[kAPm], 1.0, kTol);
  EXPECT_EQ(r.stats[kAPl], -1.0);
  EXPECT_EQ(r.stats[kARs], -1.0);
  EXPECT_NEAR(r.stats[kARm], 1.0, kTol);
}

// Range ends are inclusive (`area < lo or area > hi` ignores): 32×32 = 1024 is small AND medium.
TEST(CocoEval, AreaRangeBoundsAreInclusive) {
  const auto r = run({1}, {1}, {gt(1, 1, 0, 0, 32, 32)}, {dt(1, 1, 0, 0, 32, 32, 0.9)});
  EXPECT_NEAR(r.stats[kAPs], 1.0, kTol);
  EXPECT_NEAR(r.stats[kAPm], 1.0, kTol);
  EXPECT_EQ(r.stats[kAPl], -1.0);
}

// An unmatched detection outside the area range is ignored there: the large FP (.9) counts as a
// FP for area=all (AP .5, as in the FP-above-TP case) but is ignored for small → APs ≈1.
TEST(CocoEval, UnmatchedDetectionsOutsideTheRangeAreIgnored) {
  const auto r =
      run({1}, {1}, {gt(1, 1, 0, 0, 10, 10)}, {dt(1, 1, 200, 200, 200, 200, 0.9), dt(1, 1, 0, 0, 10, 10, 0.8)});
  EXPECT_NEAR(r.stats[kAP], 0.5, kTol);
  EXPECT_NEAR(r.stats[kAPs], 1.0, kTol);
  EXPECT_EQ(r.stats[kAPl], -1.0);
}

// Per image and category only the 100 best detections exist. 100 FPs above the TP: it is
// cut → AP 0, AR100 0. With 99 FPs the TP is 100th: rc reaches 1 at idx 99 where
// pr = 1/100; envelope makes every pr .01 → AP .01; AR10 = 0 (TP is not in the top 10).
TEST(CocoEval, MaxDetsTruncatesPerImageAndCategory) {
  auto make = [](int num_fp) {
    std::vector<DtBox> dts;
    for (int i = 0; i < num_fp; ++i) dts.push_back(dt(1, 1, 500 + i, 500, 10, 10, 0.99 - i * 0.001));
    dts.push_back(dt(1, 1, 0, 0, 10, 10, 0.5));
    return dts;
  };
  const std::vector<GtBox> gts = {gt(1, 1, 0, 0, 10, 10)};
  const auto cut = run({1}, {1}, gts, make(100));
  EXPECT_EQ(cut.stats[kAP], 0.0);
  EXPECT_EQ(cut.stats[kAR100], 0.0);
  const auto kept = run({1}, {1}, gts, make(99));
  EXPECT_NEAR(kept.stats[kAP], 0.01, kTol);
  EXPECT_EQ(kept.stats[kAR10], 0.0);
  EXPECT_EQ(kept.stats[kAR100], 1.0);
  // TP 10th of 10 → in AR10; 11th → not.
  const auto ten = run({1}, {1}, gts, make(9));
  EXPECT_EQ(ten.stats[kAR10], 1.0);
  const auto eleven = run({1}, {1}, gts, make(10));
  EXPECT_EQ(eleven.stats[kAR10], 0.0);
  // The cut is per category: 100 FPs of another category do not push the TP out.
  std::vector<DtBox> other;
  for (int i = 0; i < 100; ++i) other.push_back(dt(1, 2, 500 + i, 500, 10, 10, 0.99));
  other.push_back(dt(1, 1, 0, 0, 10, 10, 0.5));
  const auto per_cat = run({1}, {1, 2}, gts, other);
  EXPECT_NEAR(per_cat.stats[kAP], 1.0, kTol);
}

// A category without GT has precision -1 and leaves the mean, even if it has detections
// (its FPs cost nothing). Category 3 with nothing at all is -1 too.
TEST(CocoEval, CategoryWithoutGroundTruthIsExcludedFromTheMean) {
  const auto r = run({1}, {1, 2, 3}, {gt(1, 1, 0, 0, 10, 10)},
                     {dt(1, 1, 0, 0, 10, 10, 0.5), dt(1, 2, 0, 0, 10, 10, 0.99), dt(1, 2, 30, 30, 10, 10, 0.98)});
  EXPECT_NEAR(r.stats[kAP], 1.0, kTol);
  EXPECT_EQ(r.num_categories_with_gt, 1);
  EXPECT_EQ(r.per_class_ap.size(), 1u);
  EXPECT_EQ(r.per_class_ap.count(2), 0u);
}

// Duplicates. Ranked below the TP: tp=[1,1], fp=[0,1], rc=[1,1] → every recall point hits idx 0
// (≈1) → AP ≈1. Ranked above: det A (.9, IoU .625 = 62.5/100) and exact det B (.8). For
// t ∈ {.5,.55,.6}, A takes the GT and B is a FP → ≈1; for the 7 others A is a FP ranked above
// the TP B → .5 (first test). AP = (3 + 7·.5)/10 = .65; AP50 ≈1, AP75 .5.
TEST(CocoEval, DuplicatesRankedBelowAndAbove) {
  const std::vector<GtBox> gts = {gt(1, 1, 0, 0, 10, 10)};
  const auto below = run({1}, {1}, gts, {dt(1, 1, 0, 0, 10, 10, 0.9), dt(1, 1, 0, 0, 10, 10, 0.8)});
  EXPECT_NEAR(below.stats[kAP], 1.0, kTol);
  const auto above = run({1}, {1}, gts, {dt(1, 1, 0, 0, 10, 6.25, 0.9), dt(1, 1, 0, 0, 10, 10, 0.8)});
  EXPECT_NEAR(above.stats[kAP], 0.65, kTol);
  EXPECT_NEAR(above.stats[kAP50], 1.0, kTol);
  EXPECT_NEAR(above.stats[kAP75], 0.5, kTol);
}

// Equal scores across images keep ascending image-id order (stable sort of the concatenation),
// regardless of input order. Image 2 holds a FP, image 1 the TP, both scored .5: the TP
// comes first → rc=[1,1], AP ≈1. If image 2's FP came first AP would be .5.
TEST(CocoEval, ScoreTiesFollowImageIdOrder) {
  const auto r = run({2, 1}, {1}, {gt(1, 1, 0, 0, 10, 10)}, {dt(2, 1, 0, 0, 10, 10, 0.5), dt(1, 1, 0, 0, 10, 10, 0.5)});
  EXPECT_NEAR(r.stats[kAP], 1.0, kTol);
}

// No detections: categories with GT get precision 0 (searchsorted past the end leaves q = 0)
// and recall 0; ranges without GT stay -1. No GT at all: everything -1.
TEST(CocoEval, EmptyDetectionsAndEmptyGroundTruth) {
  const auto no_dt = run({1}, {1}, {gt(1, 1, 0, 0, 10, 10)}, {});
  EXPECT_EQ(no_dt.stats[kAP], 0.0);
  EXPECT_EQ(no_dt.stats[kAPs], 0.0);
  EXPECT_EQ(no_dt.stats[kAPm], -1.0);
  EXPECT_EQ(no_dt.stats[kAR100], 0.0);
  EXPECT_EQ(no_dt.per_class_ap.at(1), 0.0);
  const auto no_gt = run({1}, {1}, {}, {dt(1, 1, 0, 0, 10, 10, 0.9)});
  for (int i = 0; i < 12; ++i) EXPECT_EQ(no_gt.stats[i], -1.0) << kCocoStatNames[i];
  const auto nothing = run({}, {}, {}, {});
  for (int i = 0; i < 12; ++i) EXPECT_EQ(nothing.stats[i], -1.0) << kCocoStatNames[i];
}

TEST(CocoEval, DetectionOnUnknownImageIsAnError) {
  auto r = evaluate_coco(std::vector<int64_t>{1}, std::vector<int>{1}, std::vector<GtBox>{},
                         std::vector<DtBox>{dt(42, 1, 0, 0, 1, 1, 0.5)});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("image_id 42"), std::string::npos) << r.status().message();
  auto nan = evaluate_coco(std::vector<int64_t>{1}, std::vector<int>{1}, std::vector<GtBox>{},
                           std::vector<DtBox>{dt(1, 1, 0, 0, 1, 1, std::nan(""))});
  EXPECT_FALSE(nan.ok());
}

TEST(CocoEval, SummaryMatchesPycocotoolsLayout) {
  CocoResult r;
  r.stats = {0.3392, 0.4966, 0.3721, 0.1051, 0.2849, 0.4943, 0.2, 0.3, 0.4, -1.0, 0.5, 0.6};
  const std::string s = format_coco_summary(r);
  const std::string expected =
      " Average Precision  (AP) @[ IoU=0.50:0.95 | area=   all | maxDets=100 ] = 0.339\n"
      " Average Precision  (AP) @[ IoU=0.50      | area=   all | maxDets=100 ] = 0.497\n"
      " Average Precision  (AP) @[ IoU=0.75      | area=   all | maxDets=100 ] = 0.372\n"
      " Average Precision  (AP) @[ IoU=0.50:0.95 | area= small | maxDets=100 ] = 0.105\n"
      " Average Precision  (AP) @[ IoU=0.50:0.95 | area=medium | maxDets=100 ] = 0.285\n"
      " Average Precision  (AP) @[ IoU=0.50:0.95 | area= large | maxDets=100 ] = 0.494\n"
      " Average Recall     (AR) @[ IoU=0.50:0.95 | area=   all | maxDets=  1 ] = 0.200\n"
      " Average Recall     (AR) @[ IoU=0.50:0.95 | area=   all | maxDets= 10 ] = 0.300\n"
      " Average Recall     (AR) @[ IoU=0.50:0.95 | area=   all | maxDets=100 ] = 0.400\n"
      " Average Recall     (AR) @[ IoU=0.50:0.95 | area= small | maxDets=100 ] = -1.000\n"
      " Average Recall     (AR) @[ IoU=0.50:0.95 | area=medium | maxDets=100 ] = 0.500\n"
      " Average Recall     (AR) @[ IoU=0.50:0.95 | area= large | maxDets=100 ] = 0.600\n";
  EXPECT_EQ(s, expected);
}

}  // namespace
}  // namespace yq::eval
