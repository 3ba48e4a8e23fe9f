// SPDX-License-Identifier: Apache-2.0
// Shared pieces of the family decoders: activations, score/label policy, DFL, shape checks.
// Internal to detect/: not part of the public API.
#pragma once

#include <cmath>
#include <span>
#include <string>
#include <vector>

#include "base/status.h"
#include "base/tensor.h"
#include "detect/box.h"
#include "detect/model_spec.h"

namespace yq::detect::internal {

inline float sigmoid(float x) { return 1.f / (1.f + std::exp(-x)); }

// Checks dtype f32 and returns the shape with leading 1-dims beyond `rank` dropped, so that
// [1,N,C] and [N,C] both read as [N,C] when rank is 2. Error if the rank does not fit.
Expected<Shape> squeezed_shape(const Tensor& t, size_t rank, const std::string& what);

// Emits the candidates of one box following spec.label_mode:
//   score_c = obj'^obj_power · cls'_c^cls_power, where ' is sigmoid when !spec.scores_sigmoid
//   (obj' = 1 without objectness: pass has_obj = false);
//   single: the argmax class (first on ties) if its score > threshold; multi: every class > threshold.
// `cls` points at class 0 and steps by `cls_step` floats. `make_box()` is called only when at
// least one candidate is emitted. Candidates are appended in class order.
template <typename MakeBox>
void emit_candidates(const ModelSpec& spec, bool has_obj, float obj, const float* cls, int64_t cls_step,
                     MakeBox&& make_box, std::vector<Detection>* out) {
  const bool act = !spec.scores_sigmoid;
  float obj_term = 1.f;
  if (has_obj) {
    const float o = act ? sigmoid(obj) : obj;
    obj_term = spec.obj_power == 1.f ? o : std::pow(o, spec.obj_power);
    // Class terms are probabilities <= 1, so nothing can beat the threshold here.
    if (!(obj_term > spec.score_threshold)) return;
  }
  auto cls_term = [&](float c) {
    const float p = act ? sigmoid(c) : c;
    return spec.cls_power == 1.f ? p : std::pow(p, spec.cls_power);
  };
  const int nc = spec.num_classes;
  if (spec.label_mode == LabelMode::kSingle) {
    int best = 0;
    float best_raw = cls[0];
    for (int c = 1; c < nc; ++c) {
      // Both activations are monotonic, so the argmax of the raw values is the argmax of scores.
      if (cls[c * cls_step] > best_raw) {
        best_raw = cls[c * cls_step];
        best = c;
      }
    }
    const float score = obj_term * cls_term(best_raw);
    if (score > spec.score_threshold) out->push_back({make_box(), score, best});
    return;
  }
  bool have_box = false;
  Box box;
  for (int c = 0; c < nc; ++c) {
    const float score = obj_term * cls_term(cls[c * cls_step]);
    if (!(score > spec.score_threshold)) continue;
    if (!have_box) {
      box = make_box();
      have_box = true;
    }
    out->push_back({box, score, c});
  }
}

// DFL integral: softmax over `bins` logits (stepping by `step`), then Σ p_i · i.
float dfl_expectation(const float* logits, int64_t step, int bins);

// Cells per axis of one level: ceil(size / stride), as stride-2 convs with padding produce.
inline int64_t grid_size(int64_t size, int64_t stride) { return (size + stride - 1) / stride; }

inline Box box_from_center(float cx, float cy, float w, float h) {
  return {cx - 0.5f * w, cy - 0.5f * h, cx + 0.5f * w, cy + 0.5f * h};
}

// Decodes rows of an already decoded output ([1,N,C] or, with spec.channels_first, [1,C,N]):
// C = 4 + nc (no objectness column), or 5 + nc with column 4 objectness (ignored when
// !spec.has_objectness, as YOLOv6's constant 1.0). Boxes are cx,cy,w,h in input pixels.
Status decode_decoded_rows(const ModelSpec& spec, const Tensor& out, std::vector<Detection>* candidates);

// Picks model outputs for a decoder: spec.output_order if set (checked), else identity.
Expected<std::vector<const Tensor*>> ordered_outputs(const ModelSpec& spec, std::span<const Tensor> outputs,
                                                     size_t expected_count);

// Raw per-stride heads ([1,C,gh,gw] or [1,na,gh,gw,C]): spec.output_order if set, else sorted
// by grid size, largest first, to match spec.strides ascending. Checks one output per stride.
Expected<std::vector<const Tensor*>> raw_head_outputs(const ModelSpec& spec, std::span<const Tensor> outputs);

}  // namespace yq::detect::internal
