// SPDX-License-Identifier: Apache-2.0
// TensorRT calibration cache (the text format TensorRT <= 10 writes from an
// IInt8EntropyCalibrator2 and reads back with readCalibrationCache):
//
//   TRT-<version>-EntropyCalibration2
//   <tensor name>: <hex>
//   ...
//
// <version> is TensorRT's integer version (e.g. 8601 for 8.6.1, 100300 for 10.3.0), <hex> the
// IEEE-754 bits of the float scale = threshold / 127 as 8 lowercase hex digits (1.0f ->
// 3f800000). Tensor names may contain spaces, ':' and brackets ("(Unnamed Layer* 4) [Constant]
// _output"), so a line splits at its last ": ". Entries keep the order they are given (TensorRT
// writes network order).
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "base/status.h"

namespace yq::quant {

inline constexpr const char* kTrtEntropyCalibration2 = "EntropyCalibration2";

struct TrtCalibCache {
  int64_t trt_version = 8601;
  std::string algorithm = kTrtEntropyCalibration2;  // the header's last field
  std::vector<std::pair<std::string, float>> scales;  // name -> scale (threshold / 127)
  bool operator==(const TrtCalibCache&) const = default;
};

// "3f800000" for 1.0f.
std::string float_to_trt_hex(float scale);
// The scale TensorRT stores for a symmetric int8 threshold: T / 127 in float.
float trt_scale_from_threshold(float threshold);

// Fails (naming the entry) on an empty name, a name containing a newline or ending in ':', a
// duplicate name, or a scale that is not finite and > 0.
Expected<std::string> trt_cache_to_text(const TrtCalibCache& cache);
// Accepts a trailing newline and CRLF line ends; errors name the line number and its content.
Expected<TrtCalibCache> trt_cache_from_text(const std::string& text);
Status save_trt_cache(const std::string& path, const TrtCalibCache& cache);
Expected<TrtCalibCache> load_trt_cache(const std::string& path);

}  // namespace yq::quant
