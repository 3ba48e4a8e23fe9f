// SPDX-License-Identifier: Apache-2.0
// The graph optimisation pipeline: the one place that lists which passes run and in what order.
//
// optimize_graph() runs the ordered list, then reruns it until no pass changes anything or
// max_iterations rounds have run (ORT graph_transformer_mgr style), then sweeps unreferenced
// values. Run it after shape inference (with a ConstantEvaluator): fold_constants relies on the
// constants it set, and fuse_conv_add on known shapes.
//
// Errors: a pass apply() error (an invalid model) is returned with the pass and node named; with
// verify_each, a graph that fails Graph::verify() after a pass is an internal error naming that
// pass.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "base/status.h"
#include "ir/graph.h"

namespace yq::ir {

struct PipelineOptions {
#ifdef NDEBUG
  bool verify_each = false;
#else
  bool verify_each = true;  // debug builds check the graph after every pass
#endif
  bool dump_ir = false;         // print the graph to stderr after every pass that changed it
  int max_iterations = 10;      // rounds over the whole list
  bool fuse_activations = true;   // fuse_conv_act
  bool fuse_residual_add = true;  // fuse_conv_add
};

struct PassStats {
  std::string pass;
  int applied = 0;  // successful apply() calls that changed the graph, over all rounds
};

struct PipelineReport {
  std::vector<PassStats> passes;  // in pipeline order
  int iterations = 0;             // rounds run (the last one changed nothing unless max was hit)
  bool converged = false;         // false when max_iterations stopped it while still changing
  size_t nodes_before = 0;
  size_t nodes_after = 0;
  int values_swept = 0;

  int applied(const std::string& pass) const;  // 0 for a pass not in the report
  std::string summary() const;                 // one line per pass, for logs
};

Expected<PipelineReport> optimize_graph(Graph& g, const PipelineOptions& opts = {});

}  // namespace yq::ir
