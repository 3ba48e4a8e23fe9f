// SPDX-License-Identifier: Apache-2.0
// COCO bounding-box evaluation: a re-implementation of pycocotools
// `COCOeval(gt, dt, "bbox")` with its default parameters (cocodataset/cocoapi PythonAPI).
//
// Semantics reproduced exactly (see coco_eval.cpp for the why of each):
//   * IoU thresholds np.linspace(.5, .95, 10), recall thresholds np.linspace(0, 1, 101), both with
//     numpy's floating-point values; maxDets {1, 10, 100}; area ranges all [0, 1e10],
//     small [0, 32²], medium [32², 96²], large [96², 1e10], both ends inclusive.
//   * Per (image, category): detections stably sorted by descending score and cut to 100; crowd
//     GT uses IoU = inter / area(dt); greedy matching per IoU threshold with pycocotools' ignore,
//     crowd and tie rules; GT `area` (not the box) decides the area range, detection area = w·h.
//   * GT ignore = iscrowd or area outside the range. pycocotools overwrites an annotation's own
//     `ignore` field with `iscrowd`, so there is deliberately no `ignore` input here.
//   * accumulate(): scores concatenated over images in ascending image-id order, stable sort,
//     101-point interpolated precision, recall = final recall; -1 where a category has no
//     non-ignored GT; summarize() means over entries > -1 using numpy's pairwise summation.
// Boxes are COCO [x, y, w, h] in pixels. Ids are arbitrary integers.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <span>
#include <string>

#include "base/status.h"

namespace yq::eval {

struct GtBox {
  int64_t image_id = 0;
  int category_id = 0;
  std::array<double, 4> bbox{};  // x, y, w, h
  double area = 0.0;             // the annotation's `area` field; decides small/medium/large
  bool iscrowd = false;
};

struct DtBox {
  int64_t image_id = 0;
  int category_id = 0;
  std::array<double, 4> bbox{};  // x, y, w, h
  double score = 0.0;
};

// Order and names of CocoResult::stats (pycocotools COCOeval.stats for iouType "bbox").
inline constexpr std::array<const char*, 12> kCocoStatNames = {"AP",  "AP50", "AP75",  "APs", "APm", "APl",
                                                               "AR1", "AR10", "AR100", "ARs", "ARm", "ARl"};

struct CocoResult {
  // stats[i] in [0, 1], or -1 when no category has GT for that setting (pycocotools semantics).
  std::array<double, 12> stats{};
  // AP@[.5:.95], area all, maxDets 100, for every category that has at least one non-crowd GT
  // box. Categories without GT are absent (their pycocotools value would be -1); the mean of
  // these values is stats[0] (up to summation order).
  std::map<int, double> per_class_ap;
  // Number of categories that entered the mean of stats[0].
  int num_categories_with_gt = 0;
};

// Evaluates `dts` against `gts` on the images `image_ids` and categories `category_ids`
// (duplicates allowed; pycocotools takes np.unique of both). `category_ids` should list every
// category of the dataset, as pycocotools iterates the GT json's categories.
// GT boxes on images or categories outside those lists are left out, as pycocotools'
// getAnnIds filters do. Detections of categories outside the list are dropped silently (the
// same filter), but a detection on an image outside `image_ids` is an error (pycocotools'
// loadRes asserts), as is a non-finite score or box value.
Expected<CocoResult> evaluate_coco(std::span<const int64_t> image_ids, std::span<const int> category_ids,
                                   std::span<const GtBox> gts, std::span<const DtBox> dts);

// The 12 lines pycocotools' summarize() prints, byte for byte, each ending in '\n', e.g.
// " Average Precision  (AP) @[ IoU=0.50:0.95 | area=   all | maxDets=100 ] = 0.339".
std::string format_coco_summary(const CocoResult& result);

// pycocotools' default thresholds, with numpy.linspace's exact double values.
std::array<double, 10> coco_iou_thresholds();
std::array<double, 101> coco_recall_thresholds();

}  // namespace yq::eval
