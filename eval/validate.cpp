// SPDX-License-Identifier: Apache-2.0
#include "eval/validate.h"

#include <chrono>

#include "base/log.h"
#include "base/progress.h"
#include "detect/postprocess.h"
#include "detect/preprocess.h"

namespace yq::eval {
namespace {
using Clock = std::chrono::steady_clock;
double ms_since(Clock::time_point t0) { return std::chrono::duration<double, std::milli>(Clock::now() - t0).count(); }
}  // namespace

Expected<ValidateResult> validate(const ModelFn& model, const detect::ModelSpec& spec, const Dataset& dataset,
                                  const ValidateOptions& opts) {
  ValidateResult r;
  r.skipped = dataset.skipped;
  const size_t n = opts.max_images > 0 ? std::min<size_t>(dataset.images.size(), static_cast<size_t>(opts.max_images))
                                       : dataset.images.size();
  std::vector<int64_t> evaluated_ids;
  ProgressBar bar(opts.label, static_cast<int64_t>(n), opts.progress);
  std::vector<Tensor> outputs;
  for (size_t i = 0; i < n; ++i) {
    const ImageInfo& im = dataset.images[i];
    auto t0 = Clock::now();
    auto pre = detect::preprocess_file(im.path, spec.preprocess);
    if (!pre.ok()) {
      // A corrupt image is named and counted, and the run goes on.
      YQ_LOG(Warning) << pre.status().message();
      r.skipped.push_back({im.path, pre.status().message()});
      continue;
    }
    r.preprocess_ms += ms_since(t0);
    t0 = Clock::now();
    if (Status s = model(pre->tensor, &outputs); !s.ok()) return s.with_context(im.path);
    r.inference_ms += ms_since(t0);
    t0 = Clock::now();
    auto dets = detect::detect_objects(spec, outputs, pre->transform);
    if (!dets.ok()) return dets.status().with_context(im.path);
    for (const detect::Detection& d : *dets) {
      const int cat = dataset.category_for_yolo_index(d.class_id);
      if (cat < 0) continue;  // a class the dataset's map does not know cannot match any GT
      r.detections.push_back({im.id, cat, {d.box.x1, d.box.y1, d.box.x2 - d.box.x1, d.box.y2 - d.box.y1}, d.score});
    }
    r.postprocess_ms += ms_since(t0);
    evaluated_ids.push_back(im.id);
    bar.update(static_cast<int64_t>(i + 1));
  }
  bar.finish();
  r.images = static_cast<int64_t>(evaluated_ids.size());
  if (r.images == 0) return invalid_argument("no image could be evaluated");
  const double per = 1.0 / static_cast<double>(r.images);
  r.preprocess_ms *= per;
  r.inference_ms *= per;
  r.postprocess_ms *= per;
  // Only evaluated images count: a skipped image must not turn its GT into misses.
  std::vector<GtBox> gts;
  std::sort(evaluated_ids.begin(), evaluated_ids.end());
  for (const GtBox& g : dataset.boxes) {
    if (std::binary_search(evaluated_ids.begin(), evaluated_ids.end(), g.image_id)) gts.push_back(g);
  }
  YQ_ASSIGN_OR_RETURN(r.coco, evaluate_coco(evaluated_ids, dataset.category_ids(), gts, r.detections));
  return r;
}

}  // namespace yq::eval
