// SPDX-License-Identifier: Apache-2.0
// Letterbox geometry of each preset on synthetic images: where the image lands, the pad value,
// and the transform that maps boxes back.
#include "detect/preprocess.h"

#include <gtest/gtest.h>

#include <opencv2/core.hpp>

#include "detect/presets.h"

namespace yq::detect {
namespace {

// A uniform BGR image, so every resized pixel equals the input colour whatever the interpolation.
cv::Mat uniform(int w, int h) { return cv::Mat(h, w, CV_8UC3, cv::Scalar(30, 60, 90)); }  // B, G, R

// The pad as preprocess() computes it: (pad - mean) · (1/std), not pad / std.
const float kPad255 = 114.f * (1.f / 255.f);

float at(const Tensor& t, int c, int y, int x) {
  return t.data<float>()[(static_cast<int64_t>(c) * t.dim(2) + y) * t.dim(3) + x];
}

// Finds the image rectangle: pixels whose channel-0 value differs from the pad value.
cv::Rect content_rect(const Tensor& t, float pad0) {
  int x0 = INT32_MAX, y0 = INT32_MAX, x1 = -1, y1 = -1;
  for (int y = 0; y < t.dim(2); ++y) {
    for (int x = 0; x < t.dim(3); ++x) {
      if (at(t, 0, y, x) != pad0) {
        x0 = std::min(x0, x), y0 = std::min(y0, y), x1 = std::max(x1, x), y1 = std::max(y1, y);
      }
    }
  }
  return {x0, y0, x1 - x0 + 1, y1 - y0 + 1};
}

TEST(Letterbox, Yolov5CentredLandscapeAndPortrait) {
  const PreprocessSpec spec = *preprocess_preset("yolov5", 640, 640);
  // 640×427 landscape: r = 1, content 640×427, top = floor(213/2) = 106.
  auto land = preprocess(uniform(640, 427), spec);
  EXPECT_EQ(content_rect(land.tensor, kPad255), cv::Rect(0, 106, 640, 427));
  EXPECT_FLOAT_EQ(land.transform.pad_y, 106.f);
  EXPECT_FLOAT_EQ(at(land.tensor, 0, 300, 300), 90.f / 255.f);  // RGB: channel 0 is red
  // 480×640 portrait: left = 80.
  auto port = preprocess(uniform(480, 640), spec);
  EXPECT_EQ(content_rect(port.tensor, kPad255), cv::Rect(80, 0, 480, 640));
  EXPECT_FLOAT_EQ(port.transform.to_image_x(80.f), 0.f);
}

TEST(Letterbox, Yolov5RoundsHalfToEvenLikePython) {
  // r = 640/1280 = 0.5, w·r = 500.5 -> Python round() gives 500 (not 501); left = 70.
  auto p = preprocess(uniform(1001, 1280), *preprocess_preset("yolov5", 640, 640));
  EXPECT_EQ(content_rect(p.tensor, kPad255), cv::Rect(70, 0, 500, 640));
}

TEST(Letterbox, YoloxTopLeftRawPixelsBgr) {
  const PreprocessSpec spec = *preprocess_preset("yolox", 416, 416);
  // 640×480: r = 0.65, int(480·0.65) = 312 rows at the top, pad 114 below.
  auto p = preprocess(uniform(640, 480), spec);
  EXPECT_EQ(content_rect(p.tensor, 114.f), cv::Rect(0, 0, 416, 312));
  EXPECT_FLOAT_EQ(at(p.tensor, 0, 10, 10), 30.f);  // BGR, no normalisation
  EXPECT_FLOAT_EQ(at(p.tensor, 0, 400, 10), 114.f);
  EXPECT_FLOAT_EQ(p.transform.pad_x, 0.f);
  EXPECT_FLOAT_EQ(p.transform.pad_y, 0.f);
  EXPECT_FLOAT_EQ(p.transform.scale_y, 0.65f);
  // Portrait 300×500: r = 0.832, int(300·0.832) = 249 columns at the left.
  auto q = preprocess(uniform(300, 500), spec);
  EXPECT_EQ(content_rect(q.tensor, 114.f), cv::Rect(0, 0, 249, 416));
}

TEST(Letterbox, NanodetTruncationCentredPerAxisMapBack) {
  const PreprocessSpec spec = *preprocess_preset("nanodet", 320, 320);
  const float pad0 = (0.f - 103.53f) * (1.f / 57.375f);  // pad 0 before normalising, channel B
  // 500×333 landscape: newh = int(320·(333/500)) = int(213.12) = 213, top = int(107/2) = 53.
  auto land = preprocess(uniform(500, 333), spec);
  EXPECT_EQ(content_rect(land.tensor, pad0), cv::Rect(0, 53, 320, 213));
  EXPECT_FLOAT_EQ(land.transform.scale_y, 213.f / 333.f);
  EXPECT_FLOAT_EQ(land.transform.scale_x, 320.f / 500.f);
  EXPECT_NEAR(at(land.tensor, 0, 100, 100), (30.f - 103.53f) / 57.375f, 1e-6);
  // 333×500 portrait: neww = int(320 / (500/333)) = int(213.12) = 213, left = 53.
  auto port = preprocess(uniform(333, 500), spec);
  EXPECT_EQ(content_rect(port.tensor, pad0), cv::Rect(53, 0, 213, 320));
  // x = (x' − left)·W/neww maps the content's right edge to the image's.
  EXPECT_NEAR(port.transform.to_image_x(53.f + 213.f), 333.f, 1e-3);
  // Square: plain resize, no padding.
  auto sq = preprocess(uniform(100, 100), spec);
  EXPECT_EQ(content_rect(sq.tensor, pad0), cv::Rect(0, 0, 320, 320));
}

TEST(Letterbox, FastestdetStretch) {
  auto p = preprocess(uniform(704, 528), *preprocess_preset("fastestdet", 352, 352));
  EXPECT_FLOAT_EQ(p.transform.scale_x, 0.5f);
  EXPECT_FLOAT_EQ(p.transform.scale_y, 352.f / 528.f);
  EXPECT_FLOAT_EQ(p.transform.pad_x, 0.f);
  EXPECT_FLOAT_EQ(at(p.tensor, 0, 0, 0), 30.f / 255.f);  // BGR /255
  EXPECT_FLOAT_EQ(p.transform.to_image_y(352.f), 528.f);
}

}  // namespace
}  // namespace yq::detect
