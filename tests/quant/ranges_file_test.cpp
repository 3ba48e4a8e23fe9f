// SPDX-License-Identifier: Apache-2.0
#include "quant/ranges_file.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <random>

#include "base/file_io.h"
#include "quant/qmath.h"

namespace yq::quant {
namespace {

std::string temp_path(const std::string& name) {
  const auto dir = std::filesystem::temp_directory_path() / ("yq_quant_test_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  return (dir / name).string();
}

RangesFile sample_ranges() {
  RangesFile f;
  f.method = "entropy";
  TensorStats s;
  const std::vector<float> v = {-0.3f, 0.1f, 2.54f};
  s.observe(v);
  f.tensors["conv2_out"] = make_tensor_range(s, 2.54f, symmetric_qparams(2.54f));
  f.tensors["a/first"] = make_tensor_range(s, 2.54f, asymmetric_u8_qparams(-0.3f, 2.54f));
  return f;
}

TEST(RangesFile, RoundTripsExactlyWithSortedKeys) {
  const RangesFile f = sample_ranges();
  const std::string text = ranges_to_json(f);
  EXPECT_LT(text.find("\"a/first\""), text.find("\"conv2_out\""));
  EXPECT_LT(text.find("\"dtype\""), text.find("\"zero_point\""));
  EXPECT_NE(text.find("\"version\": 1"), std::string::npos);
  EXPECT_NE(text.find("\"min\": -0.3,"), std::string::npos) << text;  // shortest float form, diffable
  auto back = ranges_from_json(text);
  ASSERT_TRUE(back.ok()) << back.status().message();
  EXPECT_TRUE(*back == f);
  EXPECT_EQ(ranges_to_json(*back), text);
  auto qp = tensor_range_qparams(back->tensors.at("a/first"));
  ASSERT_TRUE(qp.ok());
  EXPECT_EQ(qp->dtype, DType::kU8);
  EXPECT_EQ(qp->scales, asymmetric_u8_qparams(-0.3f, 2.54f).scales);
}

TEST(RangesFile, SavesAtomicallyAndLoadsBack) {
  const std::string path = temp_path("ranges.json");
  const RangesFile f = sample_ranges();
  ASSERT_TRUE(save_ranges_file(path, f).ok());
  EXPECT_FALSE(std::filesystem::exists(path + ".tmp." + std::to_string(::getpid())));
  auto back = load_ranges_file(path);
  ASSERT_TRUE(back.ok()) << back.status().message();
  EXPECT_TRUE(*back == f);
  EXPECT_FALSE(load_ranges_file(path + ".missing").ok());
}

TEST(RangesFile, LoadingNamesTheBadEntry) {
  std::string text = ranges_to_json(sample_ranges());
  auto expect_error = [](const std::string& t, const std::vector<std::string>& needles) {
    auto r = ranges_from_json(t);
    ASSERT_FALSE(r.ok());
    for (const auto& n : needles) EXPECT_NE(r.status().message().find(n), std::string::npos) << r.status().message();
  };
  auto replace_in_conv2 = [&](const std::string& from, const std::string& to) {
    std::string t = text;
    const size_t p = t.find(from, t.find("\"conv2_out\""));
    EXPECT_NE(p, std::string::npos);
    return t.replace(p, from.size(), to);
  };
  expect_error(replace_in_conv2("\"scale\": ", "\"scale\": -"), {"conv2_out", "scale"});
  expect_error(replace_in_conv2("\"zero_point\": 0", "\"zero_point\": 300"), {"conv2_out", "zero_point", "[-128, 127]"});
  expect_error(replace_in_conv2("\"dtype\": \"i8\"", "\"dtype\": \"f32\""), {"conv2_out", "dtype"});
  expect_error(replace_in_conv2("\"min\": ", "\"min\": 1e9, \"x\": "), {"conv2_out", "min"});
  std::string v2 = text;
  v2.replace(v2.find("\"version\": 1"), 12, "\"version\": 2");
  expect_error(v2, {"version 2"});
  std::string m = text;
  m.replace(m.find("\"entropy\""), 9, "\"kl\"");
  expect_error(m, {"method", "kl"});
}

TEST(RangesFile, DiffListsChangedAddedAndRemovedTensors) {
  const RangesFile a = sample_ranges();
  RangesFile b = a;
  b.tensors["conv2_out"].scale *= 2;
  b.tensors.erase("a/first");
  b.tensors["z_new"] = a.tensors.at("conv2_out");
  const auto d = diff_ranges(a, b);
  ASSERT_EQ(d.size(), 3u);
  EXPECT_EQ(d[0], "- a/first");
  EXPECT_EQ(d[1].rfind("~ conv2_out: scale", 0), 0u) << d[1];
  EXPECT_NE(d[1].find("+100%"), std::string::npos) << d[1];
  EXPECT_EQ(d[2], "+ z_new");
  EXPECT_TRUE(diff_ranges(a, a).empty());
  // Within tolerance, a small change is not reported.
  RangesFile c = a;
  c.tensors["conv2_out"].threshold *= 1.001f;
  EXPECT_EQ(diff_ranges(a, c).size(), 1u);
  EXPECT_TRUE(diff_ranges(a, c, 0.01).empty());
}

TEST(StatsFile, MergingFilesFromTwoProcessesEqualsOneRun) {
  std::mt19937 rng(3);
  std::normal_distribution<float> g(0.f, 2.f);
  std::vector<float> x(4000), y(3000);
  for (auto& v : x) v = g(rng);
  for (auto& v : y) v = 3 * g(rng);
  StatsMap run1, run2, whole;
  run1["x"].observe(std::span<const float>(x).first(1000));
  run2["x"].observe(std::span<const float>(x).subspan(1000));
  run2["y"].observe(y);
  whole["x"].observe(x);
  whole["y"].observe(y);
  const std::string p1 = temp_path("stats1.json"), p2 = temp_path("stats2.json");
  ASSERT_TRUE(save_stats_file(p1, run1).ok());
  ASSERT_TRUE(save_stats_file(p2, run2).ok());
  auto l1 = load_stats_file(p1);
  auto l2 = load_stats_file(p2);
  ASSERT_TRUE(l1.ok()) << l1.status().message();
  ASSERT_TRUE(l2.ok()) << l2.status().message();
  ASSERT_TRUE(merge_stats(*l1, *l2).ok());
  EXPECT_TRUE(*l1 == whole);
}

TEST(StatsFile, BadTensorIsNamed) {
  StatsMap m;
  const std::vector<float> v = {1.f, 2.f};
  m["layer.7"].observe(v);
  std::string text = stats_to_json(m);
  text.replace(text.find("\"count\":2"), 9, "\"count\":5");
  auto r = stats_from_json(text);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("layer.7"), std::string::npos) << r.status().message();
  StatsMap other;
  other["layer.7"] = TensorStats(64);
  const StatsMap before = m;
  EXPECT_FALSE(merge_stats(m, other).ok());
  EXPECT_TRUE(m == before);
}

}  // namespace
}  // namespace yq::quant
