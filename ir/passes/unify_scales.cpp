// SPDX-License-Identifier: Apache-2.0
#include "ir/passes/unify_scales.h"

#include <algorithm>
#include <cmath>
#include <vector>

namespace yq::ir {

namespace {

// The ONNX and ir/quantized_ir.md list of ops that copy input elements to outputs unchanged.
std::set<std::string> default_ops() {
  return {"MaxPool", "Resize",    "Slice",   "Split",     "Reshape", "Flatten",
          "Transpose", "Squeeze", "Unsqueeze", "Concat", "Gather"};
}

bool same_qparams(const QParams& a, const QParams& b) {
  return a.dtype == b.dtype && a.scales == b.scales && a.zero_points == b.zero_points && a.axis == b.axis &&
         a.qmin == b.qmin && a.qmax == b.qmax;
}

// The tied values of `n` that carry per-tensor QParams, in input-then-output order.
std::vector<ValueId> tied_quantized(const Graph& g, const Node& n) {
  std::vector<ValueId> tied;
  auto add = [&](ValueId v) {
    if (v == kNoValue) return;
    const Value& val = g.value(v);
    if (!val.qparams || val.qparams->per_channel()) return;
    if (std::find(tied.begin(), tied.end(), v) == tied.end()) tied.push_back(v);
  };
  if (n.op_type == "Concat") {
    for (ValueId in : n.inputs()) add(in);
  } else {
    add(n.input(0));
  }
  for (ValueId out : n.outputs()) add(out);
  return tied;
}

Expected<QParams> widest(const Graph& g, const Node& n, const std::vector<ValueId>& tied) {
  const QParams& first = *g.value(tied[0]).qparams;
  bool same_grid = true;
  for (ValueId v : tied) {
    const QParams& q = *g.value(v).qparams;
    if (q.dtype != first.dtype) {
      return unsupported("unify_scales: node '" + n.name + "' ties values quantized as " + dtype_name(first.dtype) +
                         " and " + dtype_name(q.dtype));
    }
    same_grid = same_grid && q.qmin == first.qmin && q.qmax == first.qmax && q.zero_points == first.zero_points;
  }
  if (same_grid) {
    QParams best = first;
    for (ValueId v : tied) best.scales[0] = std::max(best.scales[0], g.value(v).qparams->scales[0]);
    return best;
  }
  double lo = 0.0, hi = 0.0;
  for (ValueId v : tied) {
    const QParams& q = *g.value(v).qparams;
    lo = std::min(lo, (static_cast<double>(q.qmin) - q.zero_points[0]) * q.scales[0]);
    hi = std::max(hi, (static_cast<double>(q.qmax) - q.zero_points[0]) * q.scales[0]);
  }
  QParams out = first;
  const double scale = (hi - lo) / (static_cast<double>(first.qmax) - first.qmin);
  out.scales = {static_cast<float>(scale)};
  const double zp = std::nearbyint(first.qmin - lo / scale);
  out.zero_points = {static_cast<int32_t>(std::clamp<double>(zp, first.qmin, first.qmax))};
  YQ_RETURN_IF_ERROR(out.validate().with_context("unify_scales: node '" + n.name + "'"));
  return out;
}

}  // namespace

UnifyScales::UnifyScales() : ops_(default_ops()) {}
UnifyScales::UnifyScales(std::set<std::string> scale_preserving_ops) : ops_(std::move(scale_preserving_ops)) {}

bool UnifyScales::match(const Graph& g, NodeId id) const {
  const Node& n = g.node(id);
  if (!ops_.count(n.op_type) || !n.domain.empty()) return false;
  if (n.op_type == "Resize" && n.attrs.get_string("mode", "nearest") != "nearest") return false;
  const std::vector<ValueId> tied = tied_quantized(g, n);
  for (size_t i = 1; i < tied.size(); ++i) {
    if (!same_qparams(*g.value(tied[i]).qparams, *g.value(tied[0]).qparams)) return true;
  }
  return false;
}

Expected<bool> UnifyScales::apply(Graph& g, NodeId id) {
  if (!match(g, id)) return false;
  const Node& n = g.node(id);
  const std::vector<ValueId> tied = tied_quantized(g, n);
  YQ_ASSIGN_OR_RETURN(QParams best, widest(g, n, tied));
  for (ValueId v : tied) g.value(v).qparams = best;
  return true;
}

Expected<int> unify_scales(Graph& g) {
  UnifyScales pass;
  int total = 0;
  // Each application only widens ranges and makes one more node consistent; a fixpoint is reached
  // within (number of nodes) rounds, and in practice in two.
  const size_t max_rounds = g.node_capacity() + 1;
  for (size_t round = 0; round < max_rounds; ++round) {
    YQ_ASSIGN_OR_RETURN(int changed, run_pass_once(g, pass));
    total += changed;
    if (changed == 0) return total;
  }
  return internal_error("unify_scales: no fixpoint after " + std::to_string(max_rounds) + " rounds");
}

}  // namespace yq::ir
