// SPDX-License-Identifier: Apache-2.0
// `yoloq sensitivity MODEL --calib DIR --out PREFIX`: per-layer quantization sensitivity
// (quant/sensitivity.h). Calibrates once on --calib-images, then quantizes one layer at a time
// (one-quantized) or all but one (one-float) and scores each against FP32 on the first --images
// calibration images (fixed, sorted order), optionally by mAP on --val-images of a validation set.
//
// Artifacts, each written atomically: PREFIX.csv, PREFIX.json (what `yoloq quantize --sensitivity`
// reads), PREFIX.md and PREFIX.png (bar chart of the scores, most sensitive at the top).
#include <chrono>
#include <filesystem>
#include <cstdio>
#include <memory>

#include "base/file_io.h"
#include "base/threads.h"
#include "cli/commands.h"
#include "cli/common_options.h"
#include "cli/map_scorer.h"
#include "cli/quant_options.h"
#include "detect/preprocess.h"
#include "eval/detector_session.h"
#include "quant/calibrate.h"
#include "quant/channel_loss.h"
#include "quant/report_plot.h"
#include "quant/sensitivity.h"
#include "quant/split_activations.h"

namespace yq::cli {
namespace {

struct SensitivityArgs {
  ModelOptions model;
  std::string calib_dir;
  int calib_images = 32;
  QuantOptions quant;
  std::string mode = "one-float";
  std::string metric = "sqnr";
  std::string val_dir;
  int val_images = 64;
  int images = 8;
  std::string out;
  std::string family;
  bool reference = false;
  int threads = 0;
};

int run_sensitivity(const SensitivityArgs& a) {
  set_num_threads(a.threads);
  auto load_opts = a.model.to_load_options();
  if (!load_opts.ok()) return report_error(load_opts.status());
  auto calib_opts = a.quant.calib_options();
  if (!calib_opts.ok()) return report_error(calib_opts.status());
  auto mode = quant::parse_sensitivity_mode(a.mode);
  if (!mode.ok()) return report_error(mode.status());
  auto metric = quant::parse_sensitivity_metric(a.metric);
  if (!metric.ok()) return report_error(metric.status());
  if (*metric == quant::SensitivityMetric::kMap && a.val_dir.empty()) {
    return report_error(invalid_argument("--metric map needs --val DIR"));
  }
  if (a.out.empty()) return report_error(invalid_argument("--out PREFIX is required"));
  // Fail before the sweep, not after it: the prefix's folder must exist or be creatable.
  if (Status s = ensure_folder(std::filesystem::path(a.out).parent_path().string()); !s.ok()) return report_error(s);
  auto images = quant::list_images(a.calib_dir);
  if (!images.ok()) return report_error(images.status());

  runtime::EngineOptions eo;
  eo.threads = a.threads;
  auto fp32 = eval::open_detector(a.model.model, *load_opts, eo, a.family);
  if (!fp32.ok()) return report_error(fp32.status());
  const ir::Graph& g = fp32->model.graph;

  quant::QuantPolicy policy;
  a.quant.apply_to(policy);
  // --table-activations: rank the layers as the quantizer will run them (quant/split_activations.h).
  auto split = quant::split_activations(fp32->model.graph, policy);
  if (!split.ok()) return report_error(split.status().with_context(a.model.model));
  auto plan = quant::plan_quantization(g, policy);
  if (!plan.ok()) return report_error(plan.status().with_context(a.model.model));
  quant::CalibrateOptions co;
  co.max_images = a.calib_images;
  co.threads = a.threads;
  co.progress = !a.model.json;
  auto stats = quant::collect_stats(g, plan->activations, *images, fp32->spec.preprocess, co);
  if (!stats.ok()) return report_error(stats.status());
  const quant::CalibOptions calib = *calib_opts;
  // The channel-loss rule, as `yoloq quantize` applies it: those layers are float, not scored.
  std::vector<quant::ChannelLoss> losses;
  auto ruled = quant::keep_channel_loss_float(g, policy, *stats, calib, &losses);
  if (!ruled.ok()) return report_error(ruled.status().with_context(a.model.model));
  policy = *ruled;
  if (!a.model.json) {
    for (const auto& l : losses) std::fprintf(stderr, "float by the channel-loss rule: %s\n", quant::describe_channel_loss(l).c_str());
  }

  // Scoring inputs: the first --images calibration images, in sorted order.
  std::vector<std::vector<Tensor>> inputs;
  for (const std::string& p : *images) {
    if (a.images > 0 && static_cast<int>(inputs.size()) >= a.images) break;
    auto pre = detect::preprocess_file(p, fp32->spec.preprocess);
    if (!pre.ok()) return report_error(pre.status());
    inputs.push_back({pre->tensor});
  }

  quant::SensitivityOptions so;
  so.mode = *mode;
  so.metric = *metric;
  so.use_int8_engine = !a.reference;
  so.threads = a.threads;
  so.progress = !a.model.json;
  eval::Dataset dataset;
  if (*metric == quant::SensitivityMetric::kMap) {
    auto ds = eval::load_dataset(a.val_dir, "val2017", "", "");
    if (!ds.ok()) return report_error(ds.status());
    dataset = std::move(*ds);
    so.map_fn = graph_map_fn(fp32->spec, &dataset, a.val_images, a.threads, !a.reference);
  }
  auto rep = quant::analyze_sensitivity(g, policy, *stats, calib, inputs, so);
  if (!rep.ok()) return report_error(rep.status().with_context(a.model.model));
  rep->model = a.model.model;

  const std::string csv = a.out + ".csv", json = a.out + ".json", md = a.out + ".md", png = a.out + ".png";
  if (Status s = write_file_atomic(csv, quant::sensitivity_to_csv(*rep)); !s.ok()) return report_error(s);
  if (Status s = write_file_atomic(json, quant::sensitivity_to_json(*rep)); !s.ok()) return report_error(s);
  if (Status s = write_file_atomic(md, quant::sensitivity_to_markdown(*rep)); !s.ok()) return report_error(s);
  quant::BarChart chart;
  chart.title = "sensitivity (" + std::string(quant::sensitivity_mode_name(*mode)) + ", " +
                quant::sensitivity_metric_name(*metric) + ", " + a.quant.method + "): " +
                std::filesystem::path(a.model.model).filename().string();
  chart.value_label = "score (higher = more sensitive)";
  for (const auto& l : rep->layers) {
    chart.labels.push_back(l.layer);
    chart.values.push_back(l.score);
  }
  if (Status s = quant::write_bar_chart_png(png, chart); !s.ok()) return report_error(s);

  if (a.model.json) {
    nlohmann::json top = nlohmann::json::array();
    for (size_t i = 0; i < rep->layers.size() && i < 10; ++i) {
      const auto& l = rep->layers[i];
      top.push_back({{"layer", l.layer}, {"score", l.score}, {"model_sqnr_db", l.model_error.sqnr_db},
                     {"layer_sqnr_db", l.layer_error.sqnr_db}});
    }
    print_json({{"model", a.model.model}, {"mode", a.mode}, {"metric", a.metric}, {"method", a.quant.method},
                {"layers", rep->layers.size()}, {"images", rep->images}, {"seconds", rep->seconds},
                {"outputs", {{"csv", csv}, {"json", json}, {"markdown", md}, {"png", png}}}, {"top", top}});
    return 0;
  }
  std::printf("sensitivity of %s: %zu layers, mode %s, metric %s, %s calibration, %d images, %.1f s\n",
              a.model.model.c_str(), rep->layers.size(), a.mode.c_str(), a.metric.c_str(), a.quant.method.c_str(),
              rep->images, rep->seconds);
  std::printf("  full INT8 model-output SQNR %.2f dB", rep->full_int8_error.sqnr_db);
  if (*metric == quant::SensitivityMetric::kMap) {
    std::printf("; mAP fp32 %.2f  int8 %.2f", rep->fp32_map, rep->full_int8_map);
  }
  std::printf("\n  %-4s %-40s %10s %12s %12s %8s\n", "rank", "layer", "score", "layer SQNR", "model SQNR", "mAP");
  for (size_t i = 0; i < rep->layers.size() && i < 15; ++i) {
    const auto& l = rep->layers[i];
    std::printf("  %-4zu %-40s %10.4g %12.2f %12.2f %8.2f\n", i + 1, l.layer.substr(0, 40).c_str(), l.score,
                l.layer_error.sqnr_db, l.model_error.sqnr_db, l.map);
  }
  std::printf("  wrote %s, %s, %s, %s\n", csv.c_str(), json.c_str(), md.c_str(), png.c_str());
  return 0;
}

}  // namespace

Runner add_sensitivity_command(CLI::App& app) {
  auto a = std::make_shared<SensitivityArgs>();
  CLI::App* cmd = app.add_subcommand("sensitivity", "per-layer quantization sensitivity ranking");
  a->model.add_to(*cmd);
  cmd->add_option("--calib", a->calib_dir, "folder of calibration images")->required();
  cmd->add_option("--calib-images", a->calib_images, "calibrate on the first N images (by name)")->default_val(32);
  a->quant.add_to(*cmd, "calibrator: entropy, percentile, minmax, mse");
  cmd->add_option("--mode", a->mode, "one-quantized | one-float")->default_val("one-float");
  cmd->add_option("--metric", a->metric, "ranking metric: sqnr, mse, cosine (model outputs) or map")
      ->default_val("sqnr");
  cmd->add_option("--val", a->val_dir, "labelled dataset for --metric map (YOLO layout, val2017 split)");
  cmd->add_option("--val-images", a->val_images, "evaluate mAP on the first N validation images")->default_val(64);
  cmd->add_option("--images", a->images, "score error metrics on the first N calibration images")->default_val(8);
  cmd->add_option("--out", a->out, "output prefix: PREFIX.csv/.json/.md/.png")->required();
  cmd->add_option("--family", a->family, "model family if it cannot be detected from the outputs");
  cmd->add_flag("--reference", a->reference, "use the fake-quant reference kernels instead of the INT8 engine");
  cmd->add_option("--threads", a->threads, "threads (0: all cores)");
  return [a] { return run_sensitivity(*a); };
}

}  // namespace yq::cli
