// SPDX-License-Identifier: Apache-2.0
#include "detect/presets.h"

namespace yq::detect {

std::optional<PreprocessSpec> preprocess_preset(const std::string& family, int width, int height) {
  PreprocessSpec s;
  s.width = width;
  s.height = height;
  if (family == "yolov5" || family == "yolov6" || family == "yolov8") {
    // RGB /255, centred letterbox with round() (half to even), pad 114, INTER_LINEAR.
    return s;
  }
  if (family == "yolox") {
    // BGR, raw 0..255 (no normalisation), top-left letterbox with int(), pad 114.
    s.resize = ResizeMode::kLetterboxTopLeft;
    s.rounding = SizeRounding::kFloor;
    s.rgb = false;
    s.std = {1.f, 1.f, 1.f};
    return s;
  }
  if (family == "nanodet") {
    // BGR, mean/std in B,G,R order, centred keep-ratio with int(), pad 0 before normalising,
    // INTER_AREA, boxes mapped back per axis.
    s.rounding = SizeRounding::kAspectTrunc;
    s.interp = Interp::kArea;
    s.pad_value = 0.f;
    s.rgb = false;
    s.mean = {103.53f, 116.28f, 123.675f};
    s.std = {57.375f, 57.12f, 58.395f};
    s.map_back_per_axis = true;
    return s;
  }
  if (family == "fastestdet") {
    // BGR /255, plain stretch resize, INTER_LINEAR.
    s.resize = ResizeMode::kStretch;
    s.rgb = false;
    return s;
  }
  return std::nullopt;
}

std::vector<std::string> preset_families() { return {"yolov5", "yolov6", "yolov8", "yolox", "nanodet", "fastestdet"}; }

}  // namespace yq::detect
