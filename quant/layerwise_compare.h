// SPDX-License-Identifier: Apache-2.0
// Layer-wise comparison of a float model and its quantized version, in the spirit of
// Polygraphy's layer-wise mode and ONNX Runtime's qdq_loss_debug: both graphs run on the same
// inputs, every tensor present in both (matched by name) is compared, and the metrics are
// averaged over the inputs. Reported in the float graph's topological order, so the first
// tensor where the error jumps points at the layer to inspect. A tensor the quantized graph
// scales per channel (an equalized depthwise input: its producer's FusedConv channel scale S) is
// divided by S before it is compared.
#pragma once

#include <string>
#include <vector>

#include "base/status.h"
#include "base/tensor.h"
#include "ir/graph.h"
#include "quant/error_metrics.h"

namespace yq::quant {

struct TensorComparison {
  std::string name;
  std::string producer_op;  // op type of the producing node in the float graph
  bool quantized = false;   // the tensor carries qparams in the quantized graph
  ErrorMetrics metrics;     // mean over the inputs (SQNR averaged in dB)
  bool jump = false;        // SQNR fell by more than jump_db relative to the best upstream input
};

struct CompareOptions {
  bool use_int8_engine = true;  // false: the quantized graph runs as fake-quant on reference kernels
  double jump_db = 6.0;
  int threads = 0;
};

// `float_graph` and `quant_graph` have inferred shapes (runtime::load_model). Inputs are one
// vector of graph inputs per sample.
Expected<std::vector<TensorComparison>> compare_layerwise(const ir::Graph& float_graph, const ir::Graph& quant_graph,
                                                          const std::vector<std::vector<Tensor>>& inputs,
                                                          const CompareOptions& opts = {});

}  // namespace yq::quant
