// SPDX-License-Identifier: Apache-2.0
#include "detect/draw.h"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <filesystem>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "base/file_io.h"

namespace yq::detect {

const std::vector<std::string>& coco80_class_names() {
  static const std::vector<std::string> kNames = {
      "person",         "bicycle",    "car",           "motorcycle",    "airplane",     "bus",           "train",
      "truck",          "boat",       "traffic light", "fire hydrant",  "stop sign",    "parking meter", "bench",
      "bird",           "cat",        "dog",           "horse",         "sheep",        "cow",           "elephant",
      "bear",           "zebra",      "giraffe",       "backpack",      "umbrella",     "handbag",       "tie",
      "suitcase",       "frisbee",    "skis",          "snowboard",     "sports ball",  "kite",          "baseball bat",
      "baseball glove", "skateboard", "surfboard",     "tennis racket", "bottle",       "wine glass",    "cup",
      "fork",           "knife",      "spoon",         "bowl",          "banana",       "apple",         "sandwich",
      "orange",         "broccoli",   "carrot",        "hot dog",       "pizza",        "donut",         "cake",
      "chair",          "couch",      "potted plant",  "bed",           "dining table", "toilet",        "tv",
      "laptop",         "mouse",      "remote",        "keyboard",      "cell phone",   "microwave",     "oven",
      "toaster",        "sink",       "refrigerator",  "book",          "clock",        "vase",          "scissors",
      "teddy bear",     "hair drier", "toothbrush"};
  return kNames;
}

namespace {

// Deterministic, well-spread colours: golden-ratio hue steps in HSV, converted to BGR.
cv::Scalar class_color(int class_id) {
  const double hue = std::fmod(class_id * 0.618033988749895, 1.0) * 180.0;
  cv::Mat hsv(1, 1, CV_8UC3, cv::Scalar(hue, 200, 255)), bgr;
  cv::cvtColor(hsv, bgr, cv::COLOR_HSV2BGR);
  const cv::Vec3b c = bgr.at<cv::Vec3b>(0, 0);
  return {static_cast<double>(c[0]), static_cast<double>(c[1]), static_cast<double>(c[2])};
}

}  // namespace

void draw_detections(cv::Mat& image, const std::vector<Detection>& detections,
                     const std::vector<std::string>& class_names) {
  const int thickness = std::max(1, static_cast<int>(std::lround(std::min(image.cols, image.rows) / 400.0)));
  const double font_scale = 0.4 * thickness + 0.1;
  // Draw the lowest scores first so the best boxes end up on top.
  std::vector<const Detection*> order;
  for (const Detection& d : detections) order.push_back(&d);
  std::stable_sort(order.begin(), order.end(),
                   [](const Detection* a, const Detection* b) { return a->score < b->score; });
  for (const Detection* d : order) {
    const cv::Scalar color = class_color(d->class_id);
    const cv::Point p1(static_cast<int>(std::lround(d->box.x1)), static_cast<int>(std::lround(d->box.y1)));
    const cv::Point p2(static_cast<int>(std::lround(d->box.x2)), static_cast<int>(std::lround(d->box.y2)));
    cv::rectangle(image, p1, p2, color, thickness, cv::LINE_AA);
    const std::string name = d->class_id >= 0 && static_cast<size_t>(d->class_id) < class_names.size()
                                 ? class_names[d->class_id]
                                 : std::to_string(d->class_id);
    char score[16];
    std::snprintf(score, sizeof(score), " %.2f", d->score);
    const std::string label = name + score;
    int baseline = 0;
    const cv::Size ts = cv::getTextSize(label, cv::FONT_HERSHEY_SIMPLEX, font_scale, 1, &baseline);
    // Label above the box, or inside it when the box touches the top edge.
    const int top = p1.y - ts.height - baseline >= 0 ? p1.y - ts.height - baseline : p1.y;
    cv::rectangle(image, cv::Point(p1.x, top), cv::Point(p1.x + ts.width, top + ts.height + baseline), color,
                  cv::FILLED);
    cv::putText(image, label, cv::Point(p1.x, top + ts.height), cv::FONT_HERSHEY_SIMPLEX, font_scale,
                cv::Scalar(0, 0, 0), 1, cv::LINE_AA);
  }
}

Status save_image(const std::string& path, const cv::Mat& image) {
  std::string ext = std::filesystem::path(path).extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return std::tolower(c); });
  if (ext != ".jpg" && ext != ".jpeg" && ext != ".png") {
    return invalid_argument(path + ": unsupported image extension \"" + ext + "\" (use .jpg, .jpeg or .png)");
  }
  if (image.empty()) return invalid_argument(path + ": empty image");
  std::vector<uchar> buf;
  std::vector<int> params;
  if (ext == ".png") {
    params = {cv::IMWRITE_PNG_COMPRESSION, 3};
  } else {
    params = {cv::IMWRITE_JPEG_QUALITY, 95};
  }
  bool ok = false;
  try {
    ok = cv::imencode(ext, image, buf, params);
  } catch (const cv::Exception& e) {
    return io_error(path + ": cannot encode image: " + e.what());
  }
  if (!ok) return io_error(path + ": cannot encode image as " + ext);
  return write_file_atomic(path, std::string_view(reinterpret_cast<const char*>(buf.data()), buf.size()));
}

}  // namespace yq::detect
