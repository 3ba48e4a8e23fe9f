// SPDX-License-Identifier: Apache-2.0
#include "detect/decoders/common.h"

#include <algorithm>

namespace yq::detect::internal {

Expected<Shape> squeezed_shape(const Tensor& t, size_t rank, const std::string& what) {
  if (t.dtype() != DType::kF32) {
    return invalid_argument(what + ": expected an f32 tensor, got " + dtype_name(t.dtype()));
  }
  Shape s = t.shape();
  while (s.size() > rank && s.front() == 1) s.erase(s.begin());
  if (s.size() != rank) {
    return invalid_argument(what + ": expected rank " + std::to_string(rank) + " (after dropping batch 1), got " +
                            shape_str(t.shape()));
  }
  return s;
}

float dfl_expectation(const float* logits, int64_t step, int bins) {
  float mx = logits[0];
  for (int i = 1; i < bins; ++i) mx = std::max(mx, logits[i * step]);
  float sum = 0.f, acc = 0.f;
  for (int i = 0; i < bins; ++i) {
    const float e = std::exp(logits[i * step] - mx);
    sum += e;
    acc += e * static_cast<float>(i);
  }
  return acc / sum;
}

Status decode_decoded_rows(const ModelSpec& spec, const Tensor& out, std::vector<Detection>* candidates) {
  YQ_ASSIGN_OR_RETURN(Shape s, squeezed_shape(out, 2, spec.family + " output"));
  const int64_t nc = spec.num_classes;
  const int64_t n = spec.channels_first ? s[1] : s[0];
  const int64_t c = spec.channels_first ? s[0] : s[1];
  if (c != 4 + nc && c != 5 + nc) {
    return invalid_argument(spec.family + " output " + shape_str(out.shape()) + ": expected " + std::to_string(4 + nc) +
                            " or " + std::to_string(5 + nc) + " values per box (" + std::to_string(nc) + " classes" +
                            (spec.channels_first ? ", channels first" : "") +
                            "); set num_classes / channels_first in the spec");
  }
  const bool obj_column = c == 5 + nc;
  const bool use_obj = obj_column && spec.has_objectness;
  // Element (row i, column j): row-major [N,C] or channels-first [C,N].
  const int64_t row_step = spec.channels_first ? 1 : c;
  const int64_t col_step = spec.channels_first ? n : 1;
  const float* d = out.data<float>();
  for (int64_t i = 0; i < n; ++i) {
    const float* r = d + i * row_step;
    auto make_box = [&] { return box_from_center(r[0], r[col_step], r[2 * col_step], r[3 * col_step]); };
    const float obj = use_obj ? r[4 * col_step] : 1.f;
    emit_candidates(spec, use_obj, obj, r + (obj_column ? 5 : 4) * col_step, col_step, make_box, candidates);
  }
  return ok_status();
}

Expected<std::vector<const Tensor*>> ordered_outputs(const ModelSpec& spec, std::span<const Tensor> outputs,
                                                     size_t expected_count) {
  std::vector<const Tensor*> r;
  if (!spec.output_order.empty()) {
    if (spec.output_order.size() != expected_count) {
      return invalid_argument("model spec: output_order has " + std::to_string(spec.output_order.size()) +
                              " entries, the " + spec.family + " decoder takes " + std::to_string(expected_count));
    }
    for (int i : spec.output_order) {
      if (i < 0 || static_cast<size_t>(i) >= outputs.size()) {
        return invalid_argument("model spec: output_order index " + std::to_string(i) + " but the model has " +
                                std::to_string(outputs.size()) + " outputs");
      }
      r.push_back(&outputs[i]);
    }
    return r;
  }
  if (outputs.size() != expected_count) {
    return invalid_argument("the " + spec.family + " decoder takes " + std::to_string(expected_count) +
                            " outputs, the model gave " + std::to_string(outputs.size()));
  }
  for (const Tensor& t : outputs) r.push_back(&t);
  return r;
}

Expected<std::vector<const Tensor*>> raw_head_outputs(const ModelSpec& spec, std::span<const Tensor> outputs) {
  YQ_ASSIGN_OR_RETURN(auto outs, ordered_outputs(spec, outputs, spec.strides.size()));
  for (const Tensor* t : outs) {
    if (t->rank() < 4) {
      return invalid_argument(spec.family + " raw head " + shape_str(t->shape()) +
                              ": expected [1,C,h,w] or [1,na,h,w,C]");
    }
  }
  if (spec.output_order.empty()) {
    std::stable_sort(outs.begin(), outs.end(),
                     [](const Tensor* a, const Tensor* b) { return a->dim(2) * a->dim(3) > b->dim(2) * b->dim(3); });
  }
  return outs;
}

}  // namespace yq::detect::internal
