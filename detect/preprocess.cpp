// SPDX-License-Identifier: Apache-2.0
#include "detect/preprocess.h"

#include <cmath>
#include <filesystem>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

namespace yq::detect {
namespace {

int cv_interp(Interp i) {
  switch (i) {
    case Interp::kLinear:
      return cv::INTER_LINEAR;
    case Interp::kArea:
      return cv::INTER_AREA;
    case Interp::kNearest:
      return cv::INTER_NEAREST;
  }
  return cv::INTER_LINEAR;
}

int scaled(int v, double r, SizeRounding rounding) {
  const double x = v * r;
  // nearbyint in the default rounding mode is half-to-even, like Python 3's round().
  return std::max(1, static_cast<int>(rounding == SizeRounding::kRound ? std::nearbyint(x) : std::floor(x)));
}

}  // namespace

PreprocessedImage preprocess(const cv::Mat& image, const PreprocessSpec& spec) {
  YQ_CHECK(image.type() == CV_8UC3) << "preprocess expects 8-bit BGR";
  const int W = spec.width, H = spec.height, w0 = image.cols, h0 = image.rows;
  PreprocessedImage out;
  LetterboxTransform& tf = out.transform;
  tf.image_width = w0;
  tf.image_height = h0;

  int nw = W, nh = H, left = 0, top = 0;
  if (spec.resize == ResizeMode::kStretch) {
    tf.scale_x = static_cast<float>(W) / w0;
    tf.scale_y = static_cast<float>(H) / h0;
  } else {
    const double r = std::min(static_cast<double>(W) / w0, static_cast<double>(H) / h0);
    if (spec.rounding == SizeRounding::kAspectTrunc) {
      // hpc203 NanoDet demo: hw_scale = h/w; the long side takes the target size exactly.
      const double hw_scale = static_cast<double>(h0) / w0;
      if (h0 > w0) {
        nh = H;
        nw = std::max(1, static_cast<int>(W / hw_scale));
      } else if (h0 < w0) {
        nw = W;
        nh = std::max(1, static_cast<int>(H * hw_scale));
      }
      nw = std::min(W, nw);
      nh = std::min(H, nh);
    } else {
      nw = std::min(W, scaled(w0, r, spec.rounding));
      nh = std::min(H, scaled(h0, r, spec.rounding));
    }
    if (spec.resize == ResizeMode::kLetterboxCenter) {
      // floor(d/2): equals YOLOv5's round(d/2 - 0.1) and NanoDet's int(d/2) for every integer d.
      left = (W - nw) / 2;
      top = (H - nh) / 2;
    }
    // Upstream decoders divide by the single ratio r; NanoDet's divides each axis by its own
    // truncated size (x = (x' - left)·W/neww).
    tf.scale_x = tf.scale_y = static_cast<float>(r);
    if (spec.map_back_per_axis) {
      tf.scale_x = static_cast<float>(nw) / w0;
      tf.scale_y = static_cast<float>(nh) / h0;
    }
  }
  tf.pad_x = static_cast<float>(left);
  tf.pad_y = static_cast<float>(top);

  cv::Mat resized;
  if (nw == w0 && nh == h0) {
    resized = image;
  } else {
    cv::resize(image, resized, cv::Size(nw, nh), 0, 0, cv_interp(spec.interp));
  }

  out.tensor = Tensor::empty(DType::kF32, {1, 3, H, W});
  float* dst = out.tensor.data<float>();
  const size_t plane = static_cast<size_t>(H) * W;
  float pad_norm[3], inv_std[3];
  for (int c = 0; c < 3; ++c) {
    inv_std[c] = 1.f / spec.std[c];
    pad_norm[c] = (spec.pad_value - spec.mean[c]) * inv_std[c];
  }
  for (int y = 0; y < H; ++y) {
    const int sy = y - top;
    const bool row_in = sy >= 0 && sy < nh;
    const uint8_t* src = row_in ? resized.ptr<uint8_t>(sy) : nullptr;
    for (int x = 0; x < W; ++x) {
      const int sx = x - left;
      const size_t o = static_cast<size_t>(y) * W + x;
      if (!row_in || sx < 0 || sx >= nw) {
        for (int c = 0; c < 3; ++c) dst[c * plane + o] = pad_norm[c];
        continue;
      }
      const uint8_t* px = src + 3 * sx;  // B, G, R
      for (int c = 0; c < 3; ++c) {
        const int bgr_index = spec.rgb ? 2 - c : c;
        dst[c * plane + o] = (static_cast<float>(px[bgr_index]) - spec.mean[c]) * inv_std[c];
      }
    }
  }
  return out;
}

Expected<PreprocessedImage> preprocess_file(const std::string& path, const PreprocessSpec& spec) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) return io_error(path + ": no such image");
  cv::Mat img = cv::imread(path, cv::IMREAD_COLOR);
  if (img.empty()) return io_error(path + ": cannot decode image (corrupt or unsupported format)");
  return preprocess(img, spec);
}

}  // namespace yq::detect
