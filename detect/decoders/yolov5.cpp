// SPDX-License-Identifier: Apache-2.0
#include "detect/decoders/yolov5.h"

#include "detect/decoders/common.h"

namespace yq::detect {

Status decode_yolov5(const ModelSpec& spec, std::span<const Tensor> outputs, std::vector<Detection>* candidates) {
  if (spec.decoded) {
    YQ_ASSIGN_OR_RETURN(auto outs, internal::ordered_outputs(spec, outputs, 1));
    return internal::decode_decoded_rows(spec, *outs[0], candidates);
  }
  if (spec.anchors.size() != spec.strides.size()) {
    return invalid_argument("yolov5 raw heads need one anchor set per stride");
  }
  YQ_ASSIGN_OR_RETURN(auto outs, internal::raw_head_outputs(spec, outputs));
  const int64_t W = spec.preprocess.width, H = spec.preprocess.height, nc = spec.num_classes, no = 5 + nc;
  for (size_t l = 0; l < outs.size(); ++l) {
    const Tensor& t = *outs[l];
    const int st = spec.strides[l];
    const int64_t na = static_cast<int64_t>(spec.anchors[l].size() / 2);
    const int64_t gh = internal::grid_size(H, st), gw = internal::grid_size(W, st);
    // Element (anchor a, cell, channel k): rank 5 is [1,na,gh,gw,no] (channels last), rank 4 is
    // the conv output [1,na·no,gh,gw] (channels first).
    const bool ch_last = t.rank() == 5;
    const Shape want = ch_last ? Shape{1, na, gh, gw, no} : Shape{1, na * no, gh, gw};
    if (t.shape() != want || t.dtype() != DType::kF32) {
      return invalid_argument("yolov5 raw head for stride " + std::to_string(st) + ": expected f32 " + shape_str(want) +
                              ", got " + shape_str(t.shape()));
    }
    const int64_t plane = gh * gw;
    const int64_t k_step = ch_last ? 1 : plane;
    const float* d = t.data<float>();
    const float sf = static_cast<float>(st);
    // Raw exports are logits; only the activation of everything differs from the decoded path.
    auto act = [&](float v) { return spec.scores_sigmoid ? v : internal::sigmoid(v); };
    for (int64_t a = 0; a < na; ++a) {
      const float aw = spec.anchors[l][2 * a], ah = spec.anchors[l][2 * a + 1];
      for (int64_t gy = 0; gy < gh; ++gy) {
        for (int64_t gx = 0; gx < gw; ++gx) {
          const int64_t cell = gy * gw + gx;
          const float* r = ch_last ? d + (a * plane + cell) * no : d + a * no * plane + cell;
          auto make_box = [&] {
            const float cx = (2.f * act(r[0]) - 0.5f + static_cast<float>(gx)) * sf;
            const float cy = (2.f * act(r[k_step]) - 0.5f + static_cast<float>(gy)) * sf;
            const float pw = 2.f * act(r[2 * k_step]), ph = 2.f * act(r[3 * k_step]);
            return internal::box_from_center(cx, cy, pw * pw * aw, ph * ph * ah);
          };
          internal::emit_candidates(spec, spec.has_objectness, r[4 * k_step], r + 5 * k_step, k_step, make_box,
                                    candidates);
        }
      }
    }
  }
  return ok_status();
}

}  // namespace yq::detect
