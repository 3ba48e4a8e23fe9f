// SPDX-License-Identifier: Apache-2.0
#include "quant/tensor_stats.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>

#include <nlohmann/json.hpp>

#include "base/check.h"

namespace yq::quant {
namespace {

constexpr int kStatsVersion = 1;
// Widths outside [2^-200, 2^200] cannot be needed by finite floats with >= 2 bins (float spans
// 2^-149 .. 2^128); from_json rejects anything beyond as corrupt.
constexpr int kMinWidthLog2 = -200;
constexpr int kMaxWidthLog2 = 200;
// Refuse absurd bin counts from files before allocating.
constexpr int64_t kMaxBins = int64_t{1} << 24;

// The smallest k with abs_max < num_bins * 2^k (abs_max > 0, finite). num_bins * 2^k is exact
// in double, so both comparisons are exact; the ilogb guess is off by at most a couple of steps.
int width_log2_for(double abs_max, int num_bins) {
  int k = std::ilogb(abs_max) - std::ilogb(static_cast<double>(num_bins));
  while (std::ldexp(static_cast<double>(num_bins), k) <= abs_max) ++k;
  while (std::ldexp(static_cast<double>(num_bins), k - 1) > abs_max) --k;
  return k;
}

// bin(x) = floor(|x| / 2^k); the scaling by a power of two is exact in double.
inline int64_t bin_of(float abs_x, int k) {
  return static_cast<int64_t>(std::floor(std::ldexp(static_cast<double>(abs_x), -k)));
}

// Floats go to JSON through their shortest decimal form, so files read "0.1" rather than
// "0.10000000149011612"; the value read back rounds to the same float.
double json_float(float f) {
  char buf[32];
  auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), f);
  YQ_CHECK(ec == std::errc()) << "to_chars failed";
  return std::strtod(std::string(buf, end).c_str(), nullptr);
}

}  // namespace

TensorStats::TensorStats(int num_bins)
    : min_(std::numeric_limits<float>::infinity()), max_(-std::numeric_limits<float>::infinity()) {
  YQ_CHECK(num_bins >= 2 && num_bins % 2 == 0 && num_bins <= kMaxBins)
      << "TensorStats: num_bins must be even in [2, 2^24], got " << num_bins;
  hist_.assign(static_cast<size_t>(num_bins), 0);
  neg_hist_.assign(static_cast<size_t>(num_bins), 0);
}

float TensorStats::abs_max() const {
  return count_ == 0 ? 0.f : std::max(std::fabs(min_), std::fabs(max_));
}

double TensorStats::bin_width() const { return has_width_ ? std::ldexp(1.0, width_log2_) : 0.0; }

float TensorStats::hist_max() const {
  return has_width_ ? static_cast<float>(std::ldexp(static_cast<double>(hist_.size()), width_log2_)) : 0.f;
}

void TensorStats::rebin_to(int new_log2) {
  YQ_CHECK(has_width_ && new_log2 >= width_log2_) << "rebin_to: cannot shrink the bin width";
  const int shift = new_log2 - width_log2_;
  if (shift == 0) return;
  // Bin j at width 2^k holds |x| in [j 2^k, (j+1) 2^k); at width 2^(k+s) that interval lies
  // inside bin j >> s (the intervals nest because widths are powers of two).
  for (std::vector<int64_t>* h : {&hist_, &neg_hist_}) {
    std::vector<int64_t> out(h->size(), 0);
    for (size_t j = 0; j < h->size(); ++j) {
      if ((*h)[j] != 0) out[shift >= 63 ? 0 : (j >> shift)] += (*h)[j];
    }
    *h = std::move(out);
  }
  width_log2_ = new_log2;
}

void TensorStats::grow_to_cover(float abs_max) {
  if (!(abs_max > 0.f)) return;  // zeros fit in bin 0 at any width
  const int k = width_log2_for(abs_max, num_bins());
  if (!has_width_) {
    // Only zeros so far: they stay in bin 0.
    has_width_ = true;
    width_log2_ = k;
  } else if (k > width_log2_) {
    rebin_to(k);
  }
}

void TensorStats::observe(std::span<const float> values) {
  // Pass 1: range of this batch, so the histogram grows at most once per call.
  float lo = std::numeric_limits<float>::infinity(), hi = -std::numeric_limits<float>::infinity();
  int64_t finite = 0;
  for (float v : values) {
    if (!std::isfinite(v)) continue;
    lo = std::min(lo, v);
    hi = std::max(hi, v);
    ++finite;
  }
  nonfinite_ += static_cast<int64_t>(values.size()) - finite;
  if (finite == 0) return;
  min_ = std::min(min_, lo);
  max_ = std::max(max_, hi);
  count_ += finite;
  grow_to_cover(std::max(std::fabs(lo), std::fabs(hi)));
  // Pass 2: bin. Without a width every finite value is 0 and goes to bin 0.
  if (!has_width_) {
    hist_[0] += finite;
    return;
  }
  for (float v : values) {
    if (!std::isfinite(v)) continue;
    const auto b = static_cast<size_t>(bin_of(std::fabs(v), width_log2_));
    ++hist_[b];
    if (v < 0.f) ++neg_hist_[b];
  }
}

void TensorStats::observe_channels(std::span<const float> values, int64_t channels, int64_t inner) {
  YQ_CHECK(channels > 0 && inner > 0);
  const bool fresh = count_ == 0 && nonfinite_ == 0 && channel_abs_max_.empty();
  observe(values);
  if (channels_untracked_) return;
  if (fresh) {
    channel_abs_max_.assign(static_cast<size_t>(channels), 0.f);
  } else if (static_cast<int64_t>(channel_abs_max_.size()) != channels) {
    channel_abs_max_.clear();
    channels_untracked_ = true;
    return;
  }
  const size_t n = values.size(), blk = static_cast<size_t>(inner);
  for (size_t start = 0, b = 0; start < n; start += blk, ++b) {
    float& m = channel_abs_max_[b % static_cast<size_t>(channels)];
    const size_t end = std::min(n, start + blk);
    for (size_t i = start; i < end; ++i) {
      const float v = values[i];
      if (std::isfinite(v)) m = std::max(m, std::fabs(v));
    }
  }
}

void observe_tensor(TensorStats& s, const Tensor& t) {
  YQ_CHECK(t.dtype() == DType::kF32);
  const std::span<const float> values(t.data<float>(), static_cast<size_t>(t.numel()));
  const Shape& shape = t.shape();
  if (shape.size() < 2 || shape[1] <= 0 || t.numel() == 0) {
    s.observe(values);
    return;
  }
  int64_t inner = 1;
  for (size_t d = 2; d < shape.size(); ++d) inner *= shape[d];
  s.observe_channels(values, shape[1], std::max<int64_t>(inner, 1));
}

Status TensorStats::merge(const TensorStats& other) {
  if (other.num_bins() != num_bins()) {
    return invalid_argument("TensorStats::merge: num_bins differ (" + std::to_string(num_bins()) + " vs " +
                            std::to_string(other.num_bins()) + ")");
  }
  // Channel maxima first (other's count may be 0 while it tracked channels of an empty tensor).
  const bool mine_empty = count_ == 0 && nonfinite_ == 0 && channel_abs_max_.empty() && !channels_untracked_;
  const bool theirs_empty =
      other.count_ == 0 && other.nonfinite_ == 0 && other.channel_abs_max_.empty() && !other.channels_untracked_;
  if (mine_empty) {
    channel_abs_max_ = other.channel_abs_max_;
    channels_untracked_ = other.channels_untracked_;
  } else if (!theirs_empty) {
    if (channels_untracked_ || other.channels_untracked_ ||
        channel_abs_max_.size() != other.channel_abs_max_.size()) {
      channel_abs_max_.clear();
      channels_untracked_ = true;
    } else {
      for (size_t c = 0; c < channel_abs_max_.size(); ++c)
        channel_abs_max_[c] = std::max(channel_abs_max_[c], other.channel_abs_max_[c]);
    }
  }
  if (other.count_ == 0) {
    nonfinite_ += other.nonfinite_;
    return ok_status();
  }
  // Bring both histograms to the larger width; re-binning is exact (see the header).
  TensorStats theirs = other;
  if (other.has_width_) grow_to_cover(other.abs_max());
  if (has_width_) {
    if (!theirs.has_width_) {
      theirs.has_width_ = true;
      theirs.width_log2_ = width_log2_;
    }
    theirs.rebin_to(width_log2_);
  }
  for (size_t j = 0; j < hist_.size(); ++j) {
    hist_[j] += theirs.hist_[j];
    neg_hist_[j] += theirs.neg_hist_[j];
  }
  sign_known_ = sign_known_ && other.sign_known_;
  count_ += other.count_;
  nonfinite_ += other.nonfinite_;
  min_ = std::min(min_, other.min_);
  max_ = std::max(max_, other.max_);
  return ok_status();
}

std::string TensorStats::to_json() const {
  nlohmann::ordered_json j;
  j["version"] = kStatsVersion;
  j["num_bins"] = num_bins();
  j["count"] = count_;
  j["nonfinite"] = nonfinite_;
  j["min"] = count_ > 0 ? nlohmann::ordered_json(json_float(min_)) : nlohmann::ordered_json(nullptr);
  j["max"] = count_ > 0 ? nlohmann::ordered_json(json_float(max_)) : nlohmann::ordered_json(nullptr);
  j["bin_width_log2"] = has_width_ ? nlohmann::ordered_json(width_log2_) : nlohmann::ordered_json(nullptr);
  j["hist"] = hist_;
  if (sign_known_) j["neg_hist"] = neg_hist_;
  if (!channel_abs_max_.empty()) {
    nlohmann::ordered_json ch = nlohmann::ordered_json::array();
    for (float m : channel_abs_max_) ch.push_back(json_float(m));
    j["channel_abs_max"] = ch;
  }
  return j.dump();
}

namespace {

Status field_error(const std::string& field, const std::string& expected, const nlohmann::json& found) {
  return invalid_argument("tensor stats: field '" + field + "': expected " + expected + ", found " +
                          (found.is_discarded() ? std::string("nothing") : found.dump()));
}

// Reads an integer field in [lo, hi].
Expected<int64_t> get_int(const nlohmann::json& j, const char* field, int64_t lo, int64_t hi) {
  if (!j.contains(field)) return field_error(field, "an integer", nlohmann::json(nlohmann::json::value_t::discarded));
  const auto& v = j.at(field);
  if (!v.is_number_integer() || v.get<int64_t>() < lo || v.get<int64_t>() > hi) {
    return field_error(field, "an integer in [" + std::to_string(lo) + ", " + std::to_string(hi) + "]", v);
  }
  return v.get<int64_t>();
}

Expected<float> get_finite_float(const nlohmann::json& j, const char* field) {
  const auto& v = j.at(field);
  if (!v.is_number()) return field_error(field, "a number", v);
  const double d = v.get<double>();
  const float f = static_cast<float>(d);
  if (!std::isfinite(f)) return field_error(field, "a finite float", v);
  return f;
}

}  // namespace

Expected<TensorStats> TensorStats::from_json(const std::string& text) {
  nlohmann::json j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return invalid_argument("tensor stats: not valid JSON");
  if (!j.is_object()) return invalid_argument("tensor stats: expected a JSON object, found " + std::string(j.type_name()));
  YQ_ASSIGN_OR_RETURN(int64_t version, get_int(j, "version", 0, std::numeric_limits<int32_t>::max()));
  if (version != kStatsVersion) {
    return unsupported("tensor stats: version " + std::to_string(version) + ", this build reads version " +
                       std::to_string(kStatsVersion));
  }
  YQ_ASSIGN_OR_RETURN(int64_t num_bins, get_int(j, "num_bins", 2, kMaxBins));
  if (num_bins % 2 != 0) return field_error("num_bins", "an even number", j.at("num_bins"));
  TensorStats s(static_cast<int>(num_bins));
  YQ_ASSIGN_OR_RETURN(s.count_, get_int(j, "count", 0, std::numeric_limits<int64_t>::max()));
  YQ_ASSIGN_OR_RETURN(s.nonfinite_, get_int(j, "nonfinite", 0, std::numeric_limits<int64_t>::max()));
  for (const char* f : {"min", "max", "bin_width_log2", "hist"}) {
    if (!j.contains(f)) return field_error(f, "a value", nlohmann::json(nlohmann::json::value_t::discarded));
  }
  if (s.count_ > 0) {
    YQ_ASSIGN_OR_RETURN(s.min_, get_finite_float(j, "min"));
    YQ_ASSIGN_OR_RETURN(s.max_, get_finite_float(j, "max"));
    if (s.min_ > s.max_) return field_error("min", "min <= max (" + j.at("max").dump() + ")", j.at("min"));
  } else if (!j.at("min").is_null() || !j.at("max").is_null()) {
    return field_error("min", "null (count is 0)", j.at("min"));
  }
  if (j.at("bin_width_log2").is_null()) {
    s.has_width_ = false;
  } else {
    YQ_ASSIGN_OR_RETURN(int64_t k, get_int(j, "bin_width_log2", kMinWidthLog2, kMaxWidthLog2));
    s.has_width_ = true;
    s.width_log2_ = static_cast<int>(k);
  }
  const auto& h = j.at("hist");
  if (!h.is_array() || static_cast<int64_t>(h.size()) != num_bins) {
    return field_error("hist", "an array of " + std::to_string(num_bins) + " counts",
                       nlohmann::json(h.is_array() ? std::to_string(h.size()) + " entries" : h.type_name()));
  }
  int64_t total = 0;
  int64_t last_nonempty = -1;
  for (size_t b = 0; b < h.size(); ++b) {
    if (!h[b].is_number_integer() || h[b].get<int64_t>() < 0) {
      return field_error("hist[" + std::to_string(b) + "]", "a non-negative integer", h[b]);
    }
    s.hist_[b] = h[b].get<int64_t>();
    if (s.hist_[b] > std::numeric_limits<int64_t>::max() - total) return field_error("hist", "counts that fit int64", h[b]);
    total += s.hist_[b];
    if (s.hist_[b] > 0) last_nonempty = static_cast<int64_t>(b);
  }
  if (total != s.count_) {
    return field_error("hist", "counts summing to count = " + std::to_string(s.count_), nlohmann::json(total));
  }
  // The width must be the one observe() would have chosen, and abs_max must sit in the last
  // non-empty bin; otherwise merging this file would not be exact.
  const float amax = s.abs_max();
  if (amax > 0.f) {
    if (!s.has_width_ || s.width_log2_ != width_log2_for(amax, s.num_bins())) {
      return field_error("bin_width_log2", "the smallest k with abs_max < num_bins * 2^k = " +
                                               std::to_string(width_log2_for(amax, s.num_bins())),
                         j.at("bin_width_log2"));
    }
    if (bin_of(amax, s.width_log2_) != last_nonempty) {
      return field_error("hist", "last non-empty bin " + std::to_string(bin_of(amax, s.width_log2_)) +
                                     " (the bin of abs_max)", nlohmann::json(last_nonempty));
    }
  } else if (s.has_width_) {
    return field_error("bin_width_log2", "null (no non-zero value observed)", j.at("bin_width_log2"));
  }
  if (j.contains("neg_hist")) {
    const auto& nh = j.at("neg_hist");
    if (!nh.is_array() || nh.size() != h.size()) return field_error("neg_hist", "an array like hist", nh);
    for (size_t b = 0; b < nh.size(); ++b) {
      if (!nh[b].is_number_integer() || nh[b].get<int64_t>() < 0 || nh[b].get<int64_t>() > s.hist_[b]) {
        return field_error("neg_hist[" + std::to_string(b) + "]", "an integer in [0, hist[b]]", nh[b]);
      }
      s.neg_hist_[b] = nh[b].get<int64_t>();
    }
  } else {
    s.sign_known_ = s.count_ == 0 || s.min_ >= 0.f;  // an older file: all-positive data needs no split
  }
  if (j.contains("channel_abs_max")) {
    const auto& ch = j.at("channel_abs_max");
    if (!ch.is_array() || ch.empty() || ch.size() > static_cast<size_t>(kMaxBins)) {
      return field_error("channel_abs_max", "a non-empty array of per-channel maxima", ch);
    }
    for (size_t c = 0; c < ch.size(); ++c) {
      const float m = ch[c].is_number() ? static_cast<float>(ch[c].get<double>()) : -1.f;
      if (!std::isfinite(m) || m < 0.f || m > amax) {
        return field_error("channel_abs_max[" + std::to_string(c) + "]", "a number in [0, abs_max]", ch[c]);
      }
      s.channel_abs_max_.push_back(m);
    }
  }
  return s;
}

}  // namespace yq::quant
