// SPDX-License-Identifier: Apache-2.0
#include "detect/postprocess.h"

#include <algorithm>
#include <numeric>

#include "detect/decoders/decode.h"
#include "detect/nms.h"

namespace yq::detect {

Box map_to_image(const Box& b, const LetterboxTransform& tf) {
  const float w = static_cast<float>(tf.image_width), h = static_cast<float>(tf.image_height);
  return {std::clamp(tf.to_image_x(b.x1), 0.f, w), std::clamp(tf.to_image_y(b.y1), 0.f, h),
          std::clamp(tf.to_image_x(b.x2), 0.f, w), std::clamp(tf.to_image_y(b.y2), 0.f, h)};
}

std::vector<Detection> postprocess(std::span<const Detection> candidates, const ModelSpec& spec,
                                   const LetterboxTransform& transform) {
  std::vector<Detection> topk;
  if (spec.pre_nms_topk > 0 && candidates.size() > static_cast<size_t>(spec.pre_nms_topk)) {
    std::vector<int32_t> idx(candidates.size());
    std::iota(idx.begin(), idx.end(), 0);
    const auto k = static_cast<ptrdiff_t>(spec.pre_nms_topk);
    std::partial_sort(idx.begin(), idx.begin() + k, idx.end(), [&](int32_t a, int32_t b) {
      return candidates[a].score != candidates[b].score ? candidates[a].score > candidates[b].score : a < b;
    });
    // Keep the original relative order so NMS tie-breaking by index is unchanged.
    std::sort(idx.begin(), idx.begin() + k);
    for (ptrdiff_t i = 0; i < k; ++i) topk.push_back(candidates[idx[i]]);
    candidates = topk;
  }
  NmsOptions opt;
  opt.score_threshold = spec.score_threshold;
  opt.iou_threshold = spec.nms_iou;
  opt.max_total = spec.max_detections;
  std::vector<Detection> out = nms(candidates, opt);
  for (Detection& d : out) d.box = map_to_image(d.box, transform);
  return out;
}

Expected<std::vector<Detection>> detect_objects(const ModelSpec& spec, std::span<const Tensor> outputs,
                                                const LetterboxTransform& transform) {
  YQ_ASSIGN_OR_RETURN(std::vector<Detection> candidates, decode(spec, outputs));
  return postprocess(candidates, spec, transform);
}

}  // namespace yq::detect
