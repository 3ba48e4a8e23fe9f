// SPDX-License-Identifier: Apache-2.0
#include "quant/layerwise_compare.h"

#include <algorithm>
#include <cmath>
#include <map>

#include "ir/passes/pattern_utils.h"
#include "runtime/engine.h"

namespace yq::quant {
namespace {

// Float activations (not constants, not graph inputs) produced in both graphs, in the float
// graph's topological order.
std::vector<ir::ValueId> common_values(const ir::Graph& f, const ir::Graph& q) {
  std::vector<ir::ValueId> out;
  for (ir::NodeId n : f.topo_order()) {
    for (ir::ValueId v : f.node(n).outputs()) {
      if (v == ir::kNoValue || f.value(v).dtype != DType::kF32) continue;
      auto qv = q.find_value(f.value(v).name);
      if (!qv || q.value(*qv).producer() == ir::kNoNode || q.value(*qv).shape != f.value(v).shape) continue;
      out.push_back(v);
    }
  }
  return out;
}

// The per-channel factors a FusedConv channel scale S put on `v` in the quantized graph (an
// equalized depthwise input, quant/equalize_depthwise.h): the float graph's tensor is v / S.
std::vector<float> channel_factors(const ir::Graph& q, ir::ValueId v) {
  const ir::Value& val = q.value(v);
  if (val.producer() == ir::kNoNode || val.shape.size() < 2) return {};
  const ir::Node& n = q.node(val.producer());
  const Tensor* s = ir::is_fused_conv(n) && n.output(0) == v ? ir::constant_f32(q, n.input(ir::kFusedConvChannelScaleInput))
                                                              : nullptr;
  if (s == nullptr || s->numel() != val.shape[1]) return {};
  return std::vector<float>(s->data<float>(), s->data<float>() + s->numel());
}

// q / S along dim 1 of an NCHW tensor.
Tensor unscale_channels(const Tensor& q, const std::vector<float>& s) {
  Tensor out = q.clone();
  const int64_t c = q.dim(1), inner = q.numel() / (q.dim(0) * c);
  float* p = out.data<float>();
  for (int64_t i = 0; i < q.numel(); ++i) p[i] /= s[static_cast<size_t>((i / inner) % c)];
  return out;
}

}  // namespace

Expected<std::vector<TensorComparison>> compare_layerwise(const ir::Graph& float_graph, const ir::Graph& quant_graph,
                                                          const std::vector<std::vector<Tensor>>& inputs,
                                                          const CompareOptions& opts) {
  if (inputs.empty()) return invalid_argument("compare: no input samples");
  const std::vector<ir::ValueId> values = common_values(float_graph, quant_graph);
  if (values.empty()) return invalid_argument("compare: the two models share no tensor names");
  std::vector<std::string> names;
  std::vector<std::vector<float>> factors;  // per compared tensor: channel scales to undo (usually none)
  for (ir::ValueId v : values) {
    names.push_back(float_graph.value(v).name);
    factors.push_back(channel_factors(quant_graph, *quant_graph.find_value(names.back())));
  }

  runtime::EngineOptions fo;
  fo.threads = opts.threads;
  fo.keep_values = names;
  runtime::EngineOptions qo = fo;
  qo.use_onednn = opts.use_int8_engine;
  YQ_ASSIGN_OR_RETURN(auto fe, runtime::Engine::create(float_graph, fo));
  YQ_ASSIGN_OR_RETURN(auto qe, runtime::Engine::create(quant_graph, qo));

  std::vector<TensorComparison> rows(values.size());
  for (TensorComparison& row : rows) row.metrics = {0.0, 0.0, 0.0, 0.0};  // accumulators
  std::vector<Tensor> outs;
  for (const std::vector<Tensor>& sample : inputs) {
    YQ_RETURN_IF_ERROR(fe->run(sample, &outs));
    YQ_RETURN_IF_ERROR(qe->run(sample, &outs));
    for (size_t i = 0; i < values.size(); ++i) {
      YQ_ASSIGN_OR_RETURN(Tensor r, fe->kept_value(names[i]));
      YQ_ASSIGN_OR_RETURN(Tensor q, qe->kept_value(names[i]));
      if (!factors[i].empty()) q = unscale_channels(q, factors[i]);
      const ErrorMetrics m = compare_tensors(q.values<float>(), r.values<float>());
      ErrorMetrics& acc = rows[i].metrics;
      acc.mse += m.mse;
      // An exact match has infinite SQNR; cap it so the average stays finite and readable.
      acc.sqnr_db += std::min(m.sqnr_db, 200.0);
      acc.cosine += m.cosine;
      acc.max_abs = std::max(acc.max_abs, m.max_abs);
    }
  }
  const double k = 1.0 / static_cast<double>(inputs.size());
  std::map<ir::ValueId, double> sqnr_of;
  for (size_t i = 0; i < values.size(); ++i) {
    TensorComparison& row = rows[i];
    row.name = names[i];
    row.metrics.mse *= k;
    row.metrics.sqnr_db *= k;
    row.metrics.cosine *= k;
    const ir::Value& fv = float_graph.value(values[i]);
    row.producer_op = fv.producer() == ir::kNoNode ? "" : float_graph.node(fv.producer()).op_type;
    row.quantized = quant_graph.value(*quant_graph.find_value(row.name)).qparams.has_value();
    sqnr_of[values[i]] = row.metrics.sqnr_db;
    // A jump: this tensor is much noisier than the noisiest compared input of its producer.
    double upstream = 200.0;
    if (fv.producer() != ir::kNoNode) {
      for (ir::ValueId in : float_graph.node(fv.producer()).inputs()) {
        if (auto it = sqnr_of.find(in); it != sqnr_of.end()) upstream = std::min(upstream, it->second);
      }
    }
    row.jump = row.metrics.sqnr_db < upstream - opts.jump_db;
  }
  return rows;
}

}  // namespace yq::quant
