// SPDX-License-Identifier: Apache-2.0
#include "detect/decoders/decode.h"

#include "detect/decoders/fastestdet.h"
#include "detect/decoders/nanodet.h"
#include "detect/decoders/yolov5.h"
#include "detect/decoders/yolov6.h"
#include "detect/decoders/yolov8.h"
#include "detect/decoders/yolox.h"

namespace yq::detect {

Expected<std::vector<Detection>> decode(const ModelSpec& spec, std::span<const Tensor> outputs) {
  using DecodeFn = Status (*)(const ModelSpec&, std::span<const Tensor>, std::vector<Detection>*);
  DecodeFn fn = nullptr;
  if (spec.family == "yolox") fn = decode_yolox;
  if (spec.family == "nanodet") fn = decode_nanodet;
  if (spec.family == "fastestdet") fn = decode_fastestdet;
  if (spec.family == "yolov5") fn = decode_yolov5;
  if (spec.family == "yolov6") fn = decode_yolov6;
  if (spec.family == "yolov8") fn = decode_yolov8;
  if (!fn) return invalid_argument("no decoder for family \"" + spec.family + "\"");
  std::vector<Detection> candidates;
  YQ_RETURN_IF_ERROR(fn(spec, outputs, &candidates));
  return candidates;
}

}  // namespace yq::detect
