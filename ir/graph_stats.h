// SPDX-License-Identifier: Apache-2.0
// Read-only summaries of a graph for `yoloq info` and reports: op histogram, parameter count and
// the multiply-accumulate count of the compute-heavy ops (needs inferred shapes).
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "ir/graph.h"

namespace yq::ir {

struct GraphStats {
  std::map<std::string, int> op_histogram;  // live nodes by op_type
  int64_t parameters = 0;                   // elements of f32 constants read by nodes
  int64_t macs = 0;                         // Conv/FusedConv/ConvTranspose/Gemm/MatMul
  double gflops() const { return 2.0 * static_cast<double>(macs) * 1e-9; }
};

GraphStats compute_graph_stats(const Graph& g);

}  // namespace yq::ir
