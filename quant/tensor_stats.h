// SPDX-License-Identifier: Apache-2.0
// TensorStats: what calibration gathers about one activation tensor. Only statistics, no
// decisions: calibrators (calibrator.h) turn them into QParams.
//
// Streaming and mergeable: observe() may be called any number of times, and two TensorStats
// gathered on disjoint images (threads, processes, runs) merge() into exactly the result of one
// TensorStats that saw all of them: min/max/count and the histogram are bit-identical, in any
// order of observe()/merge() calls (see "Histogram layout" below for why that holds).
// Serialisable to versioned JSON so statistics can be saved, diffed and merged across processes.
//
// Histogram layout. The histogram counts |x| in num_bins equal bins over [0, hist_max()), with
//   bin_width = 2^k (k an integer, possibly negative),  hist_max = num_bins * bin_width,
//   bin(x)    = floor(|x| / bin_width),
// and k the smallest integer with abs_max() < hist_max (strictly, so no value ever needs clamping
// into the last bin). When a larger |x| arrives, k grows and the histogram is re-binned by
// merging adjacent bins: at width 2w, bin j holds old bins 2j and 2j+1. Because widths are powers
// of two, |x| / 2^k is exact in double and floor(floor(|x|/w) / 2) == floor(|x|/(2w)), so
// re-binning gives exactly the histogram that direct binning at the new width would. The final
// histogram therefore depends only on the multiset of observed values: merging two stats brings
// both to the larger k (the one for the larger abs max) and adds the counts, exactly.
// The price of power-of-two widths: the data may occupy as little as half the bins (never less,
// since abs_max >= hist_max / 2), which at the default 2048 bins still leaves >= 1024 bins.
//
// Non-finite values (NaN, ±inf) are not part of min/max/count/histogram (an inf would make the
// histogram unbounded); they are counted in nonfinite_count() so callers can report them.
// Zeros land in bin 0 at any width, so an all-zero tensor has count() > 0, abs_max() == 0 and no
// bin width yet (has_bin_width() false, hist_max() 0).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "base/status.h"
#include "base/tensor.h"

namespace yq::quant {

class TensorStats {
 public:
  // num_bins must be even and >= 2 (YQ_CHECK: it is a code constant or a validated flag).
  // Entropy calibration needs num_bins > 128.
  explicit TensorStats(int num_bins = 2048);
  void observe(std::span<const float> values);
  // observe() plus a per-channel |x| maximum, for channel-major data: element i belongs to
  // channel (i / inner) % channels (NCHW with inner = H*W). The channel count is fixed by the
  // first call; a later call with another count stops the tracking (channel_abs_max() empties and
  // stays empty), since ranges of different layouts cannot be compared.
  void observe_channels(std::span<const float> values, int64_t channels, int64_t inner);
  // Fails (leaving *this unchanged) when the two stats have different num_bins. Channel maxima
  // merge element-wise when both sides track the same channel count; a side that has observed
  // nothing adopts the other's; any other mix stops the tracking.
  Status merge(const TensorStats& other);

  int num_bins() const { return static_cast<int>(hist_.size()); }
  // Finite values observed.
  int64_t count() const { return count_; }
  int64_t nonfinite_count() const { return nonfinite_; }
  // +inf / -inf while count() == 0.
  float min() const { return min_; }
  float max() const { return max_; }
  // max(|min|, |max|); 0 while count() == 0.
  float abs_max() const;
  // Per-channel max |x| of the finite values observed through observe_channels(); empty when the
  // data came through observe() or the tracking stopped. What the channel-loss rule
  // (quant/channel_loss.h) reads: per-tensor scales can round a narrow channel to zero.
  const std::vector<float>& channel_abs_max() const { return channel_abs_max_; }
  // Histogram of |x| over [0, hist_max()) with num_bins equal bins (TensorRT-style, symmetric).
  const std::vector<int64_t>& abs_histogram() const { return hist_; }
  // The part of abs_histogram() that came from negative values (same bins; neg[b] <= abs[b]).
  // What a calibrator that cares about the sign reads (quant/calib/activation_mse.cpp: SiLU's
  // input may be clipped far more on the negative side than on the positive one).
  const std::vector<int64_t>& negative_histogram() const { return neg_hist_; }
  // False for statistics read from a file written before the negative histogram existed
  // (and not all non-negative): the sign split of the histogram is unknown.
  bool has_sign_histogram() const { return sign_known_; }
  // False until a non-zero finite value has been seen.
  bool has_bin_width() const { return has_width_; }
  // log2 of the bin width (meaningful only if has_bin_width()).
  int bin_width_log2() const { return width_log2_; }
  // 2^k, or 0 without a width. In double: 2^k may be outside float's range for extreme data.
  double bin_width() const;
  // num_bins * bin_width, as float (+inf if it exceeds float's range); 0 without a width.
  float hist_max() const;

  // {"version":1,"num_bins":..,"count":..,"nonfinite":..,"min":..,"max":..,
  //  "bin_width_log2":k|null,"hist":[...],"neg_hist":[...]}; min/max are null while count == 0;
  //  "neg_hist" is optional on reading (older files; see has_sign_histogram());
  //  "channel_abs_max":[...] only when channels are tracked (optional on reading).
  std::string to_json() const;
  // Validates everything (version, sizes, sum(hist) == count, min <= max, the last non-empty bin
  // is the bin of abs_max, abs_max < hist_max) and names the bad field.
  static Expected<TensorStats> from_json(const std::string& text);

  bool operator==(const TensorStats& o) const = default;

 private:
  // Grows the bin width until abs_max < num_bins * 2^k, merging adjacent bins.
  void grow_to_cover(float abs_max);
  void rebin_to(int new_log2);

  int64_t count_ = 0;
  int64_t nonfinite_ = 0;
  float min_;
  float max_;
  bool has_width_ = false;
  int width_log2_ = 0;
  std::vector<int64_t> hist_;
  std::vector<int64_t> neg_hist_;
  bool sign_known_ = true;
  std::vector<float> channel_abs_max_;
  bool channels_untracked_ = false;  // set once channel layouts disagreed: never track again
};

// Observes an f32 Tensor: through observe_channels() on axis 1 when its rank is >= 2 (activations
// are NCHW / NC...), else through observe(). The one way calibration feeds tensors to stats.
void observe_tensor(TensorStats& s, const Tensor& t);

}  // namespace yq::quant
