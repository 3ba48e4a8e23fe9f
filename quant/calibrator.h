// SPDX-License-Identifier: Apache-2.0
// Calibrators: TensorStats -> a clipping threshold -> QParams. Every method is deterministic:
// the same statistics give bit-identical thresholds (no randomness, fixed summation order).
// Each method lives in its own file under quant/calib/, where its algorithm is documented.
//
// Thresholds never exceed stats.abs_max(): a range past the largest observed |x| would only
// widen the quantization step without representing any more data.
#pragma once

#include <functional>
#include <string>

#include "base/status.h"
#include "ir/qparams.h"
#include "quant/tensor_stats.h"

namespace yq::quant {

enum class CalibMethod {
  kMinMax,      // T = max|x|
  kPercentile,  // T = the `percentile` quantile of |x| (e.g. 99.99), interpolated within a bin
  kEntropy,     // TensorRT's KL-divergence threshold search (entropy calibration 2)
  kMse,         // T minimising the expected squared quantization error over the histogram
};

const char* calib_method_name(CalibMethod m);  // "minmax", "percentile", "entropy", "mse"
Expected<CalibMethod> parse_calib_method(const std::string& name);

struct CalibOptions {
  CalibMethod method = CalibMethod::kEntropy;
  double percentile = 99.99;  // in (0, 100]
  bool symmetric = true;      // false: asymmetric u8 over [min, max] (MinMax only)
  // Symmetric mode: a tensor never observed below zero (ReLU, ReLU6, sigmoid outputs) gets u8
  // [0, 255], zero point 0, scale T/255, instead of s8 with scale T/127 whose negative half is
  // never used: one more bit of resolution at the same threshold T, still zero-point free (the
  // INT8 engine's oneDNN convs take u8 sources natively, without the s8 compensation pass). T is
  // the method's threshold as for s8. TensorRT caches state such tensors as s8 with T/127.
  bool unsigned_if_nonnegative = true;
  // A tensor that goes only slightly below zero, min >= -T/8 (SiLU's outputs: >= -0.28) gets u8
  // over [min, T] with a zero point instead of s8 over [-T, T]: about twice the resolution. The
  // INT8 engine passes the zero point to oneDNN (conv sources, sums, reorders). A table's input
  // (below) gets u8 with a zero point over its least-error range. Needs unsigned_if_nonnegative.
  bool zero_points = false;
  // The value is read only by an activation the INT8 engine runs as a table over its codes
  // (quant/split_activations.h). Then what matters is the error after the activation, not in the
  // value itself: the threshold minimises E[(f(x) - f(fq_T(x)))^2] over the signed histogram
  // (quant/calib/activation_mse.cpp), whatever `method` says. SiLU's input, say, may clip its
  // negative tail hard (silu(-8) = -0.003) but not its positive one. With zero_points the codes
  // are u8 with a zero point over the [lo, hi] of least error; otherwise symmetric s8. `activation_name` names f (it keys caches); empty: a plain value.
  std::function<float(float)> activation;
  std::string activation_name;
};

// The absolute clipping threshold T, 0 <= T <= stats.abs_max(); T == 0 only when every observed
// value is zero. Errors: no finite value observed (count() == 0), percentile outside (0, 100],
// entropy with num_bins <= 128.
Expected<float> calibrate_threshold(const TensorStats& stats, const CalibOptions& opts);
// For a value read by a table activation (opts.activation set): the expected squared error after
// the activation per value with the codes calibrate_activation gives it. Errors: no activation in
// opts, no sign histogram, no finite value observed.
Expected<double> activation_error(const TensorStats& stats, const CalibOptions& opts);
// QParams for an activation: symmetric int8 [-128, 127] with scale T/127 (kMinScale for T == 0);
// u8 [0, 255] with scale T/255 and zero point 0 when min >= 0 and unsigned_if_nonnegative; u8
// over [min, T] with a zero point when zero_points and -T/8 <= min < 0; or,
// with symmetric == false and MinMax, asymmetric u8 over [min, max] (widened to include 0).
// symmetric == false with another method is kUnsupported.
Expected<ir::QParams> calibrate_activation(const TensorStats& stats, const CalibOptions& opts);

}  // namespace yq::quant
