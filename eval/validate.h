// SPDX-License-Identifier: Apache-2.0
// Validation of a detector on a labelled dataset: preprocess every image with the model spec,
// run the model, decode + NMS, then score with the COCO evaluator. The model is any callable
// (yoloq's FP32 or INT8 engine, or another runtime), so FP32-vs-INT8 reports and sensitivity
// analysis share this one loop.
#pragma once

#include <functional>
#include <vector>

#include "base/status.h"
#include "base/tensor.h"
#include "detect/model_spec.h"
#include "eval/coco_eval.h"
#include "eval/dataset.h"

namespace yq::eval {

// Runs one preprocessed [1,3,H,W] input and returns the model outputs (plain f32, model order).
using ModelFn = std::function<Status(const Tensor& input, std::vector<Tensor>* outputs)>;

struct ValidateOptions {
  int max_images = 0;     // 0: all images of the dataset
  bool progress = true;   // progress bar on stderr
  std::string label = "val";
};

struct ValidateResult {
  CocoResult coco;
  int64_t images = 0;                 // images evaluated
  std::vector<SkippedImage> skipped;  // unreadable images (dataset + decode failures)
  std::vector<DtBox> detections;      // COCO category ids, image coordinates
  // Mean wall time per image, milliseconds.
  double preprocess_ms = 0, inference_ms = 0, postprocess_ms = 0;
};

Expected<ValidateResult> validate(const ModelFn& model, const detect::ModelSpec& spec, const Dataset& dataset,
                                  const ValidateOptions& opts = {});

}  // namespace yq::eval
