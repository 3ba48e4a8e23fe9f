// SPDX-License-Identifier: Apache-2.0
#include "ir/passes/absorb_qdq.h"

#include <algorithm>
#include <optional>
#include <vector>

namespace yq::ir {

namespace {

bool is_q(const Node& n) { return n.op_type == "QuantizeLinear" && n.domain.empty(); }
bool is_dq(const Node& n) { return n.op_type == "DequantizeLinear" && n.domain.empty(); }

std::string label(const Node& n) { return "node '" + n.name + "' (" + n.op_type + ")"; }

// The qparams a Q/DQ node describes, read from its constant scale / zero point. nullopt when a
// parameter is not a constant (the node then stays and runs on the reference kernel).
// `int_dtype` is the integer side's dtype (Q's output, DQ's input).
std::optional<Expected<QParams>> node_qparams(const Graph& g, const Node& n, DType int_dtype) {
  const ValueId sv = n.input(1), zv = n.input(2);
  if (sv == kNoValue || !g.value(sv).is_constant()) return std::nullopt;
  if (zv != kNoValue && !g.value(zv).is_constant()) return std::nullopt;
  const Tensor& s = *g.value(sv).constant;
  if (s.dtype() != DType::kF32 || s.numel() < 1) return std::nullopt;
  QParams q;
  q.dtype = int_dtype;
  q.qmin = int_dtype == DType::kI8 ? -128 : 0;
  q.qmax = int_dtype == DType::kI8 ? 127 : 255;
  for (int64_t i = 0; i < s.numel(); ++i) q.scales.push_back(s.data<float>()[i]);
  if (zv != kNoValue) {
    std::vector<int64_t> z = g.value(zv).constant->to_int64_vector();
    if (static_cast<int64_t>(z.size()) != s.numel())
      return Expected<QParams>(invalid_model(label(n) + ": zero point has " + std::to_string(z.size()) +
                                             " values, expected " + std::to_string(s.numel())));
    for (int64_t v : z) q.zero_points.push_back(static_cast<int32_t>(v));
  } else {
    q.zero_points.assign(q.scales.size(), 0);
  }
  // A 1-D scale is per-axis (ONNX opset 13; axis defaults to 1); one element is per-tensor.
  if (s.numel() > 1) {
    int64_t axis = n.attrs.get_int("axis", 1);
    const int64_t rank = static_cast<int64_t>(g.value(n.input(0)).shape.size());
    if (axis < 0) axis += rank;
    if (axis < 0 || axis >= rank)
      return Expected<QParams>(invalid_model(label(n) + ": axis " + std::to_string(n.attrs.get_int("axis", 1)) +
                                             " is out of range for rank " + std::to_string(rank)));
    q.axis = static_cast<int>(axis);
  }
  if (Status st = q.validate(); !st.ok()) return Expected<QParams>(st.with_context(label(n)));
  return Expected<QParams>(std::move(q));
}

bool same_qparams(const QParams& a, const QParams& b) {
  return a.dtype == b.dtype && a.scales == b.scales && a.zero_points == b.zero_points && a.axis == b.axis &&
         a.qmin == b.qmin && a.qmax == b.qmax;
}

std::string describe(const QParams& q) {
  std::string s = "{" + std::string(dtype_name(q.dtype)) + " scale " + std::to_string(q.scales[0]) + " zp " +
                  std::to_string(q.zero_points[0]);
  if (q.per_channel()) s += " ... (" + std::to_string(q.scales.size()) + " channels, axis " + std::to_string(q.axis) + ")";
  return s + "}";
}

DType int_side_dtype(const Graph& g, const Node& n) {
  return is_q(n) ? g.value(n.output(0)).dtype : g.value(n.input(0)).dtype;
}

bool params_constant(const Graph& g, const Node& n) {
  return n.input(1) != kNoValue && g.value(n.input(1)).is_constant() &&
         (n.input(2) == kNoValue || g.value(n.input(2)).is_constant());
}

// A DequantizeLinear of an initializer: its input has no producer.
bool is_constant_dq(const Graph& g, const Node& n) {
  if (!is_dq(n) || n.input(0) == kNoValue || !params_constant(g, n)) return false;
  const Value& x = g.value(n.input(0));
  return x.is_constant() && x.producer() == kNoNode;
}

bool has_dq_reader(const Graph& g, const Node& q) {
  for (NodeId c : g.value(q.output(0)).consumers())
    if (is_dq(g.node(c))) return true;
  return false;
}

}  // namespace

bool AbsorbQdq::match(const Graph& g, NodeId id) const {
  const Node& n = g.node(id);
  if (is_q(n)) return n.output(0) != kNoValue && params_constant(g, n) && has_dq_reader(g, n);
  return is_constant_dq(g, n);
}

Expected<bool> AbsorbQdq::apply(Graph& g, NodeId id) {
  if (!match(g, id)) return false;
  const Node& n = g.node(id);

  if (is_dq(n)) {
    const ValueId y = n.output(0);
    const Tensor& q = *g.value(n.input(0)).constant;
    const DType qt = q.dtype();
    if (qt != DType::kI8 && qt != DType::kU8 && qt != DType::kI32)
      return invalid_model(label(n) + ": input must be int8, uint8 or int32, found " + dtype_name(qt));
    // The dequantized values, exactly as DequantizeLinear computes them: (q - z) * s in f32.
    std::optional<Expected<QParams>> qp = node_qparams(g, n, qt == DType::kI32 ? DType::kI8 : qt);
    if (!qp) return false;
    if (qt != DType::kI32 && !qp->ok()) return qp->status();
    std::vector<float> scales;
    std::vector<int32_t> zps;
    int64_t inner = 1, channels = 1;
    {
      const Tensor& s = *g.value(n.input(1)).constant;
      for (int64_t i = 0; i < s.numel(); ++i) scales.push_back(s.data<float>()[i]);
      if (n.input(2) != kNoValue) {
        for (int64_t v : g.value(n.input(2)).constant->to_int64_vector()) zps.push_back(static_cast<int32_t>(v));
      } else {
        zps.assign(scales.size(), 0);
      }
      if (scales.size() > 1) {
        int64_t axis = n.attrs.get_int("axis", 1);
        if (axis < 0) axis += q.rank();
        if (axis < 0 || axis >= q.rank() || q.dim(static_cast<int>(axis)) != static_cast<int64_t>(scales.size()))
          return invalid_model(label(n) + ": " + std::to_string(scales.size()) + " scales do not match input " +
                               shape_str(q.shape()) + " at axis " + std::to_string(n.attrs.get_int("axis", 1)));
        channels = static_cast<int64_t>(scales.size());
        for (int d = static_cast<int>(axis) + 1; d < q.rank(); ++d) inner *= q.dim(d);
      }
      if (zps.size() != scales.size())
        return invalid_model(label(n) + ": zero point has " + std::to_string(zps.size()) + " values, expected " +
                             std::to_string(scales.size()));
    }
    Tensor f = Tensor::empty(DType::kF32, q.shape());
    std::vector<int64_t> qv = q.to_int64_vector();
    for (int64_t i = 0; i < q.numel(); ++i) {
      const int64_t c = (i / inner) % channels;
      f.data<float>()[i] = static_cast<float>(static_cast<int32_t>(qv[i]) - zps[c]) * scales[c];
    }
    g.remove_node(id);
    Value& yv = g.value(y);
    yv.dtype = DType::kF32;
    yv.shape = q.shape();
    yv.shape_known = true;
    yv.constant = std::move(f);
    // An int32 tensor (a bias quantized with s_x*s_w) has no int8 qparams: it stays plain f32.
    if (qt != DType::kI32) yv.qparams = std::move(qp->value());
    return true;
  }

  // x -> Q -> q -> DQ... : every reader of q must be a DQ with Q's parameters.
  const std::string q_name = n.name;
  const ValueId x = n.input(0), qv = n.output(0);
  std::optional<Expected<QParams>> qp = node_qparams(g, n, int_side_dtype(g, n));
  if (!qp) return false;
  if (!qp->ok()) return qp->status();
  QParams params = std::move(qp->value());
  if (g.is_graph_output(qv))
    return invalid_model(label(n) + ": its quantized output '" + g.value(qv).name +
                         "' is a graph output and also read by DequantizeLinear; expected only DequantizeLinear readers");
  std::vector<NodeId> dqs;
  for (NodeId c : g.value(qv).consumers()) {
    const Node& cn = g.node(c);
    if (!is_dq(cn))
      return invalid_model(label(n) + ": its output '" + g.value(qv).name + "' is also read by " + label(cn) +
                           "; expected only DequantizeLinear readers");
    if (cn.input(0) != qv) return invalid_model(label(cn) + ": reads '" + g.value(qv).name + "' as a scale/zero point");
    std::optional<Expected<QParams>> dp = params_constant(g, cn) ? node_qparams(g, cn, int_side_dtype(g, cn)) : std::nullopt;
    if (!dp) return invalid_model(label(cn) + ": scale/zero point are not constants; cannot check them against " + label(n));
    if (!dp->ok()) return dp->status();
    if (!same_qparams(params, dp->value()))
      return invalid_model(label(cn) + ": inconsistent scales: dequantizes with " + describe(dp->value()) + " but " +
                           label(n) + " quantized with " + describe(params));
    if (std::find(dqs.begin(), dqs.end(), c) == dqs.end()) dqs.push_back(c);
  }
  Value& xv = g.value(x);
  if (xv.qparams && !same_qparams(*xv.qparams, params)) {
    auto it = origin_.find(x);
    const std::string other = it != origin_.end() ? "node '" + it->second + "'" : "qparams set before import";
    return invalid_model(label(n) + ": inconsistent scales: '" + xv.name + "' is quantized with " + describe(params) +
                         " here and with " + describe(*xv.qparams) + " by " + other);
  }
  // Every reader of x must read it through a Q: qparams make every consumer read fake_quant(x).
  for (NodeId c : xv.consumers())
    if (!is_q(g.node(c)))
      return unsupported(label(n) + ": '" + xv.name + "' is also read unquantized by " + label(g.node(c)) +
                         "; yoloq's qparams apply to every reader of a value");
  if (g.is_graph_output(x))
    return unsupported(label(n) + ": '" + xv.name + "' is also a graph output read unquantized");

  g.value(x).qparams = params;
  origin_[x] = q_name;
  ValueId survivor = x;
  for (NodeId d : dqs) {
    const ValueId y = g.node(d).output(0);
    g.remove_node(d);
    // A DQ output that is a graph output keeps its name: x's producer writes it instead, once.
    if (g.is_graph_output(y) && survivor == x && g.value(x).producer() != kNoNode && !g.is_graph_input(x)) {
      const NodeId p = g.value(x).producer();
      const Node& pn = g.node(p);
      size_t idx = 0;
      while (pn.output(idx) != x) ++idx;
      g.remove_node(id);  // Q: x's only consumer besides other Q's of the same params
      g.replace_all_uses(x, y);
      // set_node_output needs y without a producer (true: its DQ was removed).
      Value& yv = g.value(y);
      yv.qparams = params;
      yv.dtype = DType::kF32;
      yv.shape = g.value(x).shape;
      yv.shape_known = g.value(x).shape_known;
      // x loses its producer here; the graph now computes y where it computed x.
      g.set_node_output(p, idx, y);
      origin_[y] = q_name;
      survivor = y;
    } else {
      g.replace_all_uses(y, survivor);
    }
  }
  if (g.node(id).alive()) g.remove_node(id);
  return true;
}

}  // namespace yq::ir
