// SPDX-License-Identifier: Apache-2.0
// Ranges files: the per-tensor calibration results, as versioned JSON that can be read, diffed
// (stable sorted key order, one field per line) and loaded back; and stats files, the raw
// TensorStats per tensor, so calibration runs in several processes can be merged before a
// calibrator is applied. Both are written atomically (base/file_io.h).
//
// Ranges file:
//   {"version": 1, "method": "entropy",
//    "tensors": {"<name>": {"dtype": "i8", "max": .., "min": .., "scale": .., "threshold": ..,
//                           "zero_point": ..}, ...}}
// Stats file:
//   {"version": 1, "tensors": {"<name>": <TensorStats::to_json() object>, ...}}
// Tensor names are sorted (std::map order); floats are written in their shortest decimal form
// and read back to the identical float.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "base/dtype.h"
#include "base/status.h"
#include "ir/qparams.h"
#include "quant/calibrator.h"
#include "quant/tensor_stats.h"

namespace yq::quant {

struct TensorRange {
  float min = 0.f;        // observed min (not widened)
  float max = 0.f;        // observed max
  float threshold = 0.f;  // the calibrator's clipping threshold T (>= 0)
  float scale = 1.f;      // > 0
  int32_t zero_point = 0;
  DType dtype = DType::kI8;  // kI8 or kU8
  bool operator==(const TensorRange&) const = default;
};

struct RangesFile {
  std::string method;  // calib_method_name() of the calibrator that produced it
  std::map<std::string, TensorRange> tensors;
  bool operator==(const RangesFile&) const = default;
};

// The entry for one tensor: min/max from stats, scale/zero point from qp (per-tensor).
TensorRange make_tensor_range(const TensorStats& stats, float threshold, const ir::QParams& qp);
// Per-tensor QParams of an entry (validated), as calibrate_activation would give them:
// i8 [-128, 127] or u8 [0, 255].
Expected<ir::QParams> tensor_range_qparams(const TensorRange& r);

std::string ranges_to_json(const RangesFile& f);
// Validates version, method, every field of every entry (scale finite > 0, zero point in the
// dtype's range, min <= max, threshold finite >= 0); errors name the tensor and field.
Expected<RangesFile> ranges_from_json(const std::string& text);
Status save_ranges_file(const std::string& path, const RangesFile& f);
Expected<RangesFile> load_ranges_file(const std::string& path);

// One line per tensor that differs between a and b ("+ name", "- name", "~ name: scale 0.1 ->
// 0.2 (+100%)"), sorted by name; a field differs when its relative difference exceeds rel_tol.
// Empty when the files agree (the method is compared too).
std::vector<std::string> diff_ranges(const RangesFile& a, const RangesFile& b, double rel_tol = 0.0);

using StatsMap = std::map<std::string, TensorStats>;
std::string stats_to_json(const StatsMap& stats);
Expected<StatsMap> stats_from_json(const std::string& text);
Status save_stats_file(const std::string& path, const StatsMap& stats);
Expected<StatsMap> load_stats_file(const std::string& path);
// into[name].merge(from[name]) for every tensor; tensors only in `from` are copied.
Status merge_stats(StatsMap& into, const StatsMap& from);

}  // namespace yq::quant
