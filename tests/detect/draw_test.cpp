// SPDX-License-Identifier: Apache-2.0
#include "detect/draw.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>

namespace yq::detect {
namespace {

TEST(Draw, BoxesChangePixelsAndPngRoundTrips) {
  cv::Mat img(120, 160, CV_8UC3, cv::Scalar(0, 0, 0));
  draw_detections(img, {{{20, 30, 100, 90}, 0.87f, 0}, {{-10, -10, 500, 500}, 0.1f, 123}});
  EXPECT_NE(cv::countNonZero(img.reshape(1)), 0);
  EXPECT_NE(img.at<cv::Vec3b>(60, 20), cv::Vec3b(0, 0, 0));  // the left edge of the first box

  const auto dir = std::filesystem::temp_directory_path() / ("yq_draw_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const std::string png = (dir / "out.png").string();
  ASSERT_TRUE(save_image(png, img).ok());
  const cv::Mat back = cv::imread(png, cv::IMREAD_COLOR);
  ASSERT_EQ(back.size(), img.size());
  EXPECT_EQ(cv::norm(back, img, cv::NORM_INF), 0.0);  // PNG is lossless
  EXPECT_TRUE(save_image((dir / "out.JPG").string(), img).ok());
  EXPECT_FALSE(cv::imread((dir / "out.JPG").string()).empty());
  // Only the final files remain: no temporaries.
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(dir), std::filesystem::directory_iterator()), 2);

  EXPECT_FALSE(save_image((dir / "out.bmp").string(), img).ok());
  EXPECT_FALSE(save_image((dir / "missing" / "out.png").string(), img).ok());
  EXPECT_FALSE(save_image((dir / "empty.png").string(), cv::Mat()).ok());
  std::filesystem::remove_all(dir);
}

TEST(Draw, Coco80Names) {
  ASSERT_EQ(coco80_class_names().size(), 80u);
  EXPECT_EQ(coco80_class_names()[0], "person");
  EXPECT_EQ(coco80_class_names()[79], "toothbrush");
}

}  // namespace
}  // namespace yq::detect
