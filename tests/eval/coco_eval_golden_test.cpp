// SPDX-License-Identifier: Apache-2.0
// Golden case: fixtures/coco_eval_random_{gt,dt}.json (made by fixtures/make_coco_eval_fixture.py,
// seed 10: 12 images, 4 categories, 62 GT incl. crowds, 496 detections with many score and IoU
// ties, 114 detections of one category in one image).
// The expected numbers come from a line-by-line numpy transcription of pycocotools 2.0
// cocoeval.py + maskApi.c bbIou (numpy 1.24), run at development time; pycocotools itself
// could not be installed here. Re-running the generator where pycocotools is installed prints
// COCOeval's own numbers in this format. Equality is exact: the evaluator reproduces numpy's
// linspace values, stable sorts and chunked pairwise mean, so there is no tolerance to hide in.
#include <gtest/gtest.h>

#include <map>

#include "eval/coco_eval.h"
#include "eval/dataset.h"

namespace yq::eval {
namespace {

TEST(CocoEvalGolden, RandomCaseMatchesCocoevalBitForBit) {
  const std::string dir = std::string(YQ_SOURCE_DIR) + "/tests/eval/fixtures/";
  auto gt = load_coco_dataset(dir + "coco_eval_random_gt.json", "");
  ASSERT_TRUE(gt.ok()) << gt.status().message();
  auto dts = load_coco_detections_json(dir + "coco_eval_random_dt.json");
  ASSERT_TRUE(dts.ok()) << dts.status().message();
  ASSERT_EQ(dts->size(), 496u);
  auto r = evaluate_coco(gt->image_ids(), gt->category_ids(), gt->boxes, *dts);
  ASSERT_TRUE(r.ok()) << r.status().message();

  const std::array<double, 12> expected = {0.089592598697712661, 0.15400162229121803, 0.091840325790181906,
                                           0.027041673904232528, 0.13157724876074095, 0.17120914216756966,
                                           0.10973214285714286,  0.28443452380952383, 0.30214285714285716,
                                           0.1640151515151515,   0.32249999999999995, 0.52619047619047621};
  for (int i = 0; i < 12; ++i) EXPECT_EQ(r->stats[i], expected[i]) << kCocoStatNames[i];
  const std::map<int, double> per_class = {
      {9, 0.056089221458074504}, {110, 0.13598281517515462}, {124, 0.15777907202484953}, {147, 0.0085192861327720373}};
  EXPECT_EQ(r->per_class_ap, per_class);
}

}  // namespace
}  // namespace yq::eval
