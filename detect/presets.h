// SPDX-License-Identifier: Apache-2.0
// Built-in preprocessing presets for the detector families yoloq knows, following each upstream
// repo's eval pipeline (see $YOLOQ_DATA/README.md for the recipes and what deviating costs).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "detect/preprocess.h"

namespace yq::detect {

// Families: "yolox", "nanodet", "fastestdet", "yolov5", "yolov6", "yolov8". Width/height are taken
// from the model's input shape by the caller.
std::optional<PreprocessSpec> preprocess_preset(const std::string& family, int width, int height);
std::vector<std::string> preset_families();

}  // namespace yq::detect
