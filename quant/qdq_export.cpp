// SPDX-License-Identifier: Apache-2.0
#include "quant/qdq_export.h"

#include <algorithm>
#include <vector>

#include "base/file_io.h"
#include "ir/onnx/onnx_export.h"
#include "ir/passes/unfuse_for_export.h"
#include "ir/passes/upgrade_opset.h"
#include "quant/qmath.h"

namespace yq::quant {

namespace {

using ir::Graph;
using ir::QParams;
using ir::ValueId;

Tensor zero_point_tensor(const QParams& qp, bool as_vector) {
  const Shape shape = as_vector ? Shape{static_cast<int64_t>(qp.zero_points.size())} : Shape{};
  Tensor t = Tensor::empty(qp.dtype, shape);
  for (size_t i = 0; i < qp.zero_points.size(); ++i) {
    if (qp.dtype == DType::kI8) {
      t.data<int8_t>()[i] = static_cast<int8_t>(qp.zero_points[i]);
    } else {
      t.data<uint8_t>()[i] = static_cast<uint8_t>(qp.zero_points[i]);
    }
  }
  return t;
}

Tensor scale_tensor(const QParams& qp, bool as_vector) {
  const Shape shape = as_vector ? Shape{static_cast<int64_t>(qp.scales.size())} : Shape{};
  return Tensor::from_vector<float>(qp.scales, shape);
}

// A constant with QParams: stored quantized, dequantized by one DequantizeLinear.
void quantize_constant(Graph& g, ValueId w) {
  const std::string name = g.value(w).name;
  const QParams qp = *g.value(w).qparams;
  const Tensor q = quantize_tensor(*g.value(w).constant, qp);
  const Shape shape = g.value(w).shape.empty() ? g.value(w).constant->shape() : g.value(w).shape;
  const bool per_channel = qp.per_channel();
  const ValueId qv = g.add_constant(g.unique_name(name + "_quantized"), q);
  const ValueId sv = g.add_constant(g.unique_name(name + "_scale"), scale_tensor(qp, per_channel));
  const ValueId zv = g.add_constant(g.unique_name(name + "_zero_point"), zero_point_tensor(qp, per_channel));
  const ValueId dq = g.add_value(g.unique_name(name + "_dequantized"), DType::kF32, shape, true);
  g.replace_all_uses(w, dq);
  ir::Attributes at;
  if (per_channel) at.set("axis", static_cast<int64_t>(qp.axis));
  g.add_node("DequantizeLinear", g.unique_name(name + "_DequantizeLinear"), {qv, sv, zv}, {dq}, at);
  g.value(w).qparams.reset();
}

// An activation with QParams: v -> Q -> DQ, readers read the DQ output.
void insert_qdq(Graph& g, ValueId v) {
  const ir::Value& val = g.value(v);
  const std::string name = val.name;
  const QParams qp = *val.qparams;
  const Shape shape = val.shape;
  const bool known = val.shape_known;
  const ir::NodeId producer = val.producer();
  const ValueId sv = g.add_constant(g.unique_name(name + "_scale"), scale_tensor(qp, false));
  const ValueId zv = g.add_constant(g.unique_name(name + "_zero_point"), zero_point_tensor(qp, false));
  const ValueId qv = g.add_value(g.unique_name(name + "_quantized"), qp.dtype, shape, known);
  ValueId q_in = v, dq_out;
  if (g.is_graph_output(v) && producer != ir::kNoNode) {
    // The output's name is the model's interface: the DequantizeLinear writes it, the producer
    // writes a renamed float value.
    const auto& outs = g.node(producer).outputs();
    const size_t idx = static_cast<size_t>(std::find(outs.begin(), outs.end(), v) - outs.begin());
    q_in = g.add_value(g.unique_name(name + "_float"), DType::kF32, shape, known);
    g.set_node_output(producer, idx, q_in);
    dq_out = v;
  } else {
    dq_out = g.add_value(g.unique_name(name + "_dequantized"), DType::kF32, shape, known);
    g.replace_all_uses(v, dq_out);
  }
  g.add_node("QuantizeLinear", g.unique_name(name + "_QuantizeLinear"), {q_in, sv, zv}, {qv});
  g.add_node("DequantizeLinear", g.unique_name(name + "_DequantizeLinear"), {qv, sv, zv}, {dq_out});
  g.value(v).qparams.reset();
}

}  // namespace

Expected<Graph> build_qdq_graph(const Graph& src) {
  Graph g = src;
  ir::UnfuseForExport unfuse;
  YQ_ASSIGN_OR_RETURN(int unfused, ir::run_pass_once(g, unfuse));
  (void)unfused;
  for (ir::NodeId id : g.live_nodes()) {
    const ir::Node& n = g.node(id);
    if (!n.domain.empty() && n.domain != "ai.onnx") {
      return unsupported("qdq export: node '" + n.name + "' (" + n.op_type + ") is in domain '" + n.domain +
                         "', which plain ONNX runtimes do not have");
    }
  }
  g.opsets.erase("yq");
  YQ_RETURN_IF_ERROR(ir::upgrade_opset_to_13(g));

  // Snapshot: the loop adds values.
  const size_t n_values = g.value_capacity();
  for (size_t i = 0; i < n_values; ++i) {
    const ValueId v = static_cast<ValueId>(i);
    const ir::Value& val = g.value(v);
    if (!val.alive() || !val.qparams) continue;
    YQ_RETURN_IF_ERROR(val.qparams->validate().with_context("qdq export: value '" + val.name + "'"));
    if (val.dtype != DType::kF32) {
      return unsupported("qdq export: value '" + val.name + "' has QParams but is " + dtype_name(val.dtype) +
                         ", expected f32");
    }
    if (val.is_constant()) {
      quantize_constant(g, v);
    } else {
      if (val.qparams->per_channel()) {
        return unsupported("qdq export: activation '" + val.name + "' has per-channel QParams; only weights may");
      }
      insert_qdq(g, v);
    }
  }
  g.sweep_values();
  auto it = g.opsets.find("");
  if (it == g.opsets.end() || it->second < 13) g.opsets[""] = 13;
  YQ_RETURN_IF_ERROR(g.verify().with_context("qdq export"));
  return g;
}

Expected<std::string> export_qdq_onnx(const Graph& g) {
  YQ_ASSIGN_OR_RETURN(Graph q, build_qdq_graph(g));
  return ir::export_onnx_bytes(q);
}

Status export_qdq_onnx_file(const Graph& g, const std::string& path) {
  auto bytes = export_qdq_onnx(g);
  if (!bytes.ok()) return bytes.status().with_context(path);
  return write_file_atomic(path, *bytes);
}

}  // namespace yq::quant
