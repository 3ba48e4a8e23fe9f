// SPDX-License-Identifier: Apache-2.0
#include "quant/calibrate.h"
#include "quant/channel_loss.h"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <memory>
#include <system_error>

#include "base/log.h"
#include "base/progress.h"
#include "ir/passes/unify_scales.h"
#include "runtime/engine.h"

namespace yq::quant {

namespace fs = std::filesystem;

namespace {

bool is_image_name(const fs::path& p) {
  std::string ext = p.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return std::tolower(c); });
  return ext == ".jpg" || ext == ".jpeg" || ext == ".png" || ext == ".bmp";
}

}  // namespace

Expected<std::vector<std::string>> list_images(const std::string& dir) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return io_error("calibration folder '" + dir + "' does not exist or is not a folder");
  std::vector<std::string> names;
  fs::directory_iterator it(dir, ec);
  if (ec) return io_error("calibration folder '" + dir + "' cannot be read: " + ec.message());
  for (; it != fs::directory_iterator(); it.increment(ec)) {
    if (ec) return io_error("calibration folder '" + dir + "' cannot be read: " + ec.message());
    if (it->is_regular_file(ec) && is_image_name(it->path())) names.push_back(it->path().filename().string());
  }
  if (names.empty()) return invalid_argument("calibration folder '" + dir + "' has no .jpg/.jpeg/.png/.bmp images");
  // Sorting by file name (not by directory order) makes --calib-images N pick the same images on
  // every file system.
  std::sort(names.begin(), names.end());
  std::vector<std::string> paths;
  paths.reserve(names.size());
  for (const auto& n : names) paths.push_back((fs::path(dir) / n).string());
  return paths;
}

Expected<std::map<ir::ValueId, TensorStats>> collect_stats(const ir::Graph& g, const std::vector<ir::ValueId>& values,
                                                           const std::vector<std::string>& image_paths,
                                                           const detect::PreprocessSpec& spec,
                                                           const CalibrateOptions& opts, CalibrateReport* report) {
  if (image_paths.empty()) return invalid_argument("calibration: no images given");
  if (g.inputs().size() != 1) {
    return unsupported("calibration: expected a model with 1 input, found " + std::to_string(g.inputs().size()));
  }
  std::vector<std::string> paths = image_paths;
  if (opts.max_images > 0 && paths.size() > static_cast<size_t>(opts.max_images)) paths.resize(opts.max_images);

  // Which values come from where: the graph input is the tensor we feed, constants are observed
  // once, everything else is kept by the engine.
  std::map<ir::ValueId, TensorStats> stats;
  runtime::EngineOptions eo;
  eo.threads = opts.threads;
  std::vector<ir::ValueId> kept;
  for (ir::ValueId v : values) {
    if (v < 0 || static_cast<size_t>(v) >= g.value_capacity() || !g.value(v).alive()) {
      return invalid_argument("calibration: value id " + std::to_string(v) + " is not a live value of the graph");
    }
    const ir::Value& val = g.value(v);
    if (val.dtype != DType::kF32) {
      return invalid_argument("calibration: value '" + val.name + "' is " + dtype_name(val.dtype) + ", expected f32");
    }
    auto [it, inserted] = stats.emplace(v, TensorStats(opts.num_bins));
    if (!inserted) continue;
    if (val.is_constant()) {
      observe_tensor(it->second, *val.constant);
    } else if (!g.is_graph_input(v)) {
      kept.push_back(v);
      if (!g.is_graph_output(v)) eo.keep_values.push_back(val.name);
    }
  }
  auto engine = runtime::Engine::create(g, eo);
  if (!engine.ok()) return engine.status().with_context("calibration");
  const ir::ValueId input = g.inputs()[0];

  CalibrateReport local;
  CalibrateReport& rep = report ? *report : local;
  rep = {};
  Status first_failure;
  ProgressBar bar("calibrate", static_cast<int64_t>(paths.size()), opts.progress);
  std::vector<Tensor> outputs;
  for (size_t i = 0; i < paths.size(); ++i) {
    auto pre = detect::preprocess_file(paths[i], spec);
    if (!pre.ok()) {
      YQ_LOG(Warning) << "calibration: skipping " << paths[i] << ": " << pre.status().message();
      if (first_failure.ok()) first_failure = pre.status();
      ++rep.images_skipped;
      rep.skipped.push_back(paths[i]);
      bar.update(static_cast<int64_t>(i + 1));
      continue;
    }
    Status st = (*engine)->run({&pre->tensor, 1}, &outputs);
    if (!st.ok()) return st.with_context("calibration on " + paths[i]);
    if (stats.count(input)) observe_tensor(stats.at(input), pre->tensor);
    for (ir::ValueId v : kept) {
      auto t = (*engine)->kept_value(g.value(v).name);
      if (!t.ok()) return t.status().with_context("calibration on " + paths[i]);
      observe_tensor(stats.at(v), *t);
    }
    ++rep.images_used;
    bar.update(static_cast<int64_t>(i + 1));
  }
  bar.finish();
  if (rep.images_used == 0) {
    return invalid_argument("calibration: all " + std::to_string(paths.size()) +
                            " images were unreadable (first: " + first_failure.message() + ")");
  }
  if (rep.images_skipped > 0) {
    YQ_LOG(Warning) << "calibration: skipped " << rep.images_skipped << " unreadable image(s), used "
                    << rep.images_used;
  }
  return stats;
}

Expected<QuantPlan> quantize_graph(ir::Graph& g, const QuantPolicy& policy, const std::vector<std::string>& image_paths,
                                   const detect::PreprocessSpec& spec, const CalibOptions& calib,
                                   const CalibrateOptions& opts, CalibrateReport* report) {
  YQ_ASSIGN_OR_RETURN(QuantPlan full_plan, plan_quantization(g, policy));
  YQ_ASSIGN_OR_RETURN(auto stats, collect_stats(g, full_plan.activations, image_paths, spec, opts, report));
  // The channel-loss rule only adds float layers, so the statistics of the full plan cover it.
  YQ_ASSIGN_OR_RETURN(QuantPolicy ruled, keep_channel_loss_float(g, policy, stats, calib));
  YQ_ASSIGN_OR_RETURN(QuantPlan plan, plan_quantization(g, ruled));
  YQ_RETURN_IF_ERROR(apply_quantization(g, plan, stats, calib));
  YQ_ASSIGN_OR_RETURN(int unified, ir::unify_scales(g));
  (void)unified;
  return plan;
}

}  // namespace yq::quant
