// SPDX-License-Identifier: Apache-2.0
#include "quant/trt_cache.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <bit>
#include <filesystem>

namespace yq::quant {
namespace {

TEST(TrtCache, HexIsTheFloatBitsAsEightLowercaseDigits) {
  EXPECT_EQ(float_to_trt_hex(1.0f), "3f800000");
  EXPECT_EQ(float_to_trt_hex(2.0f), "40000000");
  EXPECT_EQ(float_to_trt_hex(0.1f), "3dcccccd");
  EXPECT_EQ(float_to_trt_hex(std::bit_cast<float>(0x00000001u)), "00000001");  // zero-padded
  EXPECT_EQ(trt_scale_from_threshold(127.f), 1.0f);
}

TEST(TrtCache, WritesTheTensorRtLayout) {
  TrtCalibCache c;
  c.trt_version = 8601;
  c.scales = {{"images", 1.0f}, {"(Unnamed Layer* 4) [Constant]_output", 0.5f}};
  auto text = trt_cache_to_text(c);
  ASSERT_TRUE(text.ok()) << text.status().message();
  EXPECT_EQ(*text,
            "TRT-8601-EntropyCalibration2\n"
            "images: 3f800000\n"
            "(Unnamed Layer* 4) [Constant]_output: 3f000000\n");
  auto back = trt_cache_from_text(*text);
  ASSERT_TRUE(back.ok()) << back.status().message();
  EXPECT_TRUE(*back == c);
}

TEST(TrtCache, ReadsACacheTensorRtWrote) {
  // Lines as TensorRT 7.2 wrote them for MNIST (a public sample), with CRLF line ends.
  auto c = trt_cache_from_text("TRT-7202-EntropyCalibration2\r\ndata: 3c008912\r\nconv1: 3c60dd38\r\n");
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_EQ(c->trt_version, 7202);
  EXPECT_EQ(c->algorithm, "EntropyCalibration2");
  ASSERT_EQ(c->scales.size(), 2u);
  EXPECT_EQ(c->scales[0].first, "data");
  EXPECT_EQ(std::bit_cast<uint32_t>(c->scales[0].second), 0x3c008912u);
  EXPECT_NEAR(c->scales[0].second * 127.f, 0.99, 0.01);  // MNIST pixels in [0, 1]
  EXPECT_EQ(c->scales[1].first, "conv1");
}

TEST(TrtCache, SavesAtomicallyAndLoadsBack) {
  const auto dir = std::filesystem::temp_directory_path() / ("yq_trt_cache_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const std::string path = (dir / "calib.cache").string();
  TrtCalibCache c;
  c.trt_version = 100300;
  c.scales = {{"x", trt_scale_from_threshold(6.35f)}, {"/model.0/conv/Conv_output_0", 0.0123f}};
  ASSERT_TRUE(save_trt_cache(path, c).ok());
  auto back = load_trt_cache(path);
  ASSERT_TRUE(back.ok()) << back.status().message();
  EXPECT_TRUE(*back == c);
  std::filesystem::remove_all(dir);
}

TEST(TrtCache, BadInputNamesTheLine) {
  auto expect_error = [](const std::string& text, const std::string& needle) {
    auto r = trt_cache_from_text(text);
    ASSERT_FALSE(r.ok()) << text;
    EXPECT_NE(r.status().message().find(needle), std::string::npos) << r.status().message();
  };
  expect_error("", "empty");
  expect_error("TRT-x1-EntropyCalibration2\n", "line 1");
  expect_error("TensorRT cache\n", "line 1");
  expect_error("TRT-8601-EntropyCalibration2\ndata 3c008912\n", "line 2");
  expect_error("TRT-8601-EntropyCalibration2\ndata: 3c00891z\n", "hex");
  expect_error("TRT-8601-EntropyCalibration2\ndata: 3f800000\ndata: 3f800000\n", "line 3");
  expect_error("TRT-8601-EntropyCalibration2\ndata: 7fc00000\n", "data");  // NaN scale
  TrtCalibCache c;
  c.scales = {{"a", 0.f}};
  EXPECT_FALSE(trt_cache_to_text(c).ok());
  c.scales = {{"a", 1.f}, {"a", 2.f}};
  EXPECT_FALSE(trt_cache_to_text(c).ok());
  c.scales = {{"a\nb", 1.f}};
  EXPECT_FALSE(trt_cache_to_text(c).ok());
}

}  // namespace
}  // namespace yq::quant
