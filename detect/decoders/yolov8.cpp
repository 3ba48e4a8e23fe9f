// SPDX-License-Identifier: Apache-2.0
#include "detect/decoders/yolov8.h"

#include "detect/decoders/common.h"

namespace yq::detect {

Status decode_yolov8(const ModelSpec& spec, std::span<const Tensor> outputs, std::vector<Detection>* candidates) {
  if (spec.decoded) {
    YQ_ASSIGN_OR_RETURN(auto outs, internal::ordered_outputs(spec, outputs, 1));
    return internal::decode_decoded_rows(spec, *outs[0], candidates);
  }
  if (spec.reg_max <= 0) return invalid_argument("yolov8 raw heads need reg_max > 0 (16 bins: reg_max 15)");
  YQ_ASSIGN_OR_RETURN(auto outs, internal::raw_head_outputs(spec, outputs));
  const int64_t W = spec.preprocess.width, H = spec.preprocess.height, nc = spec.num_classes;
  const int bins = spec.reg_max + 1;
  for (size_t l = 0; l < outs.size(); ++l) {
    const Tensor& t = *outs[l];
    const int st = spec.strides[l];
    const int64_t gh = internal::grid_size(H, st), gw = internal::grid_size(W, st);
    const Shape want{1, 4 * bins + nc, gh, gw};
    if (t.shape() != want || t.dtype() != DType::kF32) {
      return invalid_argument("yolov8 raw head for stride " + std::to_string(st) + ": expected f32 " + shape_str(want) +
                              ", got " + shape_str(t.shape()));
    }
    const int64_t plane = gh * gw;
    const float* d = t.data<float>();
    const float sf = static_cast<float>(st);
    for (int64_t gy = 0; gy < gh; ++gy) {
      for (int64_t gx = 0; gx < gw; ++gx) {
        const float* c = d + gy * gw + gx;  // channel k at c[k * plane]: 4 sides × bins, then classes
        auto make_box = [&] {
          const float ax = static_cast<float>(gx) + 0.5f, ay = static_cast<float>(gy) + 0.5f;
          return Box{(ax - internal::dfl_expectation(c, plane, bins)) * sf,
                     (ay - internal::dfl_expectation(c + bins * plane, plane, bins)) * sf,
                     (ax + internal::dfl_expectation(c + 2 * bins * plane, plane, bins)) * sf,
                     (ay + internal::dfl_expectation(c + 3 * bins * plane, plane, bins)) * sf};
        };
        internal::emit_candidates(spec, false, 1.f, c + 4 * bins * plane, plane, make_box, candidates);
      }
    }
  }
  return ok_status();
}

}  // namespace yq::detect
