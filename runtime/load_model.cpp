// SPDX-License-Identifier: Apache-2.0
#include "runtime/load_model.h"

#include "ir/onnx/onnx_import.h"
#include "ir/shape_inference.h"
#include "runtime/kernels/ref/ref_kernels.h"

namespace yq::runtime {

Expected<LoadedModel> load_model(const std::string& path, const LoadOptions& opts) {
  auto in_context = [&](const Status& s) { return s.with_context(path); };
  auto imported = ir::import_onnx_file(path);
  if (!imported.ok()) {
    // The importer already names the file in I/O and parse errors; avoid "m.onnx: m.onnx: ...".
    const std::string& m = imported.status().message();
    return m.rfind(path, 0) == 0 ? imported.status() : in_context(imported.status());
  }
  LoadedModel out;
  out.graph = std::move(imported).value();
  ir::Graph& g = out.graph;

  if (opts.input_shape) {
    if (g.inputs().empty()) return in_context(invalid_argument("model has no inputs to reshape"));
    Status s = ir::set_input_shape(g, 0, *opts.input_shape);
    if (!s.ok()) return in_context(s);
  }
  if (opts.batch > 0) {
    for (size_t i = 0; i < g.inputs().size(); ++i) {
      Shape shape = g.value(g.inputs()[i]).shape;
      if (shape.empty()) return in_context(invalid_argument("input '" + g.value(g.inputs()[i]).name + "' is a scalar; no batch dim"));
      shape[0] = opts.batch;
      Status s = ir::set_input_shape(g, i, shape);
      if (!s.ok()) return in_context(s);
    }
  }

  const runtime::ref::RefEvaluator evaluator;
  ir::ShapeInferenceOptions shape_opts;
  shape_opts.evaluator = &evaluator;
  if (Status s = ir::infer_shapes(g, shape_opts); !s.ok()) return in_context(s);
  out.original = ir::compute_graph_stats(g);
  if (!opts.optimize) return out;

  auto report = ir::optimize_graph(g, opts.pipeline);
  if (!report.ok()) return in_context(report.status());
  out.report = std::move(report).value();
  // Fused nodes (FusedConv) need their outputs' shapes re-derived.
  if (Status s = ir::infer_shapes(g, shape_opts); !s.ok()) return in_context(s);
  return out;
}

}  // namespace yq::runtime
