// SPDX-License-Identifier: Apache-2.0
#include "quant/tensor_stats.h"

#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <limits>
#include <random>
#include <vector>

namespace yq::quant {
namespace {

TEST(TensorStats, StreamsMinMaxCountAndSkipsNonFinite) {
  TensorStats s(8);
  EXPECT_EQ(s.count(), 0);
  EXPECT_EQ(s.abs_max(), 0.f);
  const std::vector<float> a = {1.f, -3.f, std::nanf(""), 2.f};
  const std::vector<float> b = {std::numeric_limits<float>::infinity(), 0.5f};
  s.observe(a);
  s.observe(b);
  EXPECT_EQ(s.count(), 4);
  EXPECT_EQ(s.nonfinite_count(), 2);
  EXPECT_EQ(s.min(), -3.f);
  EXPECT_EQ(s.max(), 2.f);
  EXPECT_EQ(s.abs_max(), 3.f);
}

TEST(TensorStats, HistogramUsesPowerOfTwoWidthsAndRebinsByMergingPairs) {
  TensorStats s(8);
  const std::vector<float> a = {0.5f, 1.5f, 3.9f};
  s.observe(a);
  // 3.9 < 8 * 2^k first holds for k = -1: width 0.5, hist_max 4.
  ASSERT_TRUE(s.has_bin_width());
  EXPECT_EQ(s.bin_width_log2(), -1);
  EXPECT_EQ(s.hist_max(), 4.f);
  EXPECT_EQ(s.abs_histogram(), (std::vector<int64_t>{0, 1, 0, 1, 0, 0, 0, 1}));
  // 4.0 is not < 4: the width doubles and bins (2j, 2j+1) merge into j.
  const std::vector<float> b = {-4.f};
  s.observe(b);
  EXPECT_EQ(s.bin_width_log2(), 0);
  EXPECT_EQ(s.hist_max(), 8.f);
  EXPECT_EQ(s.abs_histogram(), (std::vector<int64_t>{1, 1, 0, 1, 1, 0, 0, 0}));
  // Growing by several doublings at once: 100 needs k = 4 (8 * 16 = 128 > 100).
  const std::vector<float> c = {100.f};
  s.observe(c);
  EXPECT_EQ(s.bin_width_log2(), 4);
  EXPECT_EQ(s.abs_histogram(), (std::vector<int64_t>{4, 0, 0, 0, 0, 0, 1, 0}));
}

TEST(TensorStats, ZerosNeedNoWidthAndStayInBinZero) {
  TensorStats s(16);
  const std::vector<float> z(10, 0.f);
  s.observe(z);
  EXPECT_EQ(s.count(), 10);
  EXPECT_FALSE(s.has_bin_width());
  EXPECT_EQ(s.hist_max(), 0.f);
  EXPECT_EQ(s.abs_histogram()[0], 10);
  TensorStats t(16);
  const std::vector<float> v = {0.f, 7.f};
  t.observe(v);
  ASSERT_TRUE(s.merge(t).ok());
  EXPECT_EQ(s.abs_histogram()[0], 11);
  EXPECT_EQ(s.count(), 12);
  EXPECT_EQ(s.bin_width_log2(), t.bin_width_log2());
}

std::vector<float> mixed_data(uint32_t seed, size_t n) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> g(0.f, 1.f);
  std::vector<float> v(n);
  for (auto& x : v) x = g(rng);
  // Values across many binades, so chunks see very different maxima and widths.
  v[n / 3] = 1e-6f;
  v[n / 2] = -37.f;
  v[n - 1] = 1000.5f;
  for (size_t i = 0; i < n; i += 97) v[i] = 0.f;
  return v;
}

TEST(TensorStats, MergeOfASplitEqualsTheWholeBitForBit) {
  const std::vector<float> v = mixed_data(11, 30000);
  TensorStats whole(2048);
  whole.observe(v);
  // Split into uneven chunks observed by separate stats, then merged in two different orders.
  const size_t cuts[] = {0, 5000, 5001, 14000, 29999, 30000};
  std::vector<TensorStats> parts;
  for (size_t i = 0; i + 1 < std::size(cuts); ++i) {
    TensorStats p(2048);
    p.observe(std::span<const float>(v).subspan(cuts[i], cuts[i + 1] - cuts[i]));
    parts.push_back(p);
  }
  TensorStats forward(2048), backward(2048);
  for (const auto& p : parts) ASSERT_TRUE(forward.merge(p).ok());
  for (auto it = parts.rbegin(); it != parts.rend(); ++it) ASSERT_TRUE(backward.merge(*it).ok());
  EXPECT_TRUE(forward == whole);
  EXPECT_TRUE(backward == whole);
  EXPECT_EQ(forward.abs_histogram(), whole.abs_histogram());
  EXPECT_EQ(forward.min(), whole.min());
  EXPECT_EQ(forward.max(), whole.max());
  // Streaming the chunks into one stats object gives the same result too.
  TensorStats streamed(2048);
  for (size_t i = 0; i + 1 < std::size(cuts); ++i) {
    streamed.observe(std::span<const float>(v).subspan(cuts[i], cuts[i + 1] - cuts[i]));
  }
  EXPECT_TRUE(streamed == whole);
}

TEST(TensorStats, MergeRejectsDifferentBinCounts) {
  TensorStats a(64), b(128);
  const std::vector<float> v = {1.f};
  a.observe(v);
  b.observe(v);
  const TensorStats before = a;
  const Status s = a.merge(b);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("64 vs 128"), std::string::npos) << s.message();
  EXPECT_TRUE(a == before);
}

TEST(TensorStats, JsonRoundTripIsExact) {
  TensorStats s(2048);
  s.observe(mixed_data(3, 5000));
  const std::string text = s.to_json();
  EXPECT_EQ(text.rfind("{\"version\":1,", 0), 0u) << text.substr(0, 40);
  auto back = TensorStats::from_json(text);
  ASSERT_TRUE(back.ok()) << back.status().message();
  EXPECT_TRUE(*back == s);
  // Empty and all-zero stats round trip as well.
  TensorStats empty(16), zeros(16);
  const std::vector<float> z = {0.f, -0.f};
  zeros.observe(z);
  for (const TensorStats& t : {empty, zeros}) {
    auto b = TensorStats::from_json(t.to_json());
    ASSERT_TRUE(b.ok()) << b.status().message();
    EXPECT_TRUE(*b == t);
  }
}

TEST(TensorStats, JsonFloatsRoundTripToTheSameBits) {
  std::mt19937 rng(5);
  std::uniform_int_distribution<uint32_t> bits;
  for (int i = 0; i < 20000; ++i) {
    float f = std::bit_cast<float>(bits(rng));
    if (!std::isfinite(f)) continue;
    TensorStats s(2);
    const std::vector<float> v = {f};
    s.observe(v);
    auto back = TensorStats::from_json(s.to_json());
    ASSERT_TRUE(back.ok()) << back.status().message();
    ASSERT_EQ(std::bit_cast<uint32_t>(back->min()), std::bit_cast<uint32_t>(f)) << f;
  }
}

TEST(TensorStats, FromJsonNamesTheBadField) {
  TensorStats s(8);
  const std::vector<float> v = {0.5f, 1.5f, 3.9f};
  s.observe(v);
  const std::string good = s.to_json();
  auto expect_error = [](const std::string& text, const std::string& needle) {
    auto r = TensorStats::from_json(text);
    ASSERT_FALSE(r.ok()) << text;
    EXPECT_NE(r.status().message().find(needle), std::string::npos) << r.status().message();
  };
  auto replace = [&](const std::string& from, const std::string& to) {
    std::string t = good;
    const size_t p = t.find(from);
    EXPECT_NE(p, std::string::npos) << from;
    return t.replace(p, from.size(), to);
  };
  expect_error("not json", "not valid JSON");
  expect_error(replace("\"version\":1", "\"version\":2"), "version 2");
  expect_error(replace("\"count\":3", "\"count\":4"), "hist");
  expect_error(replace("\"bin_width_log2\":-1", "\"bin_width_log2\":0"), "bin_width_log2");
  expect_error(replace("\"hist\":[0,1,0,1,0,0,0,1]", "\"hist\":[0,1,0,1,0,0,1,0]"), "last non-empty bin");
  expect_error(replace("\"hist\":[0,1,0,1,0,0,0,1]", "\"hist\":[0,1,0,1]"), "8 counts");
  expect_error(replace("\"num_bins\":8", "\"num_bins\":7"), "even");
  expect_error(replace("\"min\":0.5", "\"min\":9.5"), "min");
}

// Per-channel maxima (the channel-loss rule's input): channel of element i is (i / inner) % C.
TEST(TensorStats, ChannelMaximaFollowTheNchwLayoutAndMerge) {
  // N=2, C=3, inner=2: [n0: c0 c0 c1 c1 c2 c2, n1: ...]
  const std::vector<float> a = {1.f, -2.f, 0.5f, 0.25f, -9.f, 3.f, 4.f, 0.f, -0.75f, NAN, 1.f, 2.f};
  TensorStats s;
  s.observe_channels(a, 3, 2);
  EXPECT_EQ(s.channel_abs_max(), (std::vector<float>{4.f, 0.75f, 9.f}));
  EXPECT_EQ(s.count(), 11);
  EXPECT_EQ(s.nonfinite_count(), 1);

  // Merging a split equals observing the whole; channel maxima merge element-wise.
  TensorStats first, second;
  first.observe_channels(std::span<const float>(a.data(), 6), 3, 2);
  second.observe_channels(std::span<const float>(a.data() + 6, 6), 3, 2);
  ASSERT_TRUE(first.merge(second).ok());
  EXPECT_EQ(first, s);

  // JSON keeps them; files without the field still load (no channel tracking).
  auto back = TensorStats::from_json(s.to_json());
  ASSERT_TRUE(back.ok()) << back.status().message();
  EXPECT_EQ(back->channel_abs_max(), s.channel_abs_max());
  TensorStats flat;
  flat.observe(a);
  EXPECT_TRUE(flat.channel_abs_max().empty());
  EXPECT_EQ(flat.to_json().find("channel_abs_max"), std::string::npos);

  // A channel maximum above the tensor's abs max is a corrupt file.
  std::string bad = s.to_json();
  const size_t at = bad.find("\"channel_abs_max\":[4");
  ASSERT_NE(at, std::string::npos) << bad;
  bad.replace(at, std::string("\"channel_abs_max\":[4").size(), "\"channel_abs_max\":[40");
  auto rejected = TensorStats::from_json(bad);
  ASSERT_FALSE(rejected.ok());
  EXPECT_NE(rejected.status().message().find("channel_abs_max[0]"), std::string::npos) << rejected.status().message();
}

TEST(TensorStats, DisagreeingChannelLayoutsStopTheTracking) {
  TensorStats s;
  s.observe_channels(std::vector<float>{1.f, 2.f}, 2, 1);
  s.observe_channels(std::vector<float>{1.f, 2.f, 3.f}, 3, 1);
  EXPECT_TRUE(s.channel_abs_max().empty());
  s.observe_channels(std::vector<float>{1.f, 2.f}, 2, 1);  // never resumes
  EXPECT_TRUE(s.channel_abs_max().empty());
  EXPECT_EQ(s.count(), 7);

  TensorStats a, b, flat;
  a.observe_channels(std::vector<float>{1.f, 2.f}, 2, 1);
  b.observe_channels(std::vector<float>{1.f, 2.f, 3.f}, 3, 1);
  ASSERT_TRUE(a.merge(b).ok());
  EXPECT_TRUE(a.channel_abs_max().empty());
  // A side that observed nothing adopts the other's channels; a flat side stops them.
  TensorStats empty;
  ASSERT_TRUE(empty.merge(b).ok());
  EXPECT_EQ(empty.channel_abs_max(), b.channel_abs_max());
  flat.observe(std::vector<float>{5.f});
  ASSERT_TRUE(b.merge(flat).ok());
  EXPECT_TRUE(b.channel_abs_max().empty());
}

TEST(TensorStats, ObserveTensorUsesAxisOne) {
  Tensor t = Tensor::empty(DType::kF32, {1, 2, 1, 2});
  float* p = t.data<float>();
  p[0] = 1.f; p[1] = -3.f; p[2] = 0.5f; p[3] = 0.25f;
  TensorStats s;
  observe_tensor(s, t);
  EXPECT_EQ(s.channel_abs_max(), (std::vector<float>{3.f, 0.5f}));
  Tensor v = Tensor::empty(DType::kF32, {4});
  for (int i = 0; i < 4; ++i) v.data<float>()[i] = static_cast<float>(i);
  TensorStats f;
  observe_tensor(f, v);
  EXPECT_TRUE(f.channel_abs_max().empty());
  EXPECT_EQ(f.count(), 4);
}

}  // namespace
}  // namespace yq::quant
