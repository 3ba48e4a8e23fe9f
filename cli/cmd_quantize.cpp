// SPDX-License-Identifier: Apache-2.0
// `yoloq quantize MODEL --calib DIR --out OUT.onnx [--val DIR]`: post-training INT8 quantization
// with the detector-aware policy (quant/policy.h), then a report: FP32 vs INT8 latency, model
// size, which compute layers stayed float and, with --val, FP32 vs INT8 COCO mAP.
//
// Artifacts, each written atomically: OUT.onnx (standard QDQ ONNX), OUT.ranges.json (per-tensor
// ranges, diffable, loadable), OUT.trt.cache (TensorRT EntropyCalibration2 cache).
//
// Partial quantization: --keep-float NAME... keeps named layers float; --keep-float-top K
// --sensitivity FILE.json keeps the K most sensitive layers of a `yoloq sensitivity` ranking float.
// Accuracy budget: --max-drop D --val DIR first tries the fastest configuration (every conv INT8,
// SiLU/HardSwish as tables, u8 zero points: --table-activations --zero-points
// --quantize-depthwise; when that misses, also with --equalize-depthwise all), then everything
// INT8 with fused activations, and keeps the first that some calibrator takes within D; otherwise
// it starts from the policy's depthwise-float default. Either way it picks the calibrator with the
// best mAP on the validation subset (the four methods unless --method is given, and per-layer
// calibrators), ranks the layers (--sensitivity FILE, else a one-float sweep scored by mAP on the
// validation images, or --rank-metric sqnr|mse|cosine) and returns the fewest top-ranked layers
// to float that keep the mAP drop within D (quant/auto_quant.h); the accuracy/latency curve of
// every tried step is written as OUT.budget.md and OUT.budget.png.
#include <algorithm>
#include <cmath>
#include <map>
#include <optional>
#include <set>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <memory>

#include "base/file_io.h"
#include "base/log.h"
#include "base/threads.h"
#include "cli/commands.h"
#include "cli/common_options.h"
#include "cli/latency.h"
#include "cli/map_scorer.h"
#include "cli/quant_options.h"
#include "detect/preprocess.h"
#include "eval/detector_session.h"
#include "quant/auto_quant.h"
#include "quant/calibrate.h"
#include "quant/channel_loss.h"
#include "quant/layer_calibrator.h"
#include "quant/policy.h"
#include "quant/qdq_export.h"
#include "quant/ranges_file.h"
#include "quant/report_plot.h"
#include "quant/sensitivity.h"
#include "quant/split_activations.h"
#include "quant/trt_cache.h"

namespace yq::cli {
namespace {

struct QuantizeArgs {
  ModelOptions model;
  std::string calib_dir;
  int calib_images = 0;
  QuantOptions quant;
  std::string out;
  std::string val_dir;
  int val_images = 0;
  std::vector<std::string> keep_float;
  int keep_float_top = 0;
  std::string sensitivity_file;
  double max_drop = -1.0;  // < 0: no accuracy budget
  int images = 8;          // sensitivity sweep images (auto mode without --sensitivity)
  std::string rank_metric = "map";  // ranking metric of that sweep
  int rank_images = 0;     // validation images the map ranking scores on (0: those of --val-images)
  bool asymmetric = false;
  bool per_layer_calibrator = false;  // choose the calibrator per tensor (quant/layer_calibrator.h)
  std::string family;
  int threads = 0;
  int bench_iters = 30;
  int64_t trt_version = 8601;
};

// True when the graph has a depthwise convolution (quant::is_depthwise_conv).
bool has_depthwise_conv(const ir::Graph& g) {
  for (ir::NodeId id : g.live_nodes())
    if (quant::is_depthwise_conv(g, g.node(id))) return true;
  return false;
}

double median_latency_ms(runtime::Engine& engine, const Tensor& input, int iters) {
  std::vector<Tensor> outs;
  for (int i = 0; i < 3; ++i) (void)engine.run({&input, 1}, &outs);
  std::vector<double> ms;
  for (int i = 0; i < iters; ++i) {
    const auto t0 = std::chrono::steady_clock::now();
    (void)engine.run({&input, 1}, &outs);
    ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
  }
  std::nth_element(ms.begin(), ms.begin() + static_cast<long>(ms.size() / 2), ms.end());
  return ms[ms.size() / 2];
}

// Compute nodes (Conv/FusedConv/ConvTranspose) the plan leaves float (their weights stay f32, even
// when their input is quantized for another reader), in graph order: `depthwise` gets the
// depthwise convs the policy leaves float, the result the others.
std::vector<std::string> float_compute_layers(const ir::Graph& g, const quant::QuantPolicy& policy,
                                              const quant::QuantPlan& plan, std::vector<std::string>* depthwise) {
  const std::set<ir::NodeId> quantized(plan.compute_nodes.begin(), plan.compute_nodes.end());
  std::vector<std::string> out;
  for (ir::NodeId id : g.topo_order()) {
    const ir::Node& n = g.node(id);
    if (!policy.compute_ops.count(n.op_type) || quantized.count(id)) continue;
    if (!policy.quantize_depthwise && quant::is_depthwise_conv(g, n)) {
      depthwise->push_back(n.name);
    } else {
      out.push_back(n.name);
    }
  }
  return out;
}

int run_quantize(const QuantizeArgs& a) {
  std::string ranges_method;
  set_num_threads(a.threads);
  auto load_opts = a.model.to_load_options();
  if (!load_opts.ok()) return report_error(load_opts.status());
  auto calib_opts = a.quant.calib_options();
  if (!calib_opts.ok()) return report_error(calib_opts.status());
  if (a.out.empty() || std::filesystem::path(a.out).extension() != ".onnx") {
    return report_error(invalid_argument("--out must name an .onnx file, got '" + a.out + "'"));
  }
  // Fail before minutes of calibration, not after: the output folder must exist or be creatable.
  if (Status s = ensure_folder(std::filesystem::path(a.out).parent_path().string()); !s.ok()) return report_error(s);
  auto images = quant::list_images(a.calib_dir);
  if (!images.ok()) return report_error(images.status());

  runtime::EngineOptions eo;
  eo.threads = a.threads;
  auto fp32 = eval::open_detector(a.model.model, *load_opts, eo, a.family);
  if (!fp32.ok()) return report_error(fp32.status());

  // Calibrate once for the base plan (user --keep-float only): its statistics cover every plan
  // that keeps more layers float, so partial quantization and the budget search reuse them.
  quant::QuantPolicy base_policy;
  base_policy.keep_float.insert(a.keep_float.begin(), a.keep_float.end());
  base_policy.asymmetric_u8 = a.asymmetric;
  a.quant.apply_to(base_policy);
  // The budget search may start from depthwise convs INT8 (below), so it calibrates their inputs too.
  const bool budget = a.max_drop >= 0.0;
  quant::QuantPolicy calib_policy = base_policy;
  if (budget) calib_policy.quantize_depthwise = true;
  // --table-activations (quant/split_activations.h): split before calibration so the
  // pre-activations are observed. fp32->engine was compiled from the graph as loaded.
  auto split = quant::split_activations(fp32->model.graph, calib_policy);
  if (!split.ok()) return report_error(split.status().with_context(a.model.model));
  auto base_plan = quant::plan_quantization(fp32->model.graph, calib_policy);
  if (!base_plan.ok()) return report_error(base_plan.status().with_context(a.model.model));
  quant::CalibrateOptions co;
  co.max_images = a.calib_images;
  co.threads = a.threads;
  co.progress = !a.model.json;
  quant::CalibrateReport calib_report;
  auto stats = quant::collect_stats(fp32->model.graph, base_plan->activations, *images, fp32->spec.preprocess, co,
                                    &calib_report);
  if (!stats.ok()) return report_error(stats.status());
  quant::CalibOptions calib = *calib_opts;
  calib.symmetric = !a.asymmetric;
  // The graph every configuration below is built from: the loaded one, or (when the budget takes
  // table activations) a copy with the activations split off.
  ir::Graph* work = &fp32->model.graph;
  ir::Graph split_graph;

  quant::QuantPolicy policy = base_policy;
  // Every configuration below (calibrators, the channel-loss rule, ranking, budget steps, the final
  // graph) is calibrated from `stats`: each sharing group is calibrated once per calibrator.
  quant::GroupQParamsCache qparams_cache;
  if (a.keep_float_top > 0) {
    if (a.sensitivity_file.empty()) return report_error(invalid_argument("--keep-float-top needs --sensitivity FILE.json"));
    auto ranking = quant::load_sensitivity_ranking(a.sensitivity_file);
    if (!ranking.ok()) return report_error(ranking.status());
    for (int i = 0; i < a.keep_float_top && i < static_cast<int>(ranking->size()); ++i) {
      policy.keep_float.insert((*ranking)[i]);
    }
  }

  // Accuracy budget: calibrator choice, ranking, then the K search (quant/auto_quant.h).
  eval::Dataset dataset;
  if (!a.val_dir.empty()) {
    auto ds = eval::load_dataset(a.val_dir, "val2017", "", "");
    if (!ds.ok()) return report_error(ds.status());
    dataset = std::move(*ds);
  }
  if (budget && a.val_dir.empty()) return report_error(invalid_argument("--max-drop needs --val DIR"));
  auto map_of = [&](runtime::Engine* e) { return engine_map(*e, fp32->spec, dataset, a.val_images); };
  const Shape& in_shape0 = fp32->model.graph.value(fp32->model.graph.inputs()[0]).shape;
  const Tensor probe0 = Tensor::zeros(DType::kF32, in_shape0);
  // The first --images calibration images as engine inputs: the error-metric sweeps' samples.
  auto sweep_inputs = [&]() -> Expected<std::vector<std::vector<Tensor>>> {
    std::vector<std::vector<Tensor>> inputs;
    for (const std::string& p : *images) {
      if (static_cast<int>(inputs.size()) >= a.images) break;
      auto pre = detect::preprocess_file(p, fp32->spec.preprocess);
      if (!pre.ok()) return pre.status();
      inputs.push_back({pre->tensor});
    }
    return inputs;
  };
  // Per-layer calibrators: the cheapest-error method for each group, over the four methods.
  nlohmann::json layer_calibrators = nlohmann::json::object();
  auto choose_per_layer = [&](const quant::QuantPolicy& pol,
                              const quant::CalibOptions& cal) -> Expected<quant::LayerCalibratorChoice> {
    YQ_ASSIGN_OR_RETURN(auto inputs, sweep_inputs());
    return quant::choose_layer_calibrators(*work, pol, *stats, cal,
                                           {quant::CalibMethod::kEntropy, quant::CalibMethod::kPercentile,
                                            quant::CalibMethod::kMse, quant::CalibMethod::kMinMax},
                                           inputs, a.threads, !a.model.json);
  };
  nlohmann::json budget_json;
  // The channel-loss rule (quant/channel_loss.h) runs once, for the final calibrator: before the
  // search in budget mode, before quantizing otherwise. `losses` is the evidence for the report.
  std::vector<quant::ChannelLoss> losses;
  double fp32_map_cached = -1.0, int8_map_cached = -1.0;
  if (budget) {
    auto fp32_map = map_of(fp32->engine.get());
    if (!fp32_map.ok()) return report_error(fp32_map.status());
    fp32_map_cached = *fp32_map;
    // Full-INT8 mAP of one configuration of *work (after its channel-loss rule).
    auto score_config = [&](const quant::QuantPolicy& p, const quant::CalibOptions& cal) -> Expected<double> {
      YQ_ASSIGN_OR_RETURN(auto pm, quant::keep_channel_loss_float(*work, p, *stats, cal, nullptr, &qparams_cache));
      YQ_ASSIGN_OR_RETURN(auto g, quant::build_quantized_graph(*work, pm, *stats, cal, &qparams_cache));
      YQ_ASSIGN_OR_RETURN(auto e, runtime::Engine::create(g, eo));
      return map_of(e.get());
    };
    // The calibrator with the best full-INT8 mAP under `pol`: the four methods (unless --method was
    // given) and per-layer calibrators (quant/layer_calibrator.h; forced by --per-layer-calibrator;
    // skipped with per_layer_candidate false unless forced). `tried` gets each candidate's mAP;
    // returns the best mAP (-1: nothing tried) and sets `c`.
    auto choose_calibrator = [&](const quant::QuantPolicy& pol, quant::CalibOptions& c,
                                 std::map<std::string, quant::CalibMethod>& per_layer, nlohmann::json& wins,
                                 nlohmann::json& tried, const char* label,
                                 bool per_layer_candidate = true) -> Expected<double> {
      double best = -1.0;
      if (!a.quant.method_given() && !a.asymmetric) {
        for (quant::CalibMethod m : {quant::CalibMethod::kEntropy, quant::CalibMethod::kPercentile,
                                     quant::CalibMethod::kMse, quant::CalibMethod::kMinMax}) {
          quant::CalibOptions cal = c;
          cal.method = m;
          YQ_ASSIGN_OR_RETURN(double mp, score_config(pol, cal));
          tried[quant::calib_method_name(m)] = mp;
          if (!a.model.json)
            std::fprintf(stderr, "%scalibrator %-10s full INT8 mAP %.2f\n", label, quant::calib_method_name(m), mp);
          if (mp > best) {
            best = mp;
            c.method = m;
          }
        }
      }
      if ((a.quant.method_given() || a.asymmetric) && !a.per_layer_calibrator) {
        // The calibrator is given: this configuration's mAP with it.
        YQ_ASSIGN_OR_RETURN(best, score_config(pol, c));
        tried[quant::calib_method_name(c.method)] = best;
        if (!a.model.json)
          std::fprintf(stderr, "%scalibrator %-10s full INT8 mAP %.2f\n", label, quant::calib_method_name(c.method), best);
      }
      if ((!a.quant.method_given() && !a.asymmetric && per_layer_candidate) || a.per_layer_calibrator) {
        YQ_ASSIGN_OR_RETURN(auto choice, choose_per_layer(pol, c));
        quant::QuantPolicy pl = pol;
        pl.calib_methods = choice.methods;
        YQ_ASSIGN_OR_RETURN(double mp, score_config(pl, c));
        tried["per-layer"] = mp;
        if (!a.model.json) std::fprintf(stderr, "%scalibrator %-10s full INT8 mAP %.2f\n", label, "per-layer", mp);
        if (mp > best || a.per_layer_calibrator) {
          best = mp;
          per_layer = choice.methods;
          wins = choice.wins;
        }
      }
      return best;
    };
    nlohmann::json calib_tried = nlohmann::json::object();
    double best = -1.0;  // full INT8 mAP of the chosen configuration, when the choice was made here
    // A configuration that meets the budget with fused activations is tried once more with table
    // activations (faster, one more rounding: quant/policy.h), and keeps them if it still does.
    // The split copy is made, and its pre-activations calibrated (one more pass over the calibration
    // images), only when first tried, so a budget that ends fused costs what it did before.
    int split_count = -1;
    // Fills split_graph and adds its pre-activations' statistics; returns how many convs it split.
    auto make_split_graph = [&]() -> Expected<int> {
      split_graph = fp32->model.graph;
      quant::QuantPolicy sp = calib_policy;
      sp.table_activations = quant::kTableActivations;
      YQ_ASSIGN_OR_RETURN(int n, quant::split_activations(split_graph, sp));
      if (n == 0) return 0;
      YQ_ASSIGN_OR_RETURN(quant::QuantPlan sp_plan, quant::plan_quantization(split_graph, sp));
      std::vector<ir::ValueId> fresh;  // the pre-activations: values the loaded graph did not have
      for (ir::ValueId v : sp_plan.activations)
        if (!stats->count(v)) fresh.push_back(v);
      YQ_ASSIGN_OR_RETURN(auto more, quant::collect_stats(split_graph, fresh, *images, fp32->spec.preprocess, co));
      stats->insert(more.begin(), more.end());
      return n;
    };
    // Table activations that miss the budget (all-tables mAP `mp`): keep fused the blocks where the
    // table's extra rounding is largest (ranked from the statistics), as few as the budget allows
    // (the same K search as for float layers), among the first `max_blocks` of the ranking. Sets
    // *ranked to the ranking's length; records the search in `tried`.
    auto keep_fused_search = [&](const quant::QuantPolicy& t, const quant::CalibOptions& c, double mp,
                                 size_t max_blocks, nlohmann::json& tried, const char* label,
                                 size_t* ranked) -> Expected<quant::BudgetResult> {
      YQ_ASSIGN_OR_RETURN(auto ranking, quant::rank_table_damage(*work, t, *stats, c, &qparams_cache));
      if (ranking.size() > max_blocks) ranking.resize(max_blocks);
      *ranked = ranking.size();
      quant::FloatSetScoreFn fused_score = [&](const std::set<std::string>& fused) -> Expected<double> {
        if (fused.empty()) return mp;
        quant::QuantPolicy p = t;
        p.fused_activation_layers = fused;
        YQ_ASSIGN_OR_RETURN(double m, score_config(p, c));
        if (!a.model.json) std::fprintf(stderr, "%stable activations, %zu kept fused: mAP %.2f\n", label, fused.size(), m);
        return m;
      };
      YQ_ASSIGN_OR_RETURN(auto res, quant::search_float_budget(ranking, fp32_map_cached, a.max_drop, fused_score));
      tried["table_activations_fused_layers"] = res.k;
      for (const quant::BudgetStep& st : res.steps) tried["table_activations_fused_steps"].push_back({st.k, st.score});
      return res;
    };
    auto try_tables = [&](quant::QuantPolicy& pol, const quant::CalibOptions& c, nlohmann::json& tried,
                          const char* label) -> Expected<bool> {
      if (!pol.table_activations.empty()) return false;  // --table-activations: already on
      quant::QuantPolicy t = pol;
      t.table_activations = quant::kTableActivations;
      if (split_count < 0) {
        YQ_ASSIGN_OR_RETURN(split_count, make_split_graph());
      }
      if (split_count == 0) return false;  // no activation worth a table
      ir::Graph* before = work;
      work = &split_graph;
      YQ_ASSIGN_OR_RETURN(double mp, score_config(t, c));
      tried["table_activations"] = mp;
      if (!a.model.json) std::fprintf(stderr, "%stable activations full INT8 mAP %.2f\n", label, mp);
      if (fp32_map_cached - mp > a.max_drop) {
        size_t ranked = 0;
        YQ_ASSIGN_OR_RETURN(auto res, keep_fused_search(t, c, mp, SIZE_MAX, tried, label, &ranked));
        if (!res.met || res.k >= static_cast<int>(ranked)) {
          work = before;
          return false;
        }
        t.fused_activation_layers.insert(res.float_layers.begin(), res.float_layers.end());
        mp = res.score;
      }
      pol = t;
      best = mp;
      return true;
    };
    // The fastest configuration first, for models with SiLU/HardSwish: every conv INT8 (depthwise
    // included), activations as tables, and u8 zero points for the values barely below zero that
    // SiLU makes (twice the resolution of s8: what pays for the tables' extra rounding; YOLOX-Nano
    // full INT8 drop 0.3-0.6 at INT8/FP32 ~0.45). Taken when some calibrator meets the budget.
    // A configuration that misses it by less than kCloseMiss is kept as the starting point of the
    // float-layer search below, unless a later stage meets the budget outright: a few float layers
    // in it beat falling back to every depthwise conv float (YOLOX-Nano at 0.3: INT8/FP32 0.55 with
    // 7 float layers, against 0.71-0.84 from the depthwise-float policy).
    constexpr double kCloseMiss = 1.0;
    std::string search_start = "default";  // the configuration the float-layer search starts from
    struct CloseMiss {
      quant::QuantPolicy policy;
      quant::CalibOptions calib;
      nlohmann::json wins;
      double map = -1.0;
      ir::Graph* graph = nullptr;
      std::string name;
    };
    std::optional<CloseMiss> close;
    auto within = [&](double mp, double margin) { return mp >= 0.0 && fp32_map_cached - mp <= a.max_drop + margin; };
    bool fastest = false;
    if (policy.table_activations.empty() && calib.unsigned_if_nonnegative && calib.symmetric) {
      if (split_count < 0) {
        auto n = make_split_graph();
        if (!n.ok()) return report_error(n.status().with_context(a.model.model));
        split_count = *n;
      }
      if (split_count > 0) {
        quant::QuantPolicy f = policy;
        f.quantize_depthwise = true;
        f.table_activations = quant::kTableActivations;
        quant::CalibOptions c = calib;
        c.zero_points = true;
        ir::Graph* before = work;
        work = &split_graph;
        std::map<std::string, quant::CalibMethod> per_layer;
        nlohmann::json wins = nlohmann::json::object(), tried = nlohmann::json::object();
        // Per-layer calibrators are left out here: their four sweeps cost ~30 s and scored 6-7 mAP
        // below the best single calibrator on YOLOX-Nano and 1.2 below on YOLOv5n in this setting.
        auto mp = choose_calibrator(f, c, per_layer, wins, tried, "fastest (tables, zero points): ", false);
        if (!mp.ok()) return report_error(mp.status().with_context(a.model.model));
        calib_tried["fastest"] = tried;
        f.calib_methods = per_layer;
        double fmp = *mp;
        std::string tried_key = "fastest";  // where the chosen configuration's scores are listed
        // Missed: the same with every eligible depthwise input equalized (quant/equalize_depthwise.h),
        // kept when it scores better. YOLOv6Lite-S: 11 -> 30.9 mAP (FP32 30.6); not first, as it
        // costs speed where it is not needed (its factors stay in the producer convs' epilogues).
        if (!within(fmp, 0.0) && has_depthwise_conv(*work)) {
          quant::QuantPolicy fe = f;
          fe.equalize_depthwise = quant::EqualizeDepthwise::kAll;
          fe.calib_methods.clear();
          quant::CalibOptions ce = calib;
          ce.zero_points = true;
          std::map<std::string, quant::CalibMethod> per_layer_eq;
          nlohmann::json wins_eq = nlohmann::json::object(), tried_eq = nlohmann::json::object();
          auto emp = choose_calibrator(fe, ce, per_layer_eq, wins_eq, tried_eq,
                                       "fastest, depthwise inputs equalized: ", false);
          if (!emp.ok()) return report_error(emp.status().with_context(a.model.model));
          calib_tried["fastest_equalized"] = tried_eq;
          fe.calib_methods = per_layer_eq;
          if (*emp > fmp) {
            f = fe;
            c = ce;
            fmp = *emp;
            wins = wins_eq;
            tried_key = "fastest_equalized";
          }
        }
        if (within(fmp, kCloseMiss) && !within(fmp, 0.0)) {
          // Close: keep fused at most 8 blocks (beyond that the fused epilogues eat the gain, and on
          // YOLOX-Nano keeping 1-48 fused scored 0.2-1.4 below all tables).
          size_t ranked = 0;
          auto res = keep_fused_search(f, c, fmp, 8, calib_tried[tried_key], "fastest: ", &ranked);
          if (!res.ok()) return report_error(res.status().with_context(a.model.model));
          if (res->met) {
            f.fused_activation_layers.insert(res->float_layers.begin(), res->float_layers.end());
            fmp = res->score;
          }
        }
        if (within(fmp, 0.0)) {
          fastest = true;
          search_start = "fastest";
          best = fmp;
          policy = f;
          calib = c;
          layer_calibrators = wins;
        } else {
          if (within(fmp, kCloseMiss)) close = CloseMiss{f, c, wins, fmp, work, "fastest"};
          work = before;
        }
      }
    }
    // Then everything INT8, depthwise convs included, activations fused: taken when it meets the
    // budget (NanoDet-m: 0.12 drop with the percentile calibrator, INT8/FP32 0.49 instead of
    // 0.56), or kept as the close miss to start from when there is none yet. Otherwise the
    // policy's depthwise-float default is the starting point of the search.
    bool depthwise_int8 = false;
    if (!fastest && !policy.quantize_depthwise && has_depthwise_conv(*work)) {
      quant::QuantPolicy dw = policy;
      dw.quantize_depthwise = true;
      quant::CalibOptions c = calib;
      std::map<std::string, quant::CalibMethod> per_layer;
      nlohmann::json wins = nlohmann::json::object(), tried = nlohmann::json::object();
      auto mp = choose_calibrator(dw, c, per_layer, wins, tried, "depthwise INT8: ");
      if (!mp.ok()) return report_error(mp.status().with_context(a.model.model));
      calib_tried["depthwise_int8"] = tried;
      dw.calib_methods = per_layer;
      if (within(*mp, 0.0)) {
        depthwise_int8 = true;
        search_start = "depthwise_int8";
        best = *mp;
        policy = dw;
        calib = c;
        layer_calibrators = wins;
        auto tables = try_tables(policy, calib, calib_tried["depthwise_int8"], "depthwise INT8: ");
        if (!tables.ok()) return report_error(tables.status().with_context(a.model.model));
      } else if (within(*mp, kCloseMiss) && !close) {
        close = CloseMiss{dw, c, wins, *mp, work, "depthwise_int8"};
      }
    }
    // No configuration met the budget, one came close: the search starts from it.
    if (!fastest && !depthwise_int8 && close) {
      (close->name == "fastest" ? fastest : depthwise_int8) = true;
      search_start = close->name;
      best = close->map;
      policy = close->policy;
      calib = close->calib;
      layer_calibrators = close->wins;
      work = close->graph;
    }
    if (!fastest && !depthwise_int8) {
      std::map<std::string, quant::CalibMethod> per_layer;
      auto mp = choose_calibrator(policy, calib, per_layer, layer_calibrators, calib_tried, "");
      if (!mp.ok()) return report_error(mp.status().with_context(a.model.model));
      best = *mp;
      policy.calib_methods = per_layer;
      if (best >= 0.0 && fp32_map_cached - best <= a.max_drop) {
        auto tables = try_tables(policy, calib, calib_tried, "");
        if (!tables.ok()) return report_error(tables.status().with_context(a.model.model));
      }
    }
    // The channel-loss rule for the chosen calibrator: those layers are float before the search.
    auto ruled = quant::keep_channel_loss_float(*work, policy, *stats, calib, &losses, &qparams_cache);
    if (!ruled.ok()) return report_error(ruled.status().with_context(a.model.model));
    policy = *ruled;
    // The ranking: a file, or a one-float sweep with the chosen calibrator, scored by mAP on the
    // budget's validation images (or the first --rank-images) or by an output error metric. mAP is
    // the default because output SQNR is dominated by box coordinates: it ranked YOLOX-Nano's
    // decisive layer 49th.
    // Skipped when full INT8 with the chosen calibrator already meets the budget (the search then
    // stops at K = 0 without reading it).
    std::vector<std::string> ranking;
    const bool full_int8_passes = best >= 0.0 && fp32_map_cached - best <= a.max_drop;
    if (full_int8_passes) {
      if (!a.model.json) std::fprintf(stderr, "budget: full INT8 meets it, no layer ranking needed\n");
    } else if (!a.sensitivity_file.empty()) {
      auto r = quant::load_sensitivity_ranking(a.sensitivity_file);
      if (!r.ok()) return report_error(r.status());
      ranking = *r;
    } else {
      auto inputs = sweep_inputs();
      if (!inputs.ok()) return report_error(inputs.status());
      quant::SensitivityOptions so;
      so.threads = a.threads;
      so.progress = !a.model.json;
      so.mode = quant::SensitivityMode::kOneFloat;
      auto metric = quant::parse_sensitivity_metric(a.rank_metric);
      if (!metric.ok()) return report_error(metric.status());
      so.metric = *metric;
      if (so.metric == quant::SensitivityMetric::kMap) {
        // The images the budget is judged on by default: a ranking scored on a subset ranks layers
        // by that subset's noise (FastestDet: 38 float layers ranked on 64 images, 1 on all 128).
        so.map_fn = graph_map_fn(fp32->spec, &dataset, a.rank_images > 0 ? a.rank_images : a.val_images, a.threads,
                                 true);
      }
      auto rep = quant::analyze_sensitivity(*work, policy, *stats, calib, *inputs, so);
      if (!rep.ok()) return report_error(rep.status());
      for (const auto& l : rep->layers) ranking.push_back(l.layer);
    }
    // Layers already float (user --keep-float, --keep-float-top) are not candidates.
    std::vector<std::string> candidates;
    for (const auto& l : ranking) {
      if (!policy.keep_float.count(l)) candidates.push_back(l);
    }
    std::map<int, double> latency_of;
    const quant::QuantPolicy search_base = policy;
    quant::FloatSetScoreFn score = [&](const std::set<std::string>& fl) -> Expected<double> {
      quant::QuantPolicy p = search_base;
      p.keep_float.insert(fl.begin(), fl.end());
      YQ_ASSIGN_OR_RETURN(ir::Graph g, quant::build_quantized_graph(*work, p, *stats, calib, &qparams_cache));
      YQ_ASSIGN_OR_RETURN(auto e, runtime::Engine::create(g, eo));
      YQ_ASSIGN_OR_RETURN(double mp, map_of(e.get()));
      latency_of[static_cast<int>(fl.size())] = median_latency_ms(*e, probe0, 10);
      if (!a.model.json) {
        std::fprintf(stderr, "budget: %3zu layers float  mAP %.2f  (drop %.2f)\n", fl.size(), mp, fp32_map_cached - mp);
      }
      return mp;
    };
    auto res = quant::search_float_budget(candidates, fp32_map_cached, a.max_drop, score);
    if (!res.ok()) return report_error(res.status());
    policy.keep_float.insert(res->float_layers.begin(), res->float_layers.end());
    int8_map_cached = res->score;
    const double fp32_lat = median_latency_ms(*fp32->engine, probe0, 10);

    // The accuracy/latency curve: table + plot, one point per tried K.
    const std::string stem0 = a.out.substr(0, a.out.size() - 5);
    std::string md = "# Accuracy budget: " + a.model.model + "\n\n";
    char buf[256];
    const std::string val_count = a.val_images > 0 ? std::to_string(a.val_images) : std::string("all");
    std::snprintf(buf, sizeof(buf), "Calibrator %s; FP32 mAP %.2f on %s val images; budget: drop <= %.2f; FP32 latency %.2f ms.\n\n",
                  quant::calib_method_name(calib.method), fp32_map_cached, val_count.c_str(), a.max_drop, fp32_lat);
    md += buf;
    md += "| step | layers float | mAP | drop | INT8 ms | passes |\n|---:|---:|---:|---:|---:|---|\n";
    nlohmann::json steps = nlohmann::json::array();
    quant::LinePlot plot;
    plot.title = "accuracy budget: " + std::filesystem::path(a.model.model).filename().string();
    plot.x_label = "layers in float";
    plot.left.name = "mAP";
    plot.right.name = "INT8 latency ms";
    plot.left_reference = fp32_map_cached - a.max_drop;
    for (size_t i = 0; i < res->steps.size(); ++i) {
      const quant::BudgetStep& st = res->steps[i];
      std::snprintf(buf, sizeof(buf), "| %zu | %d | %.2f | %.2f | %.2f | %s |\n", i + 1, st.k, st.score, st.drop,
                    latency_of[st.k], st.passes ? "yes" : "no");
      md += buf;
      steps.push_back({{"layers_float", st.k}, {"map", st.score}, {"drop", st.drop},
                       {"int8_latency_ms", latency_of[st.k]}, {"passes", st.passes}});
      plot.left.x.push_back(st.k);
      plot.left.y.push_back(st.score);
      plot.right.x.push_back(st.k);
      plot.right.y.push_back(latency_of[st.k]);
    }
    std::snprintf(buf, sizeof(buf), "\nResult: %d layers float, mAP %.2f (drop %.2f), budget %s.\n", res->k, res->score,
                  res->drop, res->met ? "met" : "NOT met");
    md += buf;
    for (const auto& l : res->float_layers) md += "- `" + l + "`\n";
    const std::string md_path = stem0 + ".budget.md", png_path = stem0 + ".budget.png";
    if (Status s = write_file_atomic(md_path, md); !s.ok()) return report_error(s);
    if (Status s = quant::write_line_plot_png(png_path, plot); !s.ok()) return report_error(s);
    budget_json = {{"max_drop", a.max_drop}, {"met", res->met}, {"layers_float", res->k},
                   {"table_activations", !policy.table_activations.empty()},
                   {"zero_points", calib.zero_points},
                   {"search_start", search_start},
                   {"fused_activation_layers", policy.fused_activation_layers},
                   {"float_layers", res->float_layers}, {"calibrators", calib_tried},
                   {"fp32_latency_ms", fp32_lat}, {"steps", steps},
                   {"outputs", {{"table", md_path}, {"plot", png_path}}}};
  }

  if (!budget && a.per_layer_calibrator) {
    auto choice = choose_per_layer(policy, calib);
    if (!choice.ok()) return report_error(choice.status().with_context(a.model.model));
    policy.calib_methods = choice->methods;
    layer_calibrators = choice->wins;
  }
  if (!budget) {
    auto ruled = quant::keep_channel_loss_float(*work, policy, *stats, calib, &losses, &qparams_cache);
    if (!ruled.ok()) return report_error(ruled.status().with_context(a.model.model));
    policy = *ruled;
  }
  nlohmann::json loss_json = nlohmann::json::array();
  for (const quant::ChannelLoss& l : losses) {
    loss_json.push_back({{"layer", l.layer}, {"value", l.value}, {"channel", l.channel},
                         {"lost_channels", l.lost_channels}, {"channels", l.channels},
                         {"channel_abs_max", l.channel_abs_max}, {"scale", l.scale}, {"equalized", l.equalized}});
  }

  // Quantize a copy of the optimized FP32 graph with the final policy.
  ir::Graph qgraph = *work;
  auto plan = quant::plan_quantization(qgraph, policy);
  if (!plan.ok()) return report_error(plan.status().with_context(a.model.model));
  if (Status s = quant::apply_quantization(qgraph, *plan, *stats, calib, &qparams_cache); !s.ok()) return report_error(s);
  auto refused = quant::refuse_float_activations(qgraph);
  if (!refused.ok()) return report_error(refused.status().with_context(a.model.model));
  // With per-layer calibrators, groups without a choice (no scored reader) use calib.method.
  ranges_method = policy.calib_methods.empty() ? quant::calib_method_name(calib.method) : "per-layer";

  // Artifacts: build every byte in memory first, then write each file atomically.
  auto qdq = quant::export_qdq_onnx(qgraph);
  if (!qdq.ok()) return report_error(qdq.status().with_context(a.out));
  quant::RangesFile ranges;
  ranges.method = ranges_method;
  quant::TrtCalibCache trt;
  trt.trt_version = a.trt_version;
  // Thresholds per sharing group, from the group's merged statistics (what apply_quantization
  // calibrated), so the ranges file and the TensorRT cache state the scales actually used.
  for (size_t gi = 0; gi < plan->groups.size(); ++gi) {
    const std::vector<ir::ValueId>& group = plan->groups[gi];
    quant::TensorStats merged = stats->at(group.front());
    for (size_t i = 1; i < group.size(); ++i) {
      if (Status s = merged.merge(stats->at(group[i])); !s.ok()) return report_error(s);
    }
    auto threshold = quant::calibrate_threshold(merged, quant::group_calib_options(*plan, gi, calib));
    if (!threshold.ok()) return report_error(threshold.status());
    for (ir::ValueId v : group) {
      const ir::Value& val = qgraph.value(v);
      if (!val.qparams) continue;
      ranges.tensors[val.name] = quant::make_tensor_range(stats->at(v), *threshold, *val.qparams);
      // TensorRT caches are symmetric int8 only: scale = threshold / 127 (also for the tensors
      // yoloq stores as u8 with T / 255).
      if (!a.asymmetric) trt.scales.emplace_back(val.name, *threshold > 0.f ? *threshold / 127.f : val.qparams->scales[0]);
    }
  }
  auto trt_text = quant::trt_cache_to_text(trt);
  if (!trt_text.ok()) return report_error(trt_text.status());
  const std::string stem = a.out.substr(0, a.out.size() - 5);
  const std::string ranges_path = stem + ".ranges.json", trt_path = stem + ".trt.cache";
  if (Status s = quant::save_ranges_file(ranges_path, ranges); !s.ok()) return report_error(s);
  if (Status s = write_file_atomic(trt_path, *trt_text); !s.ok()) return report_error(s);
  if (Status s = write_file_atomic(a.out, *qdq); !s.ok()) return report_error(s);

  // Report: speed, size, float layers, accuracy.
  auto int8_engine = runtime::Engine::create(qgraph, eo);
  if (!int8_engine.ok()) return report_error(int8_engine.status().with_context(a.out));
  const Shape& in_shape = qgraph.value(qgraph.inputs()[0]).shape;
  Tensor probe = Tensor::zeros(DType::kF32, in_shape);
  // Interleaved in blocks (cli/latency.h): a slow spell of the machine hits both alike.
  std::vector<Tensor> probe_out;
  auto timed = [&](runtime::Engine& e) -> Expected<double> {
    const auto t0 = std::chrono::steady_clock::now();
    YQ_RETURN_IF_ERROR(e.run({&probe, 1}, &probe_out));
    return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  };
  const int blocks = std::max(1, a.bench_iters / 10);
  auto lat = compare_latency([&] { return timed(**int8_engine); }, [&] { return timed(*fp32->engine); }, blocks,
                             std::max(1, a.bench_iters / (2 * blocks)), 3);
  if (!lat.ok()) return report_error(lat.status().with_context(a.out));
  const double fp32_ms = lat->b_ms, int8_ms = lat->a_ms;
  std::error_code ec;
  const auto fp32_bytes = std::filesystem::file_size(a.model.model, ec);
  // Depthwise convs whose input apply_quantization equalized (quant/equalize_depthwise.h).
  std::vector<std::string> equalized;
  for (size_t i = 0; i < plan->group_equalized.size(); ++i)
    if (plan->group_equalized[i] != ir::kNoNode) equalized.push_back(qgraph.node(plan->group_equalized[i]).name);
  std::vector<std::string> depthwise_float;
  const std::vector<std::string> float_layers = float_compute_layers(qgraph, policy, *plan, &depthwise_float);
  const runtime::EngineStats& es = (*int8_engine)->stats();
  int table_activations = 0;  // --table-activations: activations the engine runs as byte tables
  // A table pass ("int8:table:silu") or one fused with its 1x1 conv ("int8:conv1x1+table:silu").
  for (const auto& k : es.kernels)
    table_activations += k.impl.rfind("int8:table:", 0) == 0 || k.impl.rfind("int8:conv1x1+table:", 0) == 0 ? 1 : 0;
  int zero_point_values = 0;  // --zero-points: activations stored as u8 with a zero point
  for (const auto& [name, r] : ranges.tensors) zero_point_values += r.zero_point != 0 ? 1 : 0;

  nlohmann::json j = {{"model", a.model.model},
                      {"family", fp32->spec.family},
                      {"method", ranges.method},
                      {"layer_calibrators", layer_calibrators},
                      {"calib_images", calib_report.images_used},
                      {"calib_skipped", calib_report.images_skipped},
                      {"outputs", {{"onnx", a.out}, {"ranges", ranges_path}, {"trt_cache", trt_path}}},
                      {"quantized_tensors", ranges.tensors.size()},
                      {"quantized_weights", plan->weights.size()},
                      {"float_layers", float_layers},
                      {"channel_loss", loss_json},
                      {"depthwise_float_layers", depthwise_float},
                      {"equalized_depthwise_layers", equalized},
                      {"table_activations", table_activations},
                      {"zero_point_values", zero_point_values},
                      {"latency_ms", {{"fp32", fp32_ms}, {"int8", int8_ms}, {"ratio", lat->ratio}}},
                      {"size_bytes", {{"fp32_onnx", fp32_bytes}, {"qdq_onnx", qdq->size()}, {"int8_weights", es.weight_bytes}}},
                      {"engine", {{"int8_kernels", es.int8_kernels}, {"quantize_ops", es.quantize_ops},
                                  {"dequantize_ops", es.dequantize_ops}, {"requantize_ops", es.requantize_ops},
                                  {"reorders", es.reorders}}}};
  if (!budget_json.is_null()) j["budget"] = budget_json;
  if (!a.val_dir.empty()) {
    eval::Dataset* ds = &dataset;
    eval::ValidateOptions vo;
    vo.max_images = a.val_images;
    vo.progress = !a.model.json;
    vo.label = "val fp32";
    auto r32 = eval::validate(fp32->run, fp32->spec, *ds, vo);
    if (!r32.ok()) return report_error(r32.status());
    runtime::Engine* e8 = int8_engine->get();
    eval::ModelFn run8 = [e8](const Tensor& in, std::vector<Tensor>* outs) { return e8->run({&in, 1}, outs); };
    vo.label = "val int8";
    auto r8 = eval::validate(run8, fp32->spec, *ds, vo);
    if (!r8.ok()) return report_error(r8.status());
    // The budget search scored the final configuration on the same images: a sanity check.
    if (budget && std::abs(r8->coco.stats[0] * 100 - int8_map_cached) > 1e-6) {
      YQ_LOG(Warning) << "quantize: final INT8 mAP " << r8->coco.stats[0] * 100 << " differs from the search's "
                      << int8_map_cached;
    }
    j["map"] = {{"fp32", r32->coco.stats[0] * 100}, {"int8", r8->coco.stats[0] * 100},
                {"drop", (r32->coco.stats[0] - r8->coco.stats[0]) * 100},
                {"fp32_ap50", r32->coco.stats[1] * 100}, {"int8_ap50", r8->coco.stats[1] * 100},
                {"images", r8->images}};
  }
  if (a.model.json) {
    print_json(j);
    return 0;
  }
  std::printf("quantized %s (%s) with %s calibration on %d images (%d skipped)\n", a.model.model.c_str(),
              fp32->spec.family.c_str(), ranges.method.c_str(), calib_report.images_used, calib_report.images_skipped);
  std::printf("  %zu activation tensors, %zu weights int8; %zu compute layers float%s\n", ranges.tensors.size(),
              plan->weights.size(), float_layers.size(), float_layers.empty() ? "" : ":");
  for (const auto& l : float_layers) std::printf("    %s\n", l.c_str());
  if (!depthwise_float.empty()) {
    std::printf("  %zu depthwise convs float by policy (--quantize-depthwise to quantize them)\n", depthwise_float.size());
  }
  if (table_activations > 0) {
    std::printf("  %d activations run as INT8 tables over their quantized pre-activations\n", table_activations);
  }
  if (zero_point_values > 0) std::printf("  %d values stored as u8 with a zero point\n", zero_point_values);
  if (!losses.empty()) {
    std::printf("  caught by the channel-loss rule (kept float, or with --equalize-depthwise equalized; "
                "--allow-channel-loss quantizes them as they are):\n");
  }
  for (const auto& l : losses) std::printf("    %s\n", quant::describe_channel_loss(l).c_str());
  if (!equalized.empty()) std::printf("  %zu depthwise convs read per-channel equalized inputs\n", equalized.size());
  std::printf("  wrote %s, %s, %s\n", a.out.c_str(), ranges_path.c_str(), trt_path.c_str());
  std::printf("  latency  fp32 %.2f ms  int8 %.2f ms  (int8/fp32 %.2f)\n", fp32_ms, int8_ms, lat->ratio);
  std::printf("  size     fp32 onnx %.2f MiB  qdq onnx %.2f MiB\n", fp32_bytes / 1048576.0, qdq->size() / 1048576.0);
  std::printf("  engine   %d int8 kernels, %d quantize, %d dequantize, %d requantize, %d reorders\n", es.int8_kernels,
              es.quantize_ops, es.dequantize_ops, es.requantize_ops, es.reorders);
  if (j.contains("map")) {
    std::printf("  mAP      fp32 %.2f  int8 %.2f  (drop %.2f) on %d images\n", j["map"]["fp32"].get<double>(),
                j["map"]["int8"].get<double>(), j["map"]["drop"].get<double>(), j["map"]["images"].get<int>());
  }
  return 0;
}

}  // namespace

Runner add_quantize_command(CLI::App& app) {
  auto a = std::make_shared<QuantizeArgs>();
  CLI::App* cmd = app.add_subcommand("quantize", "post-training INT8 quantization with a FP32-vs-INT8 report");
  a->model.add_to(*cmd);
  cmd->add_option("--calib", a->calib_dir, "folder of calibration images")->required();
  cmd->add_option("--calib-images", a->calib_images, "use only the first N calibration images (by name)");
  a->quant.add_to(*cmd, "calibrator: entropy, percentile, minmax, mse (--max-drop: best by mAP)");
  cmd->add_option("--out", a->out, "output QDQ ONNX file")->required();
  cmd->add_option("--val", a->val_dir, "labelled dataset to compare FP32 vs INT8 mAP (YOLO layout, val2017 split)");
  cmd->add_option("--val-images", a->val_images, "evaluate only the first N validation images");
  cmd->add_option("--keep-float", a->keep_float, "node names to leave in float");
  cmd->add_option("--keep-float-top", a->keep_float_top, "keep the K most sensitive layers of --sensitivity float");
  cmd->add_option("--sensitivity", a->sensitivity_file, "ranking JSON written by `yoloq sensitivity`");
  cmd->add_option("--max-drop", a->max_drop,
                  "accuracy budget in mAP points: return the fewest sensitive layers to float (needs --val)")
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--images", a->images, "calibration images for the error metrics of the --max-drop layer ranking")
      ->default_val(8);
  cmd->add_option("--rank-metric", a->rank_metric,
                  "--max-drop layer ranking without --sensitivity: map (on --rank-images val images), sqnr, mse, cosine")
      ->default_val("map");
  cmd->add_option("--rank-images", a->rank_images, "validation images the map ranking scores on (0: as --val-images)")
      ->default_val(0);
  cmd->add_flag("--per-layer-calibrator", a->per_layer_calibrator,
                "choose each tensor's calibrator by least layer-output error on --images images (--max-drop tries it anyway)");
  cmd->add_flag("--asymmetric", a->asymmetric, "asymmetric u8 activations instead of symmetric s8");
  cmd->add_option("--family", a->family, "model family if it cannot be detected from the outputs");
  cmd->add_option("--threads", a->threads, "threads (0: all cores)");
  cmd->add_option("--trt-version", a->trt_version, "TensorRT version written in the calibration cache header");
  return [a] {
    return run_quantize(*a);
  };
}

}  // namespace yq::cli
