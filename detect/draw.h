// SPDX-License-Identifier: Apache-2.0
// Drawing detections for `yoloq detect`: labelled boxes on a BGR image, saved atomically.
#pragma once

#include <string>
#include <vector>

#include "base/status.h"
#include "detect/box.h"

namespace cv {
class Mat;
}

namespace yq::detect {

// The 80 COCO class names in YOLO index order (README coco80_classes.tsv).
const std::vector<std::string>& coco80_class_names();

// Draws each detection (boxes in image pixels) on `image` (8-bit BGR, modified in place) with a
// per-class colour and a "name score" label. Class ids outside `class_names` print as numbers.
void draw_detections(cv::Mat& image, const std::vector<Detection>& detections,
                     const std::vector<std::string>& class_names = coco80_class_names());

// Encodes by the path's extension (.jpg/.jpeg/.png) in memory, then write_file_atomic: a failed
// write never leaves a partial image. Unknown extensions and encoder failures are errors.
Status save_image(const std::string& path, const cv::Mat& image);

}  // namespace yq::detect
