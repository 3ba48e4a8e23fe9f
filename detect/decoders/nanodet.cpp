// SPDX-License-Identifier: Apache-2.0
#include "detect/decoders/nanodet.h"

#include <algorithm>

#include "detect/decoders/common.h"

namespace yq::detect {

Status decode_nanodet(const ModelSpec& spec, std::span<const Tensor> outputs, std::vector<Detection>* candidates) {
  const size_t levels = spec.strides.size();
  const int64_t W = spec.preprocess.width, H = spec.preprocess.height, nc = spec.num_classes;
  const int bins = spec.reg_max + 1;
  const int64_t box_cols = 4 * bins;
  std::vector<const Tensor*> cls(levels, nullptr), box(levels, nullptr);

  auto level_of_rows = [&](int64_t rows) -> int {
    for (size_t l = 0; l < levels; ++l) {
      if (internal::grid_size(H, spec.strides[l]) * internal::grid_size(W, spec.strides[l]) == rows) {
        return static_cast<int>(l);
      }
    }
    return -1;
  };
  if (!spec.output_order.empty()) {
    YQ_ASSIGN_OR_RETURN(auto outs, internal::ordered_outputs(spec, outputs, 2 * levels));
    for (size_t l = 0; l < levels; ++l) {
      cls[l] = outs[l];
      box[l] = outs[levels + l];
    }
  } else {
    if (nc == box_cols) {
      return invalid_argument("nanodet: " + std::to_string(nc) + " classes and " + std::to_string(box_cols) +
                              " box values per cell cannot be told apart by shape; set output_order in the spec");
    }
    if (outputs.size() != 2 * levels) {
      return invalid_argument("nanodet: expected " + std::to_string(2 * levels) + " outputs, got " +
                              std::to_string(outputs.size()));
    }
    // Dispatch by shape: the exported names of the shared model are shuffled.
    for (const Tensor& t : outputs) {
      YQ_ASSIGN_OR_RETURN(Shape s, internal::squeezed_shape(t, 2, "nanodet output"));
      const int l = level_of_rows(s[0]);
      auto& slot = s[1] == nc ? cls : box;
      if (l < 0 || (s[1] != nc && s[1] != box_cols) || slot[l] != nullptr) {
        return invalid_argument("nanodet: unexpected output " + shape_str(t.shape()) + " (want [cells," +
                                std::to_string(nc) + "] or [cells," + std::to_string(box_cols) + "] once per stride)");
      }
      slot[l] = &t;
    }
  }

  for (size_t l = 0; l < levels; ++l) {
    const int st = spec.strides[l];
    const int64_t gh = internal::grid_size(H, st), gw = internal::grid_size(W, st);
    YQ_ASSIGN_OR_RETURN(Shape cs, internal::squeezed_shape(*cls[l], 2, "nanodet class output"));
    YQ_ASSIGN_OR_RETURN(Shape bs, internal::squeezed_shape(*box[l], 2, "nanodet box output"));
    if (cs[0] != gh * gw || cs[1] != nc || bs[0] != gh * gw || bs[1] != box_cols) {
      return invalid_argument("nanodet stride " + std::to_string(st) + ": got class " + shape_str(cls[l]->shape()) +
                              " and box " + shape_str(box[l]->shape()) + ", expected [" + std::to_string(gh * gw) +
                              "," + std::to_string(nc) + "] and [" + std::to_string(gh * gw) + "," +
                              std::to_string(box_cols) + "]");
    }
    const float* cd = cls[l]->data<float>();
    const float* bd = box[l]->data<float>();
    const float sf = static_cast<float>(st);
    for (int64_t gy = 0; gy < gh; ++gy) {
      for (int64_t gx = 0; gx < gw; ++gx) {
        const int64_t cell = gy * gw + gx;
        auto make_box = [&] {
          const float* b = bd + cell * box_cols;  // [4, bins]: l, t, r, b
          const float cx = (static_cast<float>(gx) + 0.5f) * sf, cy = (static_cast<float>(gy) + 0.5f) * sf;
          Box r{cx - internal::dfl_expectation(b, 1, bins) * sf, cy - internal::dfl_expectation(b + bins, 1, bins) * sf,
                cx + internal::dfl_expectation(b + 2 * bins, 1, bins) * sf,
                cy + internal::dfl_expectation(b + 3 * bins, 1, bins) * sf};
          if (spec.clip_to_input) {
            r.x1 = std::clamp(r.x1, 0.f, static_cast<float>(W));
            r.x2 = std::clamp(r.x2, 0.f, static_cast<float>(W));
            r.y1 = std::clamp(r.y1, 0.f, static_cast<float>(H));
            r.y2 = std::clamp(r.y2, 0.f, static_cast<float>(H));
          }
          return r;
        };
        internal::emit_candidates(spec, false, 1.f, cd + cell * nc, 1, make_box, candidates);
      }
    }
  }
  return ok_status();
}

}  // namespace yq::detect
