// SPDX-License-Identifier: Apache-2.0
#include "detect/decoders/yolox.h"

#include <cmath>

#include "detect/decoders/common.h"

namespace yq::detect {

Status decode_yolox(const ModelSpec& spec, std::span<const Tensor> outputs, std::vector<Detection>* candidates) {
  YQ_ASSIGN_OR_RETURN(auto outs, internal::ordered_outputs(spec, outputs, 1));
  const Tensor& out = *outs[0];
  YQ_ASSIGN_OR_RETURN(Shape s, internal::squeezed_shape(out, 2, "yolox output"));
  const int64_t W = spec.preprocess.width, H = spec.preprocess.height, nc = spec.num_classes;
  int64_t rows = 0;
  for (int st : spec.strides) rows += internal::grid_size(H, st) * internal::grid_size(W, st);
  if (s[0] != rows || s[1] != 5 + nc) {
    return invalid_argument("yolox output " + shape_str(out.shape()) + ": expected [1," + std::to_string(rows) + "," +
                            std::to_string(5 + nc) + "] for a " + std::to_string(W) + "x" + std::to_string(H) +
                            " input and " + std::to_string(nc) + " classes");
  }
  const float* d = out.data<float>();
  int64_t row = 0;
  for (int st : spec.strides) {
    const int64_t gh = internal::grid_size(H, st), gw = internal::grid_size(W, st);
    const float sf = static_cast<float>(st);
    for (int64_t gy = 0; gy < gh; ++gy) {
      for (int64_t gx = 0; gx < gw; ++gx, ++row) {
        const float* r = d + row * (5 + nc);
        auto make_box = [&] {
          const float cx = (r[0] + static_cast<float>(gx)) * sf, cy = (r[1] + static_cast<float>(gy)) * sf;
          return internal::box_from_center(cx, cy, std::exp(r[2]) * sf, std::exp(r[3]) * sf);
        };
        internal::emit_candidates(spec, spec.has_objectness, r[4], r + 5, 1, make_box, candidates);
      }
    }
  }
  return ok_status();
}

}  // namespace yq::detect
