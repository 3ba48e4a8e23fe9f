// SPDX-License-Identifier: Apache-2.0
#include "quant/calibrator.h"

#include "quant/calib/methods.h"
#include "quant/qmath.h"

namespace yq::quant {

const char* calib_method_name(CalibMethod m) {
  switch (m) {
    case CalibMethod::kMinMax: return "minmax";
    case CalibMethod::kPercentile: return "percentile";
    case CalibMethod::kEntropy: return "entropy";
    case CalibMethod::kMse: return "mse";
  }
  return "?";
}

Expected<CalibMethod> parse_calib_method(const std::string& name) {
  for (CalibMethod m : {CalibMethod::kMinMax, CalibMethod::kPercentile, CalibMethod::kEntropy, CalibMethod::kMse}) {
    if (name == calib_method_name(m)) return m;
  }
  return invalid_argument("calibration method: expected minmax, percentile, entropy or mse, found '" + name + "'");
}

namespace {
// With zero points a table's input takes u8 codes over its own [lo, hi]: the activation flattens most of one side (SiLU below about -6), so a symmetric
// s8 range would spend half its codes where the table's output hardly changes.
bool table_input_is_u8(const TensorStats& stats, const CalibOptions& opts) {
  return opts.zero_points && opts.unsigned_if_nonnegative && stats.count() > 0;
}
}  // namespace

Expected<float> calibrate_threshold(const TensorStats& stats, const CalibOptions& opts) {
  if (stats.count() == 0) {
    return invalid_argument("calibration: no finite value observed (" + std::to_string(stats.nonfinite_count()) +
                            " non-finite)");
  }
  if (opts.activation && stats.has_sign_histogram()) {
    if (table_input_is_u8(stats, opts)) {
      const calib::U8Range r = calib::activation_mse_u8_range(stats, opts.activation);
      return std::max(-r.lo, r.hi);
    }
    return calib::activation_mse_threshold(stats, opts.activation, -128, 127);
  }
  switch (opts.method) {
    case CalibMethod::kMinMax: return calib::minmax_threshold(stats);
    case CalibMethod::kPercentile: return calib::percentile_threshold(stats, opts.percentile);
    case CalibMethod::kEntropy: return calib::entropy_threshold(stats);
    case CalibMethod::kMse: return calib::mse_threshold(stats);
  }
  return internal_error("calibration: unknown method");
}

Expected<double> activation_error(const TensorStats& stats, const CalibOptions& opts) {
  if (!opts.activation) return invalid_argument("activation_error: no activation given");
  if (!stats.has_sign_histogram()) return invalid_argument("activation_error: statistics without a sign histogram");
  if (stats.count() == 0) return invalid_argument("activation_error: no finite value observed");
  if (table_input_is_u8(stats, opts)) {
    const calib::U8Range r = calib::activation_mse_u8_range(stats, opts.activation);
    return calib::activation_mse_u8_error(stats, opts.activation, r.lo, r.hi);
  }
  const float t = calib::activation_mse_threshold(stats, opts.activation, -128, 127);
  return calib::activation_mse_error(stats, opts.activation, -128, 127, t);
}

Expected<ir::QParams> calibrate_activation(const TensorStats& stats, const CalibOptions& opts) {
  if (!opts.symmetric) {
    if (opts.method != CalibMethod::kMinMax) {
      return unsupported(std::string("calibration: asymmetric u8 is implemented for minmax only, found ") +
                         calib_method_name(opts.method));
    }
    if (stats.count() == 0) return invalid_argument("calibration: no finite value observed");
    return asymmetric_u8_qparams(stats.min(), stats.max());
  }
  if (opts.activation && stats.has_sign_histogram() && table_input_is_u8(stats, opts)) {
    const calib::U8Range r = calib::activation_mse_u8_range(stats, opts.activation);
    return asymmetric_u8_qparams(r.lo, r.hi);
  }
  YQ_ASSIGN_OR_RETURN(float t, calibrate_threshold(stats, opts));
  if (opts.unsigned_if_nonnegative && stats.min() >= 0.f && t > 0.f) return asymmetric_u8_qparams(0.f, t);
  if (opts.zero_points && opts.unsigned_if_nonnegative && -stats.min() <= t / 8 && t > 0.f)
    return asymmetric_u8_qparams(stats.min(), t);
  return symmetric_qparams(t, /*weights=*/false);
}

}  // namespace yq::quant
