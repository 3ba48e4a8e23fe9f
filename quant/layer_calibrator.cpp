// SPDX-License-Identifier: Apache-2.0
#include "quant/layer_calibrator.h"

#include <cmath>
#include <cstdio>
#include <limits>

#include "quant/sensitivity.h"

namespace yq::quant {

Expected<LayerCalibratorChoice> choose_layer_calibrators(const ir::Graph& float_graph, const QuantPolicy& policy,
                                                         const std::map<ir::ValueId, TensorStats>& stats,
                                                         const CalibOptions& calib,
                                                         const std::vector<CalibMethod>& candidates,
                                                         const std::vector<std::vector<Tensor>>& inputs, int threads,
                                                         bool progress) {
  if (candidates.empty()) return invalid_argument("choose_layer_calibrators: no candidate calibrators");
  // Per-group methods already in the policy would override every sweep's method (the plan applies
  // them to their groups) and make all candidates score alike: the sweeps start without them.
  QuantPolicy sweep_policy = policy;
  sweep_policy.calib_methods.clear();
  YQ_ASSIGN_OR_RETURN(QuantPlan plan, plan_quantization(float_graph, sweep_policy));
  // Relative output error per (method, layer name).
  std::vector<std::map<std::string, double>> error(candidates.size());
  for (size_t m = 0; m < candidates.size(); ++m) {
    CalibOptions c = calib;
    c.method = candidates[m];
    SensitivityOptions so;
    so.mode = SensitivityMode::kOneQuantized;
    so.metric = SensitivityMetric::kMse;
    so.threads = threads;
    so.progress = progress;
    if (progress) std::fprintf(stderr, "per-layer calibrators: %s sweep\n", calib_method_name(c.method));
    auto report = analyze_sensitivity(float_graph, sweep_policy, stats, c, inputs, so);
    if (!report.ok()) return report.status().with_context(std::string("per-layer calibrators (") +
                                                          calib_method_name(c.method) + ")");
    for (const LayerSensitivity& l : report->layers)
      error[m][l.layer] = std::pow(10.0, -std::min(l.layer_error.sqnr_db, 200.0) / 10.0);
  }
  // Readers of each value among the quantized compute layers: input X (0) and residual R (3).
  std::map<ir::ValueId, std::vector<std::string>> readers;
  for (ir::NodeId id : plan.compute_nodes) {
    const ir::Node& n = float_graph.node(id);
    for (size_t i : {size_t{0}, size_t{3}})
      if (i < n.inputs().size() && n.input(i) != ir::kNoValue) readers[n.input(i)].push_back(n.name);
  }
  LayerCalibratorChoice choice;
  for (const auto& group : plan.groups) {
    if (group.empty()) continue;
    size_t best = 0;
    double best_cost = std::numeric_limits<double>::infinity();
    bool read = false;
    for (size_t m = 0; m < candidates.size(); ++m) {
      double cost = 0.0;
      for (ir::ValueId v : group) {
        auto it = readers.find(v);
        if (it == readers.end()) continue;
        for (const std::string& layer : it->second) {
          auto e = error[m].find(layer);
          if (e != error[m].end()) {
            cost += e->second;
            read = true;
          }
        }
      }
      if (cost < best_cost) {
        best_cost = cost;
        best = m;
      }
    }
    if (!read) continue;  // no scored reader (e.g. only read by layers the policy keeps float)
    choice.methods[float_graph.value(group.front()).name] = candidates[best];
    ++choice.wins[calib_method_name(candidates[best])];
  }
  return choice;
}

}  // namespace yq::quant
