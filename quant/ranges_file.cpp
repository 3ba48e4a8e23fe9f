// SPDX-License-Identifier: Apache-2.0
#include "quant/ranges_file.h"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <limits>

#include <nlohmann/json.hpp>

#include "base/check.h"
#include "base/file_io.h"

namespace yq::quant {
namespace {

constexpr int kRangesVersion = 1;
constexpr int kStatsFileVersion = 1;
// Calibration files are small (a few MB for stats of a large model); refuse anything absurd.
constexpr size_t kMaxFileBytes = size_t{1} << 30;

using Json = nlohmann::json;  // std::map objects: keys come out sorted

// Shortest decimal form of a float, so files diff readably ("0.1", not "0.10000000149011612");
// reading it as double and rounding to float gives the same float back.
double json_float(float f) {
  char buf[32];
  auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), f);
  YQ_CHECK(ec == std::errc()) << "to_chars failed";
  return std::strtod(std::string(buf, end).c_str(), nullptr);
}

Status entry_error(const std::string& tensor, const std::string& field, const std::string& expected,
                   const Json& found) {
  return invalid_argument("ranges file: tensor '" + tensor + "' field '" + field + "': expected " + expected +
                          ", found " + (found.is_null() ? std::string("nothing") : found.dump()));
}

Expected<float> read_float(const Json& e, const std::string& tensor, const char* field) {
  if (!e.contains(field) || !e.at(field).is_number()) return entry_error(tensor, field, "a number", e.value(field, Json()));
  const float f = static_cast<float>(e.at(field).get<double>());
  if (!std::isfinite(f)) return entry_error(tensor, field, "a finite float", e.at(field));
  return f;
}

Expected<TensorRange> read_range(const Json& e, const std::string& name) {
  if (!e.is_object()) return entry_error(name, "(entry)", "an object", e);
  TensorRange r;
  YQ_ASSIGN_OR_RETURN(r.min, read_float(e, name, "min"));
  YQ_ASSIGN_OR_RETURN(r.max, read_float(e, name, "max"));
  YQ_ASSIGN_OR_RETURN(r.threshold, read_float(e, name, "threshold"));
  YQ_ASSIGN_OR_RETURN(r.scale, read_float(e, name, "scale"));
  if (r.min > r.max) return entry_error(name, "min", "min <= max = " + std::to_string(r.max), e.at("min"));
  if (r.threshold < 0.f) return entry_error(name, "threshold", "a value >= 0", e.at("threshold"));
  if (!(r.scale > 0.f)) return entry_error(name, "scale", "a value > 0", e.at("scale"));
  const Json dt = e.value("dtype", Json());
  if (dt == "i8") {
    r.dtype = DType::kI8;
  } else if (dt == "u8") {
    r.dtype = DType::kU8;
  } else {
    return entry_error(name, "dtype", "\"i8\" or \"u8\"", dt);
  }
  const int64_t lo = r.dtype == DType::kI8 ? -128 : 0, hi = r.dtype == DType::kI8 ? 127 : 255;
  const Json zp = e.value("zero_point", Json());
  if (!zp.is_number_integer() || zp.get<int64_t>() < lo || zp.get<int64_t>() > hi) {
    return entry_error(name, "zero_point",
                       "an integer in [" + std::to_string(lo) + ", " + std::to_string(hi) + "]", zp);
  }
  r.zero_point = zp.get<int32_t>();
  return r;
}

Expected<Json> parse_versioned(const std::string& text, const char* what, int version) {
  Json j = Json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return invalid_argument(std::string(what) + ": not valid JSON");
  if (!j.is_object()) return invalid_argument(std::string(what) + ": expected a JSON object");
  const Json v = j.value("version", Json());
  if (!v.is_number_integer()) return invalid_argument(std::string(what) + ": expected an integer 'version', found " + v.dump());
  if (v.get<int64_t>() != version) {
    return unsupported(std::string(what) + ": version " + v.dump() + ", this build reads version " +
                       std::to_string(version));
  }
  if (!j.contains("tensors") || !j.at("tensors").is_object()) {
    return invalid_argument(std::string(what) + ": expected an object 'tensors'");
  }
  return j;
}

std::string format_change(const char* field, double a, double b) {
  char buf[160];
  const double rel = a != 0.0 ? (b - a) / std::fabs(a) * 100.0 : 0.0;
  std::snprintf(buf, sizeof(buf), " %s %.9g -> %.9g (%+.3g%%)", field, a, b, rel);
  return buf;
}

bool differs(double a, double b, double rel_tol) {
  if (a == b) return false;
  return std::fabs(a - b) > rel_tol * std::max(std::fabs(a), std::fabs(b));
}

}  // namespace

TensorRange make_tensor_range(const TensorStats& stats, float threshold, const ir::QParams& qp) {
  YQ_CHECK(qp.scales.size() == 1 && qp.zero_points.size() == 1) << "make_tensor_range: per-tensor qparams expected";
  TensorRange r;
  r.min = stats.count() > 0 ? stats.min() : 0.f;
  r.max = stats.count() > 0 ? stats.max() : 0.f;
  r.threshold = threshold;
  r.scale = qp.scales[0];
  r.zero_point = qp.zero_points[0];
  r.dtype = qp.dtype;
  return r;
}

Expected<ir::QParams> tensor_range_qparams(const TensorRange& r) {
  return ir::QParams::per_tensor(r.scale, r.zero_point, r.dtype);
}

std::string ranges_to_json(const RangesFile& f) {
  Json tensors = Json::object();
  for (const auto& [name, r] : f.tensors) {
    tensors[name] = {{"min", json_float(r.min)},
                     {"max", json_float(r.max)},
                     {"threshold", json_float(r.threshold)},
                     {"scale", json_float(r.scale)},
                     {"zero_point", r.zero_point},
                     {"dtype", dtype_name(r.dtype)}};
  }
  Json j = {{"version", kRangesVersion}, {"method", f.method}, {"tensors", std::move(tensors)}};
  return j.dump(2) + "\n";
}

Expected<RangesFile> ranges_from_json(const std::string& text) {
  YQ_ASSIGN_OR_RETURN(Json j, parse_versioned(text, "ranges file", kRangesVersion));
  RangesFile f;
  const Json m = j.value("method", Json());
  if (!m.is_string() || !parse_calib_method(m.get<std::string>()).ok()) {
    return invalid_argument("ranges file: expected 'method' minmax, percentile, entropy or mse, found " + m.dump());
  }
  f.method = m.get<std::string>();
  for (const auto& [name, e] : j.at("tensors").items()) {
    YQ_ASSIGN_OR_RETURN(f.tensors[name], read_range(e, name));
  }
  return f;
}

Status save_ranges_file(const std::string& path, const RangesFile& f) {
  return write_file_atomic(path, ranges_to_json(f)).with_context(path);
}

Expected<RangesFile> load_ranges_file(const std::string& path) {
  YQ_ASSIGN_OR_RETURN(std::string text, read_file(path, kMaxFileBytes));
  auto f = ranges_from_json(text);
  if (!f.ok()) return f.status().with_context(path);
  return f;
}

std::vector<std::string> diff_ranges(const RangesFile& a, const RangesFile& b, double rel_tol) {
  std::vector<std::string> out;
  if (a.method != b.method) out.push_back("method " + a.method + " -> " + b.method);
  auto ia = a.tensors.begin(), ib = b.tensors.begin();
  while (ia != a.tensors.end() || ib != b.tensors.end()) {
    if (ib == b.tensors.end() || (ia != a.tensors.end() && ia->first < ib->first)) {
      out.push_back("- " + ia->first);
      ++ia;
    } else if (ia == a.tensors.end() || ib->first < ia->first) {
      out.push_back("+ " + ib->first);
      ++ib;
    } else {
      const TensorRange &ra = ia->second, &rb = ib->second;
      std::string line;
      const std::pair<const char*, std::pair<double, double>> fields[] = {
          {"min", {ra.min, rb.min}},           {"max", {ra.max, rb.max}},
          {"threshold", {ra.threshold, rb.threshold}}, {"scale", {ra.scale, rb.scale}},
          {"zero_point", {ra.zero_point, rb.zero_point}}};
      for (const auto& [field, v] : fields) {
        if (differs(v.first, v.second, rel_tol)) line += format_change(field, v.first, v.second);
      }
      if (ra.dtype != rb.dtype) line += std::string(" dtype ") + dtype_name(ra.dtype) + " -> " + dtype_name(rb.dtype);
      if (!line.empty()) out.push_back("~ " + ia->first + ":" + line);
      ++ia;
      ++ib;
    }
  }
  return out;
}

std::string stats_to_json(const StatsMap& stats) {
  // TensorStats serialises itself; splice its object in so the format stays defined in one place.
  Json tensors = Json::object();
  for (const auto& [name, s] : stats) tensors[name] = Json::parse(s.to_json());
  Json j = {{"version", kStatsFileVersion}, {"tensors", std::move(tensors)}};
  return j.dump() + "\n";
}

Expected<StatsMap> stats_from_json(const std::string& text) {
  YQ_ASSIGN_OR_RETURN(Json j, parse_versioned(text, "stats file", kStatsFileVersion));
  StatsMap out;
  for (const auto& [name, e] : j.at("tensors").items()) {
    auto s = TensorStats::from_json(e.dump());
    if (!s.ok()) return s.status().with_context("stats file: tensor '" + name + "'");
    out.emplace(name, std::move(s).value());
  }
  return out;
}

Status save_stats_file(const std::string& path, const StatsMap& stats) {
  return write_file_atomic(path, stats_to_json(stats)).with_context(path);
}

Expected<StatsMap> load_stats_file(const std::string& path) {
  YQ_ASSIGN_OR_RETURN(std::string text, read_file(path, kMaxFileBytes));
  auto s = stats_from_json(text);
  if (!s.ok()) return s.status().with_context(path);
  return s;
}

Status merge_stats(StatsMap& into, const StatsMap& from) {
  // Check first so that a failure leaves `into` unchanged.
  for (const auto& [name, s] : from) {
    auto it = into.find(name);
    if (it != into.end() && it->second.num_bins() != s.num_bins()) {
      return invalid_argument("merge stats: tensor '" + name + "' has " + std::to_string(it->second.num_bins()) +
                              " bins here and " + std::to_string(s.num_bins()) + " in the other file");
    }
  }
  for (const auto& [name, s] : from) {
    auto it = into.find(name);
    if (it == into.end()) {
      into.emplace(name, s);
    } else {
      YQ_RETURN_IF_ERROR(it->second.merge(s).with_context("merge stats: tensor '" + name + "'"));
    }
  }
  return ok_status();
}

}  // namespace yq::quant
