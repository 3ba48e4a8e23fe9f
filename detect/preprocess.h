// SPDX-License-Identifier: Apache-2.0
// Image -> network input, the way each detector family was trained, plus the transform that maps
// boxes back to the original image.
//
// Layout of the result: NCHW f32, batch 1, channels in `channel_order`. One pass per image:
// resize (OpenCV), then a single loop that pads, converts HWC u8 -> CHW f32 and normalises.
#pragma once

#include <array>
#include <string>

#include "base/status.h"
#include "base/tensor.h"

namespace cv {
class Mat;
}

namespace yq::detect {

enum class ResizeMode {
  kStretch,           // plain resize to W×H (FastestDet)
  kLetterboxCenter,   // keep ratio, pad both sides (YOLOv5/v6/v8, NanoDet)
  kLetterboxTopLeft,  // keep ratio, image at (0,0), pad right/bottom (YOLOX)
};
// How the resized size is computed for the letterbox modes (r = min(W/w, H/h)):
enum class SizeRounding {
  kFloor,        // int(w·r) (YOLOX)
  kRound,        // Python round(w·r), half to even (YOLOv5/v6/v8 letterbox)
  kAspectTrunc,  // NanoDet demo: long side = target exactly, short side = int(W / (h/w)) or
                 // int(H · (h/w)); h == w is a plain resize to W×H. Computed in double as upstream.
};
enum class Interp { kLinear, kArea, kNearest };

struct PreprocessSpec {
  int width = 640;
  int height = 640;
  ResizeMode resize = ResizeMode::kLetterboxCenter;
  SizeRounding rounding = SizeRounding::kRound;
  Interp interp = Interp::kLinear;
  float pad_value = 114.f;  // in 0..255 pixel units, before normalisation
  bool rgb = true;          // false: keep OpenCV's BGR
  // value = (pixel - mean[c]) / std[c]; /255 is mean 0, std 255. In the network's channel order.
  std::array<float, 3> mean = {0.f, 0.f, 0.f};
  std::array<float, 3> std = {255.f, 255.f, 255.f};
  // Map boxes back with each axis's actual resize factor instead of the single ratio r.
  bool map_back_per_axis = false;
};

// Maps network-input coordinates back to the original image: x = (x' - pad_x) / scale_x.
struct LetterboxTransform {
  float scale_x = 1.f, scale_y = 1.f;
  float pad_x = 0.f, pad_y = 0.f;
  int image_width = 0, image_height = 0;
  float to_image_x(float x) const { return (x - pad_x) / scale_x; }
  float to_image_y(float y) const { return (y - pad_y) / scale_y; }
};

struct PreprocessedImage {
  Tensor tensor;  // [1, 3, height, width] f32
  LetterboxTransform transform;
};

// `image` is an 8-bit BGR cv::Mat (as cv::imread gives).
PreprocessedImage preprocess(const cv::Mat& image, const PreprocessSpec& spec);
// Reads the file; a missing or undecodable image is an error naming the file.
Expected<PreprocessedImage> preprocess_file(const std::string& path, const PreprocessSpec& spec);

}  // namespace yq::detect
