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
// Caching (FP32 tensors per input, within SensitivityOptions::cache_bytes):
//  * The FP32 engine runs once per input. Its model outputs are always kept; every layer's output
//    is kept when (layer-output bytes) x inputs fits the budget, otherwise the FP32 engine reruns
//    per layer for the layer-output metric.
//  * kOneQuantized with sqnr/mse/cosine: in a one-layer configuration a node computes exactly its
//    FP32 values unless it reads a value with qparams (the layer's input, residual and weight, and
//    the values a scale-preserving node ties to them, e.g. a Concat's other inputs, whose other
//    readers may sit beside or upstream of the layer) or depends on such a node. Each layer's
//    quantized graph (build_quantized_graph) is cut to those nodes (ir::downstream_nodes,
//    ir::extract_subgraph). The subgraph's inputs are model inputs or FP32 "boundary" values
//    produced outside it; an input keeps its qparams, so the engine quantizes it on entry exactly
//    as its producer's output is quantized in the full graph. The boundary values of all layers
//    are kept from one run per input of the float graph on the sweep's kernels (the FP32 engine;
//    with use_int8_engine = false a float run on the reference kernels), each layer runs only its
//    subgraph, and the model outputs it does not produce come unchanged from that run. This
//    needs (layer-output + boundary-value bytes) x inputs <= cache_bytes; otherwise, and with
//    cache_bytes = 0, every layer runs its full quantized graph. The subgraphs are planned before
//    the FP32 run (one build_quantized_graph per layer, as the full path does); a budget miss
//    discards them (they are not planned at all when the layer outputs alone exceed the budget). On the reference kernels the results equal the full-graph runs bit for bit.
//    With the INT8 engine they matched bit for bit too (the tests' graphs; yolox_nano, every
//    metric of every layer): the f32 nodes run the FP32 engine's kernels, and a boundary value
//    with qparams is quantized on entry by the same reorder (round half to even, saturate) that
//    follows its producer in the full graph. That is observed, not guaranteed: an f32 oneDNN op
//    reading a boundary value sees a plain input here where the full graph may hand it a blocked
//    one, and another layout may pick another implementation (last-ulp differences).
//  * kOneFloat runs the full graph per layer (everything but the layer is quantized, so no part
//    of the model is FP32), and so does the map metric (map_fn scores whole graphs).
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
  size_t cache_bytes = size_t{1} << 30;       // budget for cached FP32 tensors (see "Caching")
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
  // One-quantized caching (see "Caching"): layers scored on their subgraph (0: every layer ran the
  // full graph) and the mean share of the model's nodes in those subgraphs.
  int subgraph_layers = 0;
  double subgraph_node_share = std::nan("");
  std::vector<LayerSensitivity> layers;  // ranked, most sensitive first
};

// Plans `policy` on a copy of `float_graph`, applies QParams from `stats` (which must cover the
// activations of the plan; the stats of the full plan cover every sub-plan), unifies scales and
// folds split activations left over float values back into their convs (refuse_float_activations).
// `cache` (optional) memoizes group calibrations across calls with the same `stats`.
Expected<ir::Graph> build_quantized_graph(const ir::Graph& float_graph, const QuantPolicy& policy,
                                          const std::map<ir::ValueId, TensorStats>& stats, const CalibOptions& calib,
                                          GroupQParamsCache* cache = nullptr);

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
