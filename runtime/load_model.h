// SPDX-License-Identifier: Apache-2.0
// From an ONNX file to a graph ready for Engine::create: import, optional input-shape override,
// shape inference with constant propagation (reference kernels as evaluator), the optimisation
// pipeline, then shape inference again over the rewritten graph. Every error is prefixed with the
// model path, so the CLI prints `yoloq: error: MODEL: <reason>`.
#pragma once

#include <optional>
#include <string>

#include "base/status.h"
#include "ir/graph.h"
#include "ir/graph_stats.h"
#include "ir/passes/pipeline.h"

namespace yq::runtime {

struct LoadOptions {
  std::optional<Shape> input_shape;  // replaces graph input 0's shape (e.g. another image size)
  int64_t batch = 0;                 // > 0: sets dim 0 of every graph input
  bool optimize = true;              // run ir::optimize_graph
  ir::PipelineOptions pipeline;
};

struct LoadedModel {
  ir::Graph graph;            // shapes inferred; optimized unless opts.optimize is false
  ir::GraphStats original;    // of the graph as imported (before folding and fusion)
  ir::PipelineReport report;  // empty when not optimized
};

Expected<LoadedModel> load_model(const std::string& path, const LoadOptions& opts = {});

}  // namespace yq::runtime
