// SPDX-License-Identifier: Apache-2.0
// Per-layer quantization sensitivity: which quantized compute nodes (conv blocks of a QuantPlan)
// hurt accuracy, measured one layer at a time against the FP32 model.
//
// Modes (one "layer" = one node of QuantPlan::compute_nodes):
//   kOneQuantized: only that layer reads quantized inputs (X, residual R) and weight; every other
//                  compute node is in QuantPolicy::keep_float. Measures the damage the layer does
//                  on its own.
//   kOneFloat:     everything quantized except that layer (keep_float = {layer}). Measures what
//                  returning the layer to float buys back; this is what partial quantization does.
// Scores, each averaged over the inputs in the order given (no randomness, so reruns are
// identical): ErrorMetrics (quant/error_metrics.h) on (a) the layer's output tensor and (b) the
// model's outputs (averaged over outputs; SQNR capped at 200 dB so exact matches stay finite),
// both against the FP32 graph; optionally the mAP of the partially quantized graph, through a
// caller-supplied callback (quant/ stays independent of eval/).
//
// Ranking: LayerSensitivity::score is "higher = more sensitive" for every metric and mode:
//   one-quantized: sqnr -> -SQNR, mse -> MSE, cosine -> 1 - cos, map -> FP32 mAP - mAP
//   one-float:     the gain over full INT8: sqnr -> SQNR - SQNR_int8, mse -> MSE_int8 - MSE,
//                  cosine -> cos - cos_int8, map -> mAP - mAP_int8
// (in one-float mode what keeping the layer float buys back is what matters, so the sign flips). Ties keep the
// plan's node order (stable sort), so the ranking is deterministic.
//
// Caching: FP32 outputs (model outputs and every layer output) are computed once per input and
// reused for all layers when they fit in SensitivityOptions::cache_bytes; otherwise the FP32
// engine reruns per layer for the layer-output metric.
#pragma once

#include <cmath>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "base/status.h"
#include "base/tensor.h"
#include "ir/graph.h"
#include "quant/calibrator.h"
#include "quant/error_metrics.h"
#include "quant/policy.h"
#include "quant/tensor_stats.h"

namespace yq::quant {

enum class SensitivityMode { kOneQuantized, kOneFloat };
enum class SensitivityMetric { kSqnr, kMse, kCosine, kMap };

const char* sensitivity_mode_name(SensitivityMode m);      // "one-quantized", "one-float"
const char* sensitivity_metric_name(SensitivityMetric m);  // "sqnr", "mse", "cosine", "map"
Expected<SensitivityMode> parse_sensitivity_mode(const std::string& name);
Expected<SensitivityMetric> parse_sensitivity_metric(const std::string& name);

// mAP (in percent) of a graph: the FP32 graph, or one carrying qparams. Used by the mAP metric.
using GraphMapFn = std::function<Expected<double>(const ir::Graph& g)>;

struct SensitivityOptions {
  SensitivityMode mode = SensitivityMode::kOneFloat;
  SensitivityMetric metric = SensitivityMetric::kSqnr;
  bool use_int8_engine = true;  // false: fake-quant reference kernels (the oracle; much slower)
  int threads = 0;
  bool progress = true;
  GraphMapFn map_fn;                          // required for SensitivityMetric::kMap
  size_t cache_bytes = size_t{1} << 30;       // budget for cached FP32 layer outputs
};

struct LayerSensitivity {
  std::string layer;          // node name
  std::string op;             // node op type
  std::string output;         // the layer's output tensor
  ErrorMetrics layer_error;   // on the layer's output tensor vs FP32
  ErrorMetrics model_error;   // on the model outputs vs FP32
  double map = std::nan("");  // mAP of this configuration (metric map only)
  double score = 0.0;         // higher = more sensitive (see header comment)
};

struct SensitivityReport {
  std::string model;
  SensitivityMode mode = SensitivityMode::kOneFloat;
  SensitivityMetric metric = SensitivityMetric::kSqnr;
  std::string calib_method;
  bool int8_engine = true;
  int images = 0;
  ErrorMetrics full_int8_error;       // every layer quantized, model outputs vs FP32
  double fp32_map = std::nan("");     // metric map only
  double full_int8_map = std::nan("");
  double seconds = 0.0;               // wall time of the sweep
  std::vector<LayerSensitivity> layers;  // ranked, most sensitive first
};

// Plans `policy` on a copy of `float_graph`, applies QParams from `stats` (which must cover the
// activations of the plan; the stats of the full plan cover every sub-plan) and unifies scales.
Expected<ir::Graph> build_quantized_graph(const ir::Graph& float_graph, const QuantPolicy& policy,
                                          const std::map<ir::ValueId, TensorStats>& stats, const CalibOptions& calib);

// collect_stats for input tensors instead of image files (tests, synthetic inputs): runs the FP32
// engine over `inputs` (one vector of graph inputs per sample) and observes `values`.
Expected<std::map<ir::ValueId, TensorStats>> collect_stats_for_inputs(const ir::Graph& g,
                                                                      const std::vector<ir::ValueId>& values,
                                                                      const std::vector<std::vector<Tensor>>& inputs,
                                                                      int threads = 0, int num_bins = 2048);

// The sweep. `float_graph` is shape-inferred (runtime::load_model); `base_policy` is the policy of
// the full quantization (its keep_float layers stay float in every configuration and are not
// scored); `stats` cover plan_quantization(float_graph, base_policy).activations. Errors: no
// inputs, metric map without map_fn, a plan without compute nodes, any engine error (naming the
// layer).
Expected<SensitivityReport> analyze_sensitivity(const ir::Graph& float_graph, const QuantPolicy& base_policy,
                                                const std::map<ir::ValueId, TensorStats>& stats,
                                                const CalibOptions& calib,
                                                const std::vector<std::vector<Tensor>>& inputs,
                                                const SensitivityOptions& opts);

// Serialisations of a ranking (most sensitive first). JSON is versioned ("format":
// "yoloq-sensitivity", "version": 1) and is what load_sensitivity_ranking reads back.
std::string sensitivity_to_json(const SensitivityReport& r);
std::string sensitivity_to_csv(const SensitivityReport& r);
std::string sensitivity_to_markdown(const SensitivityReport& r);

// The layer names of a sensitivity JSON file, most sensitive first. Errors name the file: missing,
// not JSON, wrong format/version, a layer entry without a name.
Expected<std::vector<std::string>> load_sensitivity_ranking(const std::string& path);

}  // namespace yq::quant
