// SPDX-License-Identifier: Apache-2.0
#include "detect/decoders/fastestdet.h"

#include <cmath>

#include "detect/decoders/common.h"

namespace yq::detect {

Status decode_fastestdet(const ModelSpec& spec, std::span<const Tensor> outputs, std::vector<Detection>* candidates) {
  YQ_ASSIGN_OR_RETURN(auto outs, internal::ordered_outputs(spec, outputs, 1));
  const Tensor& out = *outs[0];
  YQ_ASSIGN_OR_RETURN(Shape s, internal::squeezed_shape(out, 3, "fastestdet output"));
  const int64_t nc = spec.num_classes;
  if (s[0] != 5 + nc) {
    return invalid_argument("fastestdet output " + shape_str(out.shape()) + ": expected [1," + std::to_string(5 + nc) +
                            ",h,w] for " + std::to_string(nc) + " classes");
  }
  const int64_t gh = s[1], gw = s[2], plane = gh * gw;
  const float W = static_cast<float>(spec.preprocess.width), H = static_cast<float>(spec.preprocess.height);
  const float* d = out.data<float>();
  for (int64_t gy = 0; gy < gh; ++gy) {
    for (int64_t gx = 0; gx < gw; ++gx) {
      const float* c = d + gy * gw + gx;  // channel k at c[k * plane]
      auto make_box = [&] {
        const float cx = (static_cast<float>(gx) + std::tanh(c[plane])) / static_cast<float>(gw);
        const float cy = (static_cast<float>(gy) + std::tanh(c[2 * plane])) / static_cast<float>(gh);
        const float w = internal::sigmoid(c[3 * plane]), h = internal::sigmoid(c[4 * plane]);
        // Normalised -> network input pixels.
        return Box{(cx - 0.5f * w) * W, (cy - 0.5f * h) * H, (cx + 0.5f * w) * W, (cy + 0.5f * h) * H};
      };
      internal::emit_candidates(spec, spec.has_objectness, c[0], c + 5 * plane, plane, make_box, candidates);
    }
  }
  return ok_status();
}

}  // namespace yq::detect
