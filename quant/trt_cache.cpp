// SPDX-License-Identifier: Apache-2.0
#include "quant/trt_cache.h"

#include <bit>
#include <cmath>
#include <cstdio>
#include <set>

#include "base/file_io.h"

namespace yq::quant {
namespace {

constexpr size_t kMaxCacheBytes = size_t{64} << 20;

Status check_entry(const std::string& name, float scale) {
  if (name.empty()) return invalid_argument("TensorRT cache: empty tensor name");
  if (name.find_first_of("\r\n") != std::string::npos) {
    return invalid_argument("TensorRT cache: tensor name '" + name + "' contains a line break");
  }
  if (name.back() == ':') return invalid_argument("TensorRT cache: tensor name '" + name + "' ends in ':'");
  if (!std::isfinite(scale) || !(scale > 0.f)) {
    return invalid_argument("TensorRT cache: tensor '" + name + "': expected a finite scale > 0, found " +
                            std::to_string(scale));
  }
  return ok_status();
}

Status line_error(size_t line_no, const std::string& line, const std::string& expected) {
  return invalid_argument("TensorRT cache: line " + std::to_string(line_no) + " '" + line + "': expected " + expected);
}

}  // namespace

std::string float_to_trt_hex(float scale) {
  char buf[16];
  std::snprintf(buf, sizeof(buf), "%08x", static_cast<unsigned>(std::bit_cast<uint32_t>(scale)));
  return buf;
}

float trt_scale_from_threshold(float threshold) { return threshold / 127.f; }

Expected<std::string> trt_cache_to_text(const TrtCalibCache& cache) {
  if (cache.trt_version < 0) {
    return invalid_argument("TensorRT cache: expected a version >= 0, found " + std::to_string(cache.trt_version));
  }
  if (cache.algorithm.empty() || cache.algorithm.find_first_of("\r\n") != std::string::npos) {
    return invalid_argument("TensorRT cache: expected a one-line algorithm name, found '" + cache.algorithm + "'");
  }
  std::string out = "TRT-" + std::to_string(cache.trt_version) + "-" + cache.algorithm + "\n";
  std::set<std::string> seen;
  for (const auto& [name, scale] : cache.scales) {
    YQ_RETURN_IF_ERROR(check_entry(name, scale));
    if (!seen.insert(name).second) return invalid_argument("TensorRT cache: duplicate tensor '" + name + "'");
    out += name + ": " + float_to_trt_hex(scale) + "\n";
  }
  return out;
}

Expected<TrtCalibCache> trt_cache_from_text(const std::string& text) {
  TrtCalibCache cache;
  cache.scales.clear();
  std::set<std::string> seen;
  size_t pos = 0, line_no = 0;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string::npos) end = text.size();
    std::string line = text.substr(pos, end - pos);
    pos = end + 1;
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line_no == 1) {
      // TRT-<digits>-<algorithm>
      const size_t dash = line.find('-', 4);
      if (line.rfind("TRT-", 0) != 0 || dash == std::string::npos || dash == 4 || dash + 1 >= line.size()) {
        return line_error(line_no, line, "a header 'TRT-<version>-<algorithm>'");
      }
      const std::string digits = line.substr(4, dash - 4);
      if (digits.size() > 12 || digits.find_first_not_of("0123456789") != std::string::npos) {
        return line_error(line_no, line, "a decimal TensorRT version after 'TRT-'");
      }
      cache.trt_version = std::stoll(digits);
      cache.algorithm = line.substr(dash + 1);
      continue;
    }
    if (line.empty()) continue;
    const size_t colon = line.rfind(": ");
    if (colon == std::string::npos || colon == 0) return line_error(line_no, line, "'<tensor name>: <hex>'");
    const std::string name = line.substr(0, colon), hex = line.substr(colon + 2);
    if (hex.empty() || hex.size() > 8 || hex.find_first_not_of("0123456789abcdefABCDEF") != std::string::npos) {
      return line_error(line_no, line, "up to 8 hex digits after ': '");
    }
    const float scale = std::bit_cast<float>(static_cast<uint32_t>(std::stoul(hex, nullptr, 16)));
    const Status s = check_entry(name, scale);
    if (!s.ok()) return s.with_context("line " + std::to_string(line_no));
    if (!seen.insert(name).second) return line_error(line_no, line, "each tensor once ('" + name + "' repeats)");
    cache.scales.emplace_back(name, scale);
  }
  if (line_no == 0) return invalid_argument("TensorRT cache: empty file, expected a 'TRT-<version>-<algorithm>' header");
  return cache;
}

Status save_trt_cache(const std::string& path, const TrtCalibCache& cache) {
  auto text = trt_cache_to_text(cache);
  if (!text.ok()) return text.status().with_context(path);
  return write_file_atomic(path, *text).with_context(path);
}

Expected<TrtCalibCache> load_trt_cache(const std::string& path) {
  YQ_ASSIGN_OR_RETURN(std::string text, read_file(path, kMaxCacheBytes));
  auto c = trt_cache_from_text(text);
  if (!c.ok()) return c.status().with_context(path);
  return c;
}

}  // namespace yq::quant
