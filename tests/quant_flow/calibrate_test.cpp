// SPDX-License-Identifier: Apache-2.0
// quant/calibrate: image listing, corrupt images, --calib-images, determinism, on a tiny conv
// graph fed with real COCO images.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "quant/calibrate.h"
#include "tests/ir_passes/pass_test_util.h"
#include "tests/support/test_data.h"

namespace yq::quant {
namespace {

namespace fs = std::filesystem;

class Calibrate : public ::testing::Test {
 protected:
  void SetUp() override {
    src_ = yq::testing::data_dir() + "/coco128/images/val2017";
    YQ_REQUIRE_FILE(src_);
    dir_ = fs::temp_directory_path() / ("yq_calib_" + std::to_string(::getpid()));
    fs::create_directories(dir_);
    // Two real images (names chosen so the corrupt one sorts in between) and non-images.
    fs::copy_file(fs::path(src_) / "000000000139.jpg", dir_ / "a.jpg");
    fs::copy_file(fs::path(src_) / "000000000724.jpg", dir_ / "c.JPG");
    std::ofstream(dir_ / "b.png") << "not a png";
    std::ofstream(dir_ / "notes.txt") << "ignored";
    fs::create_directories(dir_ / "sub.jpg");  // a folder named like an image is not an image

    ir::testing::GraphBuilder b(3);
    x_ = b.input("x", {1, 3, 16, 16});
    y_ = b.conv(x_, 4, 3, 1, 1);
    b.output(b.conv(y_, 2, 1));
    g_ = b.g;
    spec_.width = 16;
    spec_.height = 16;
    opts_.progress = false;
    opts_.threads = 1;
  }
  void TearDown() override {
    if (!dir_.empty()) fs::remove_all(dir_);
  }
  std::string src_;
  fs::path dir_;
  ir::Graph g_;
  ir::ValueId x_ = ir::kNoValue, y_ = ir::kNoValue;
  detect::PreprocessSpec spec_;
  CalibrateOptions opts_;
};

TEST_F(Calibrate, ListsImagesSortedByName) {
  auto imgs = list_images(dir_.string());
  ASSERT_TRUE(imgs.ok()) << imgs.status().message();
  ASSERT_EQ(imgs->size(), 3u);
  EXPECT_EQ(fs::path((*imgs)[0]).filename(), "a.jpg");
  EXPECT_EQ(fs::path((*imgs)[1]).filename(), "b.png");
  EXPECT_EQ(fs::path((*imgs)[2]).filename(), "c.JPG");

  auto missing = list_images((dir_ / "nope").string());
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find((dir_ / "nope").string()), std::string::npos);
  const fs::path empty = dir_ / "sub.jpg";
  auto none = list_images(empty.string());
  ASSERT_FALSE(none.ok());
  EXPECT_NE(none.status().message().find(empty.string()), std::string::npos);
}

TEST_F(Calibrate, SkipsCorruptImagesAndIsDeterministic) {
  auto imgs = list_images(dir_.string());
  ASSERT_TRUE(imgs.ok());
  CalibrateReport rep;
  auto s1 = collect_stats(g_, {x_, y_}, *imgs, spec_, opts_, &rep);
  ASSERT_TRUE(s1.ok()) << s1.status().message();
  EXPECT_EQ(rep.images_used, 2);
  EXPECT_EQ(rep.images_skipped, 1);
  ASSERT_EQ(rep.skipped.size(), 1u);
  EXPECT_EQ(fs::path(rep.skipped[0]).filename(), "b.png");
  // The input statistics saw both images: 2 × 3 × 16 × 16 values.
  EXPECT_EQ(s1->at(x_).count(), 2 * 3 * 16 * 16);
  EXPECT_EQ(s1->at(y_).count(), 2 * 4 * 16 * 16);

  auto s2 = collect_stats(g_, {x_, y_}, *imgs, spec_, opts_);
  ASSERT_TRUE(s2.ok());
  for (ir::ValueId v : {x_, y_}) EXPECT_EQ(s1->at(v).to_json(), s2->at(v).to_json());

  CalibrateOptions first;
  first = opts_;
  first.max_images = 1;
  CalibrateReport rep1;
  auto s3 = collect_stats(g_, {x_}, *imgs, spec_, first, &rep1);
  ASSERT_TRUE(s3.ok());
  EXPECT_EQ(rep1.images_used, 1);
  EXPECT_EQ(s3->at(x_).count(), 3 * 16 * 16);
}

TEST_F(Calibrate, AllImagesCorruptIsAnError) {
  auto bad = collect_stats(g_, {x_}, {(dir_ / "b.png").string()}, spec_, opts_);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("b.png"), std::string::npos) << bad.status().message();
  EXPECT_FALSE(collect_stats(g_, {x_}, {}, spec_, opts_).ok());
}

}  // namespace
}  // namespace yq::quant
