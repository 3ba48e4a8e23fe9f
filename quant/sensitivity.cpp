// SPDX-License-Identifier: Apache-2.0
#include "quant/sensitivity.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "base/file_io.h"
#include "base/progress.h"
#include "ir/passes/unify_scales.h"
#include "ir/subgraph.h"
#include "quant/split_activations.h"
#include "runtime/engine.h"

namespace yq::quant {
namespace {

// An exact match has infinite SQNR; capped so averages stay finite (as layerwise_compare does).
constexpr double kSqnrCapDb = 200.0;

struct MetricSum {
  ErrorMetrics acc{0.0, 0.0, 0.0, 0.0};
  int n = 0;
  void add(const ErrorMetrics& m) {
    acc.mse += m.mse;
    acc.sqnr_db += std::min(m.sqnr_db, kSqnrCapDb);
    acc.cosine += m.cosine;
    acc.max_abs = std::max(acc.max_abs, m.max_abs);
    ++n;
  }
  ErrorMetrics mean() const {
    if (n == 0) return {};
    ErrorMetrics m = acc;
    m.mse /= n;
    m.sqnr_db /= n;
    m.cosine /= n;
    return m;
  }
};

std::span<const float> floats(const Tensor& t) { return {t.data<float>(), static_cast<size_t>(t.numel())}; }

// Model-output error of one sample: each output compared, averaged over outputs.
ErrorMetrics compare_outputs(const std::vector<Tensor>& q, const std::vector<Tensor>& r) {
  MetricSum s;
  for (size_t i = 0; i < r.size() && i < q.size(); ++i) {
    if (q[i].dtype() != DType::kF32 || r[i].dtype() != DType::kF32 || q[i].numel() != r[i].numel()) continue;
    s.add(compare_tensors(floats(q[i]), floats(r[i])));
  }
  return s.mean();
}

// One-float scores are gains over full INT8 (`full`), so a chart shows what each layer buys back;
// subtracting a constant does not change the ranking.
double score_of(SensitivityMode mode, SensitivityMetric metric, const LayerSensitivity& l, const ErrorMetrics& full,
                double fp32_map, double int8_map) {
  const bool one_q = mode == SensitivityMode::kOneQuantized;
  switch (metric) {
    case SensitivityMetric::kSqnr:
      return one_q ? -l.model_error.sqnr_db : l.model_error.sqnr_db - std::min(full.sqnr_db, kSqnrCapDb);
    case SensitivityMetric::kMse: return one_q ? l.model_error.mse : full.mse - l.model_error.mse;
    case SensitivityMetric::kCosine: return one_q ? 1.0 - l.model_error.cosine : l.model_error.cosine - full.cosine;
    case SensitivityMetric::kMap: return one_q ? fp32_map - l.map : l.map - int8_map;
  }
  return 0.0;
}

nlohmann::json metrics_json(const ErrorMetrics& m) {
  return {{"mse", m.mse}, {"sqnr_db", m.sqnr_db}, {"cosine", m.cosine}, {"max_abs", m.max_abs}};
}

// NaN is not JSON: written as null.
nlohmann::json number_or_null(double x) { return std::isnan(x) ? nlohmann::json(nullptr) : nlohmann::json(x); }

// Bytes of a value's tensor (shape inferred).
size_t value_bytes(const ir::Value& v) { return static_cast<size_t>(shape_numel(v.shape)) * dtype_size(v.dtype); }

// The policy of one configuration of the sweep (see the modes in the header).
QuantPolicy layer_policy(const QuantPolicy& base, const std::vector<std::string>& layers, size_t li,
                         SensitivityMode mode) {
  QuantPolicy p = base;
  if (mode == SensitivityMode::kOneFloat) {
    p.keep_float.insert(layers[li]);
  } else {
    for (size_t j = 0; j < layers.size(); ++j) {
      if (j != li) p.keep_float.insert(layers[j]);
    }
  }
  return p;
}

// The nodes of a quantized graph whose results may differ from the float graph's: every reader
// of a value with qparams (it reads the fake-quantized form, ir/quantized_ir.md; quantized weights
// included), every producer of a graph output with qparams, and everything downstream of those.
// All other nodes compute exactly what they compute in the float graph. This is more than the
// nodes downstream of the layer under test: the layer's input shares its qparams with the values
// a scale-preserving node ties to it (a Concat's inputs, a MaxPool's input; quant/policy.h), and
// their other readers, upstream of or beside the layer, read them quantized too. Equalization
// (quant/equalize_depthwise.h) also rewrites the producer of a depthwise input without any qparams
// on its inputs (a channel scale S after its activation): every conv with an S is a seed too.
std::set<ir::NodeId> nodes_changed_by_qparams(const ir::Graph& q) {
  std::vector<ir::NodeId> seeds;
  for (ir::NodeId n : q.live_nodes())
    if (q.node(n).op_type == "FusedConv" && q.node(n).input(4) != ir::kNoValue) seeds.push_back(n);
  for (size_t i = 0; i < q.value_capacity(); ++i) {
    const ir::Value& v = q.value(static_cast<ir::ValueId>(i));
    if (!v.alive() || !v.qparams) continue;
    seeds.insert(seeds.end(), v.consumers().begin(), v.consumers().end());
    if (v.producer() != ir::kNoNode && q.is_graph_output(v.id)) seeds.push_back(v.producer());
  }
  return ir::downstream_nodes(q, seeds);
}

// One layer's configuration reduced to the part of its quantized graph that differs from FP32
// (one-quantized caching). The subgraph's inputs are model inputs or cached FP32 values; the model
// outputs it does not produce are the unchanged ones.
struct LayerSubgraph {
  ir::Graph graph;
  std::vector<int> model_input;        // per subgraph input: its index among the model inputs; -1: cached
  std::vector<int> model_output_from;  // per model output: its index among the subgraph outputs; -1: unchanged
  size_t layer_output = 0;             // the layer's output among the subgraph outputs
};

Expected<LayerSubgraph> layer_subgraph(const ir::Graph& float_graph, const ir::Graph& q,
                                       const std::string& layer_output) {
  LayerSubgraph ls;
  // The layer reads its quantized weight, so its output is always inside the changed set.
  YQ_ASSIGN_OR_RETURN(ls.graph, ir::extract_subgraph(q, nodes_changed_by_qparams(q), {*q.find_value(layer_output)}));
  auto index_by_name = [](const ir::Graph& g, const std::vector<ir::ValueId>& ids, const std::string& name) {
    for (size_t i = 0; i < ids.size(); ++i) {
      if (g.value(ids[i]).name == name) return static_cast<int>(i);
    }
    return -1;
  };
  const ir::Graph& sub = ls.graph;
  for (ir::ValueId v : sub.inputs()) {
    ls.model_input.push_back(index_by_name(float_graph, float_graph.inputs(), sub.value(v).name));
  }
  for (ir::ValueId v : float_graph.outputs()) {
    ls.model_output_from.push_back(index_by_name(sub, sub.outputs(), float_graph.value(v).name));
  }
  ls.layer_output = static_cast<size_t>(index_by_name(sub, sub.outputs(), layer_output));
  return ls;
}

}  // namespace

const char* sensitivity_mode_name(SensitivityMode m) {
  return m == SensitivityMode::kOneQuantized ? "one-quantized" : "one-float";
}

const char* sensitivity_metric_name(SensitivityMetric m) {
  switch (m) {
    case SensitivityMetric::kSqnr: return "sqnr";
    case SensitivityMetric::kMse: return "mse";
    case SensitivityMetric::kCosine: return "cosine";
    case SensitivityMetric::kMap: return "map";
  }
  return "?";
}

Expected<SensitivityMode> parse_sensitivity_mode(const std::string& name) {
  if (name == "one-quantized") return SensitivityMode::kOneQuantized;
  if (name == "one-float") return SensitivityMode::kOneFloat;
  return invalid_argument("unknown sensitivity mode '" + name + "' (one-quantized, one-float)");
}

Expected<SensitivityMetric> parse_sensitivity_metric(const std::string& name) {
  if (name == "sqnr") return SensitivityMetric::kSqnr;
  if (name == "mse") return SensitivityMetric::kMse;
  if (name == "cosine") return SensitivityMetric::kCosine;
  if (name == "map") return SensitivityMetric::kMap;
  return invalid_argument("unknown sensitivity metric '" + name + "' (sqnr, mse, cosine, map)");
}

Expected<ir::Graph> build_quantized_graph(const ir::Graph& float_graph, const QuantPolicy& policy,
                                          const std::map<ir::ValueId, TensorStats>& stats, const CalibOptions& calib,
                                          GroupQParamsCache* cache) {
  ir::Graph g = float_graph;
  YQ_ASSIGN_OR_RETURN(QuantPlan plan, plan_quantization(g, policy));
  YQ_RETURN_IF_ERROR(apply_quantization(g, plan, stats, calib, cache));
  YQ_ASSIGN_OR_RETURN(int unified, ir::unify_scales(g));
  (void)unified;
  // Split activations whose pre-activation stayed float run fused again, as in the final model.
  YQ_ASSIGN_OR_RETURN(int refused, refuse_float_activations(g));
  (void)refused;
  return g;
}

Expected<std::map<ir::ValueId, TensorStats>> collect_stats_for_inputs(const ir::Graph& g,
                                                                      const std::vector<ir::ValueId>& values,
                                                                      const std::vector<std::vector<Tensor>>& inputs,
                                                                      int threads, int num_bins) {
  if (inputs.empty()) return invalid_argument("calibration: no input samples");
  std::map<ir::ValueId, TensorStats> stats;
  runtime::EngineOptions eo;
  eo.threads = threads;
  std::vector<ir::ValueId> kept;
  for (ir::ValueId v : values) {
    if (v < 0 || static_cast<size_t>(v) >= g.value_capacity() || !g.value(v).alive()) {
      return invalid_argument("calibration: value id " + std::to_string(v) + " is not a live value of the graph");
    }
    const ir::Value& val = g.value(v);
    auto [it, inserted] = stats.emplace(v, TensorStats(num_bins));
    if (!inserted) continue;
    if (val.is_constant()) {
      observe_tensor(it->second, *val.constant);
    } else if (!g.is_graph_input(v)) {
      kept.push_back(v);
      if (!g.is_graph_output(v)) eo.keep_values.push_back(val.name);
    }
  }
  YQ_ASSIGN_OR_RETURN(auto engine, runtime::Engine::create(g, eo));
  std::vector<Tensor> outs;
  for (const std::vector<Tensor>& sample : inputs) {
    YQ_RETURN_IF_ERROR(engine->run(sample, &outs));
    for (size_t i = 0; i < g.inputs().size() && i < sample.size(); ++i) {
      if (auto it = stats.find(g.inputs()[i]); it != stats.end()) observe_tensor(it->second, sample[i]);
    }
    for (ir::ValueId v : kept) {
      YQ_ASSIGN_OR_RETURN(Tensor t, engine->kept_value(g.value(v).name));
      observe_tensor(stats.at(v), t);
    }
  }
  return stats;
}

Expected<SensitivityReport> analyze_sensitivity(const ir::Graph& float_graph, const QuantPolicy& base_policy,
                                                const std::map<ir::ValueId, TensorStats>& stats,
                                                const CalibOptions& calib,
                                                const std::vector<std::vector<Tensor>>& inputs,
                                                const SensitivityOptions& opts) {
  // Every configuration below is calibrated from the same statistics: calibrate each group once.
  GroupQParamsCache qparams_cache;
  const auto t0 = std::chrono::steady_clock::now();
  if (inputs.empty()) return invalid_argument("sensitivity: no input samples");
  if (opts.metric == SensitivityMetric::kMap && !opts.map_fn) {
    return invalid_argument("sensitivity: metric 'map' needs a validation set (no mAP callback given)");
  }
  YQ_ASSIGN_OR_RETURN(QuantPlan full_plan, plan_quantization(float_graph, base_policy));
  if (full_plan.compute_nodes.empty()) return invalid_argument("sensitivity: the plan quantizes no compute layer");

  SensitivityReport rep;
  rep.mode = opts.mode;
  rep.metric = opts.metric;
  rep.calib_method = calib_method_name(calib.method);
  rep.int8_engine = opts.use_int8_engine;
  rep.images = static_cast<int>(inputs.size());

  std::vector<std::string> layers, outputs;
  for (ir::NodeId n : full_plan.compute_nodes) {
    const ir::Node& node = float_graph.node(n);
    layers.push_back(node.name);
    outputs.push_back(float_graph.value(block_output(float_graph, node)).name);
  }
  auto layer_ctx = [&](size_t li) { return "sensitivity: layer '" + layers[li] + "'"; };
  // Values the FP32 engine must expose (graph outputs are always readable): every layer output.
  std::vector<std::string> keep;
  std::set<std::string> kept_names;
  auto keep_value = [&](const std::string& name) {
    if (!float_graph.is_graph_output(*float_graph.find_value(name)) && kept_names.insert(name).second) {
      keep.push_back(name);
    }
  };
  for (const std::string& o : outputs) keep_value(o);
  size_t layer_bytes = 0;
  for (const std::string& o : outputs) layer_bytes += value_bytes(float_graph.value(*float_graph.find_value(o)));

  // One-quantized caching (header, "Caching"): each layer's configuration reduced to the nodes its
  // qparams change, planned before the FP32 run because that run must keep the values those
  // subgraphs read. The mAP metric scores whole graphs through map_fn, so it gets no subgraphs.
  // Skipped when the layer outputs alone exceed the budget: the boundary values cannot fit then.
  std::vector<LayerSubgraph> subs;
  std::vector<std::string> boundary;  // cached FP32 values read by some subgraph, sorted by name
  size_t boundary_bytes = 0;
  if (opts.mode == SensitivityMode::kOneQuantized && opts.metric != SensitivityMetric::kMap &&
      layer_bytes * inputs.size() <= opts.cache_bytes) {
    std::set<std::string> names;
    for (size_t li = 0; li < layers.size(); ++li) {
      auto q = build_quantized_graph(float_graph, layer_policy(base_policy, layers, li, opts.mode), stats, calib,
                                     &qparams_cache);
      if (!q.ok()) return q.status().with_context(layer_ctx(li));
      auto ls = layer_subgraph(float_graph, *q, outputs[li]);
      if (!ls.ok()) return ls.status().with_context(layer_ctx(li));
      for (size_t i = 0; i < ls->model_input.size(); ++i) {
        if (ls->model_input[i] < 0) names.insert(ls->graph.value(ls->graph.inputs()[i]).name);
      }
      subs.push_back(std::move(*ls));
    }
    boundary.assign(names.begin(), names.end());
    for (const std::string& b : boundary) boundary_bytes += value_bytes(float_graph.value(*float_graph.find_value(b)));
  }
  // Layer outputs and boundary values are budgeted separately even where a value is both (an
  // over-estimate: with the INT8 engine such a value is stored once; with the reference kernels
  // the two copies come from different engines and are both stored).
  const bool use_subgraphs = !subs.empty() && (layer_bytes + boundary_bytes) * inputs.size() <= opts.cache_bytes;
  if (!use_subgraphs) subs.clear();
  const bool cache_layers = use_subgraphs || layer_bytes * inputs.size() <= opts.cache_bytes;

  // FP32 reference, once per input: model outputs always; every layer output when it fits the
  // budget. The cached boundary values must be bit-identical to what the same nodes compute
  // inside the full quantized graph, so they come from an engine with the sweep's kernels: the
  // FP32 engine itself for the INT8 engine (oneDNN fp32 kernels outside the quantized part), a
  // float run on the reference kernels for use_int8_engine = false, whose model outputs then also
  // stand in for the unchanged outputs (as the full reference-kernel run computed them).
  runtime::EngineOptions fo;
  fo.threads = opts.threads;
  std::unique_ptr<runtime::Engine> ref_kernels_fp32;
  if (use_subgraphs && opts.use_int8_engine) {
    for (const std::string& b : boundary) keep_value(b);
  } else if (use_subgraphs) {
    runtime::EngineOptions bo;
    bo.threads = opts.threads;
    bo.use_onednn = false;
    for (const std::string& b : boundary) {
      if (!float_graph.is_graph_output(*float_graph.find_value(b))) bo.keep_values.push_back(b);
    }
    YQ_ASSIGN_OR_RETURN(ref_kernels_fp32, runtime::Engine::create(float_graph, bo));
  }
  fo.keep_values = keep;
  YQ_ASSIGN_OR_RETURN(auto fp32, runtime::Engine::create(float_graph, fo));
  runtime::Engine* boundary_engine = ref_kernels_fp32 ? ref_kernels_fp32.get() : fp32.get();
  std::vector<std::vector<Tensor>> ref_out(inputs.size()), unchanged_out(inputs.size());
  std::vector<std::map<std::string, Tensor>> ref_layer(inputs.size()), ref_boundary(inputs.size());
  for (size_t s = 0; s < inputs.size(); ++s) {
    YQ_RETURN_IF_ERROR(fp32->run(inputs[s], &ref_out[s]).with_context("sensitivity: FP32 reference"));
    if (cache_layers) {
      for (const std::string& o : outputs) {
        YQ_ASSIGN_OR_RETURN(Tensor t, fp32->kept_value(o));
        ref_layer[s].emplace(o, std::move(t));
      }
    }
    if (!use_subgraphs) continue;
    if (ref_kernels_fp32) {
      YQ_RETURN_IF_ERROR(ref_kernels_fp32->run(inputs[s], &unchanged_out[s])
                             .with_context("sensitivity: FP32 on the reference kernels"));
    } else {
      unchanged_out[s] = ref_out[s];
    }
    for (const std::string& b : boundary) {
      if (auto it = ref_layer[s].find(b); !ref_kernels_fp32 && it != ref_layer[s].end()) {
        ref_boundary[s].emplace(b, it->second);  // same engine, same tensor: share the storage
        continue;
      }
      YQ_ASSIGN_OR_RETURN(Tensor t, boundary_engine->kept_value(b));
      ref_boundary[s].emplace(b, std::move(t));
    }
  }
  ref_kernels_fp32.reset();

  runtime::EngineOptions qo;
  qo.threads = opts.threads;
  qo.use_onednn = opts.use_int8_engine;

  // Baseline: every layer quantized.
  {
    YQ_ASSIGN_OR_RETURN(ir::Graph q, build_quantized_graph(float_graph, base_policy, stats, calib, &qparams_cache));
    YQ_ASSIGN_OR_RETURN(auto e, runtime::Engine::create(q, qo));
    MetricSum m;
    std::vector<Tensor> outs;
    for (size_t s = 0; s < inputs.size(); ++s) {
      YQ_RETURN_IF_ERROR(e->run(inputs[s], &outs).with_context("sensitivity: full INT8"));
      m.add(compare_outputs(outs, ref_out[s]));
    }
    rep.full_int8_error = m.mean();
    if (opts.metric == SensitivityMetric::kMap) {
      YQ_ASSIGN_OR_RETURN(rep.fp32_map, opts.map_fn(float_graph));
      YQ_ASSIGN_OR_RETURN(rep.full_int8_map, opts.map_fn(q));
    }
  }

  // One layer on its subgraph: cached FP32 values in, unchanged model outputs from the cache.
  auto score_on_subgraph = [&](size_t li, MetricSum* lm, MetricSum* mm) -> Status {
    const LayerSubgraph& ls = subs[li];
    YQ_ASSIGN_OR_RETURN(auto e, runtime::Engine::create(ls.graph, qo));
    std::vector<Tensor> feed(ls.model_input.size()), outs;
    for (size_t s = 0; s < inputs.size(); ++s) {
      for (size_t i = 0; i < feed.size(); ++i) {
        const int m = ls.model_input[i];
        feed[i] = m >= 0 ? inputs[s][static_cast<size_t>(m)]
                         : ref_boundary[s].at(ls.graph.value(ls.graph.inputs()[i]).name);
      }
      YQ_RETURN_IF_ERROR(e->run(feed, &outs));
      std::vector<Tensor> model = unchanged_out[s];
      for (size_t k = 0; k < model.size(); ++k) {
        if (ls.model_output_from[k] >= 0) model[k] = outs[static_cast<size_t>(ls.model_output_from[k])];
      }
      mm->add(compare_outputs(model, ref_out[s]));
      lm->add(compare_tensors(floats(outs[ls.layer_output]), floats(ref_layer[s].at(outputs[li]))));
    }
    return ok_status();
  };

  // One layer on the whole quantized graph (also builds the graph for the mAP metric).
  std::vector<Tensor> fouts;
  auto score_on_full_graph = [&](size_t li, MetricSum* lm, MetricSum* mm, LayerSensitivity* row) -> Status {
    YQ_ASSIGN_OR_RETURN(ir::Graph q,
                        build_quantized_graph(float_graph, layer_policy(base_policy, layers, li, opts.mode), stats,
                                              calib, &qparams_cache));
    runtime::EngineOptions lo = qo;
    const ir::ValueId out_v = *float_graph.find_value(outputs[li]);
    if (!float_graph.is_graph_output(out_v)) lo.keep_values = {outputs[li]};
    YQ_ASSIGN_OR_RETURN(auto e, runtime::Engine::create(q, lo));
    std::vector<Tensor> outs;
    for (size_t s = 0; s < inputs.size(); ++s) {
      YQ_RETURN_IF_ERROR(e->run(inputs[s], &outs));
      mm->add(compare_outputs(outs, ref_out[s]));
      YQ_ASSIGN_OR_RETURN(Tensor got, e->kept_value(outputs[li]));
      if (cache_layers) {
        lm->add(compare_tensors(floats(got), floats(ref_layer[s].at(outputs[li]))));
      } else {
        YQ_RETURN_IF_ERROR(fp32->run(inputs[s], &fouts));
        YQ_ASSIGN_OR_RETURN(Tensor ref, fp32->kept_value(outputs[li]));
        lm->add(compare_tensors(floats(got), floats(ref)));
      }
    }
    if (opts.metric == SensitivityMetric::kMap) {
      YQ_ASSIGN_OR_RETURN(row->map, opts.map_fn(q));
    }
    return ok_status();
  };

  double node_share = 0.0;
  ProgressBar bar("sensitivity", static_cast<int64_t>(layers.size()), opts.progress);
  for (size_t li = 0; li < layers.size(); ++li) {
    LayerSensitivity row;
    row.layer = layers[li];
    row.op = float_graph.node(full_plan.compute_nodes[li]).op_type;
    row.output = outputs[li];
    MetricSum lm, mm;
    Status st;
    if (use_subgraphs) {
      node_share += static_cast<double>(subs[li].graph.live_node_count()) /
                    static_cast<double>(float_graph.live_node_count());
      st = score_on_subgraph(li, &lm, &mm);
      subs[li].graph = ir::Graph();  // scored: free it
    } else {
      st = score_on_full_graph(li, &lm, &mm, &row);
    }
    if (!st.ok()) return st.with_context(layer_ctx(li));
    row.layer_error = lm.mean();
    row.model_error = mm.mean();
    row.score = score_of(opts.mode, opts.metric, row, rep.full_int8_error, rep.fp32_map, rep.full_int8_map);
    rep.layers.push_back(std::move(row));
    bar.update(static_cast<int64_t>(li + 1), layers[li]);
  }
  bar.finish();
  if (use_subgraphs) {
    rep.subgraph_layers = static_cast<int>(layers.size());
    rep.subgraph_node_share = node_share / static_cast<double>(layers.size());
  }
  std::stable_sort(rep.layers.begin(), rep.layers.end(),
                   [](const LayerSensitivity& a, const LayerSensitivity& b) { return a.score > b.score; });
  rep.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return rep;
}

std::string sensitivity_to_json(const SensitivityReport& r) {
  nlohmann::json layers = nlohmann::json::array();
  for (size_t i = 0; i < r.layers.size(); ++i) {
    const LayerSensitivity& l = r.layers[i];
    layers.push_back({{"rank", i + 1},
                      {"layer", l.layer},
                      {"op", l.op},
                      {"output", l.output},
                      {"score", l.score},
                      {"layer_output", metrics_json(l.layer_error)},
                      {"model_output", metrics_json(l.model_error)},
                      {"map", number_or_null(l.map)}});
  }
  nlohmann::json j = {{"format", "yoloq-sensitivity"},
                      {"version", 1},
                      {"model", r.model},
                      {"mode", sensitivity_mode_name(r.mode)},
                      {"metric", sensitivity_metric_name(r.metric)},
                      {"calib_method", r.calib_method},
                      {"engine", r.int8_engine ? "int8" : "fake-quant reference"},
                      {"images", r.images},
                      {"seconds", r.seconds},
                      {"full_int8_model_output", metrics_json(r.full_int8_error)},
                      {"fp32_map", number_or_null(r.fp32_map)},
                      {"full_int8_map", number_or_null(r.full_int8_map)},
                      {"layers", layers}};
  return j.dump(2) + "\n";
}

std::string sensitivity_to_csv(const SensitivityReport& r) {
  std::ostringstream os;
  os << "rank,layer,op,output,score,layer_mse,layer_sqnr_db,layer_cosine,model_mse,model_sqnr_db,model_cosine,map\n";
  char buf[512];
  for (size_t i = 0; i < r.layers.size(); ++i) {
    const LayerSensitivity& l = r.layers[i];
    std::snprintf(buf, sizeof(buf), "%zu,%s,%s,%s,%.6g,%.6g,%.4f,%.6f,%.6g,%.4f,%.6f,", i + 1, l.layer.c_str(),
                  l.op.c_str(), l.output.c_str(), l.score, l.layer_error.mse, l.layer_error.sqnr_db,
                  l.layer_error.cosine, l.model_error.mse, l.model_error.sqnr_db, l.model_error.cosine);
    os << buf;
    if (!std::isnan(l.map)) {
      std::snprintf(buf, sizeof(buf), "%.4f", l.map);
      os << buf;
    }
    os << "\n";
  }
  return os.str();
}

std::string sensitivity_to_markdown(const SensitivityReport& r) {
  std::ostringstream os;
  char buf[640];
  os << "# Quantization sensitivity: " << r.model << "\n\n";
  os << "Mode `" << sensitivity_mode_name(r.mode) << "`, metric `" << sensitivity_metric_name(r.metric)
     << "`, calibrator `" << r.calib_method << "`, " << (r.int8_engine ? "INT8 engine" : "fake-quant reference")
     << ", " << r.images << " images, " << r.layers.size() << " layers, ";
  std::snprintf(buf, sizeof(buf), "%.1f s.\n\n", r.seconds);
  os << buf;
  std::snprintf(buf, sizeof(buf), "Full INT8 model outputs vs FP32: SQNR %.2f dB, cosine %.5f, MSE %.4g.\n",
                r.full_int8_error.sqnr_db, r.full_int8_error.cosine, r.full_int8_error.mse);
  os << buf;
  if (!std::isnan(r.fp32_map)) {
    std::snprintf(buf, sizeof(buf), "mAP: FP32 %.2f, full INT8 %.2f.\n", r.fp32_map, r.full_int8_map);
    os << buf;
  }
  os << "\nScore: higher = more sensitive (" << (r.mode == SensitivityMode::kOneFloat
                                                     ? "what keeping the layer float buys back"
                                                     : "the damage of quantizing the layer alone")
     << ").\n\n";
  os << "| rank | layer | op | score | layer SQNR dB | layer cos | model SQNR dB | model cos | model MSE | mAP |\n";
  os << "|---:|---|---|---:|---:|---:|---:|---:|---:|---:|\n";
  for (size_t i = 0; i < r.layers.size(); ++i) {
    const LayerSensitivity& l = r.layers[i];
    std::snprintf(buf, sizeof(buf), "| %zu | `%s` | %s | %.4g | %.2f | %.5f | %.2f | %.5f | %.4g | %s |\n", i + 1,
                  l.layer.c_str(), l.op.c_str(), l.score, l.layer_error.sqnr_db, l.layer_error.cosine,
                  l.model_error.sqnr_db, l.model_error.cosine, l.model_error.mse,
                  std::isnan(l.map) ? "" : std::to_string(l.map).substr(0, 6).c_str());
    os << buf;
  }
  os << "\n## Cost and caching\n\n"
        "FP32 reference outputs (model outputs and each layer's output) are computed once per image and reused "
        "for every layer; each layer then costs one engine build (weight packing) plus one quantized run per image. ";
  if (r.subgraph_layers > 0) {
    std::snprintf(buf, sizeof(buf),
                  "Every node that reads no quantized value (and depends on none) computes exactly its FP32 values, "
                  "so those values were cached too and each of the %d layers ran only the rest of its graph: "
                  "%.0f%% of the model's nodes on average.\n",
                  r.subgraph_layers, 100.0 * r.subgraph_node_share);
    os << buf;
  } else {
    os << "Every layer ran its full quantized graph (one-quantized mode with an error metric reruns only the part "
          "that depends on the quantized layer when the FP32 cache fits its budget).\n";
  }
  return os.str();
}

Expected<std::vector<std::string>> load_sensitivity_ranking(const std::string& path) {
  YQ_ASSIGN_OR_RETURN(std::string text, read_file(path, size_t{64} << 20));
  nlohmann::json j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) return invalid_argument(path + ": not a JSON object");
  if (j.value("format", std::string()) != "yoloq-sensitivity") {
    return invalid_argument(path + ": not a yoloq sensitivity file (\"format\" is not \"yoloq-sensitivity\")");
  }
  if (!j.contains("version") || !j["version"].is_number_integer() || j["version"].get<int>() != 1) {
    return invalid_argument(path + ": unsupported sensitivity file version (expected 1)");
  }
  if (!j.contains("layers") || !j["layers"].is_array()) return invalid_argument(path + ": no \"layers\" array");
  std::vector<std::string> out;
  for (size_t i = 0; i < j["layers"].size(); ++i) {
    const nlohmann::json& l = j["layers"][i];
    if (!l.is_object() || !l.contains("layer") || !l["layer"].is_string()) {
      return invalid_argument(path + ": layers[" + std::to_string(i) + "] has no \"layer\" name");
    }
    out.push_back(l["layer"].get<std::string>());
  }
  return out;
}

}  // namespace yq::quant
