// SPDX-License-Identifier: Apache-2.0
// The FP32 engine: plans a graph once onto oneDNN kernels (reference kernels for everything else)
// and runs it many times.
//
// Planning (Engine::create) picks a kernel per node from the registry, oneDNN first and the
// reference-kernel wrapper last; packs weights; lets oneDNN keep activations in its blocked
// layouts between consecutive oneDNN ops and inserts a reorder only where a consumer needs another
// layout (each counted in stats().reorders); makes Reshape/Flatten/Squeeze/Unsqueeze/Identity
// zero-copy aliases of plain buffers; and places every activation in one arena by lifetime.
//
// Threading: an Engine is not safe to run() from two threads at once (one arena). The OpenMP
// thread count is set from EngineOptions::threads at create() and at each run(); row chains
// (EngineOptions::row_chains) split their rows into as many bands as create() found threads.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "base/status.h"
#include "base/tensor.h"
#include "ir/graph.h"

namespace yq::runtime {

// Quantized graphs (values with qparams, ir/quantized_ir.md): with use_onednn = false every value
// with qparams is fake-quantized (quant/qmath.h) right after it is produced, and constants once at
// create: the oracle. With use_onednn = true, values with per-tensor, zero-point-0, full-range
// i8/u8 qparams are stored as int8 and Conv/FusedConv (constant weight with symmetric int8
// qparams), MaxPool, nearest Resize, Concat and the data-movement ops run on them in int8; other
// values with qparams are fake-quantized in f32. Graph inputs and outputs stay f32 at the API.
struct EngineOptions {
  int threads = 0;                        // 0: all cores
  bool use_onednn = true;                 // false: every op on the reference kernels (the oracle path)
  std::vector<std::string> keep_values;   // extra value names to expose as plain f32 tensors after run
  bool profile = false;                   // per-kernel wall time in stats().kernels
  // INT8: run each run of consecutive row-local steps (1x1 convs, byte tables, table + add over the
  // same image rows) as one row chain, a band of rows per thread (runtime/row_chain.h). Off: one
  // step at a time, every step over all threads. Outputs are the same either way.
  bool row_chains = true;
  // INT8: a 1x1 conv whose output only a byte table (SiLU, ...) reads runs with the table as yoloq's
  // one kernel (int8::PointwiseTable). Off: oneDNN's conv, then the table pass. The same codes.
  bool fuse_pointwise_tables = true;
  // INT8: a Mul of an f32 nhwc tensor by one float per channel (squeeze-excitation's gate) whose
  // product only a quantize reads runs as one pass (int8::quantize_gated). Off: the Mul, then the
  // quantize. The same codes.
  bool fuse_gate_quantize = true;
  // INT8: a conv over the image input with few taps (int8::im2col_of) runs as a 1x1 conv over
  // patch rows that the image's quantize writes (which the fused 1x1 kernels then take). Off:
  // oneDNN's conv over the quantized nhwc image. The same sums.
  bool im2col_stems = true;
};

struct KernelInfo {
  std::string node;  // node name, or "reorder:<value>" for a planner-inserted reorder
  std::string op;    // op type, "Reorder" for inserted reorders
  // "onednn:conv(<oneDNN impl>)", "ref:Reshape", "alias" (zero-copy view), "onednn:reorder",
  // "onednn:conv_int8(...)", "int8:ref:Slice", "fake_quant"; op "Quantize"/"Dequantize"/"Requantize"/
  // "FakeQuant" for planner-inserted conversions (node "quantize:<value>", ...); a FusedConv
  // residual adds "+sum:inplace" (dst written over R) or "+sum:copy" (R copied into dst first).
  std::string impl;
  // The row chain (EngineOptions::row_chains) the kernel runs in, numbered from 0 in execution
  // order; -1: it runs alone. A profile books a chain's whole time on its first kernel.
  int row_chain = -1;
  double total_ms = 0;  // accumulated over runs when profiling
  int64_t calls = 0;
};

struct EngineStats {
  size_t peak_activation_bytes = 0;  // arena size (graph inputs included)
  size_t weight_bytes = 0;           // packed oneDNN weights and biases
  int reorders = 0;                  // layout changes: inserted reorders, residual copies across layouts,
                                     // blocked graph outputs converted to plain
  int onednn_kernels = 0;            // nodes on a oneDNN primitive
  int ref_kernels = 0;               // nodes on a reference kernel (zero-copy aliases not counted)
  // INT8 (graphs with qparams, use_onednn): nodes on an int8 kernel (oneDNN int8 conv/pool/resize/
  // concat, or a bytewise data-movement kernel on int8 values); planner-inserted conversions:
  // f32 -> int8 (graph inputs, outputs of f32 kernels), int8 -> f32 (inputs of f32 kernels, graph
  // outputs), int8 -> int8 at another scale (a Concat input whose scale differs). int8_kernels
  // also counts in onednn_kernels or ref_kernels (zero-copy int8 aliases only here).
  int int8_kernels = 0;
  int quantize_ops = 0;
  int dequantize_ops = 0;
  int requantize_ops = 0;
  int direct_inputs = 0;             // graph inputs read in place from the caller's tensors (not copied)
  std::vector<KernelInfo> kernels;   // in execution order
};

class Engine {
 public:
  ~Engine();
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  // `g` must have every shape inferred (ir::infer_shapes) and is usually optimized; the engine
  // keeps its own copy. Errors: a node with no kernel (names node and op), a value without an
  // inferred shape, an unknown keep_values name.
  static Expected<std::unique_ptr<Engine>> create(const ir::Graph& g, const EngineOptions& opts = {});

  // Inputs in graph-input order, plain row-major, dtype and shape exactly as planned (a mismatch
  // names the input, expected vs found). Outputs are freshly allocated plain row-major tensors in
  // graph-output order (the only allocations run() makes); `*outputs` is resized.
  Status run(std::span<const Tensor> inputs, std::vector<Tensor>* outputs);

  const std::vector<std::string>& input_names() const;
  const std::vector<Shape>& input_shapes() const;
  const std::vector<DType>& input_dtypes() const;
  const std::vector<std::string>& output_names() const;
  const std::vector<Shape>& output_shapes() const;
  const std::vector<DType>& output_dtypes() const;

  // After run(): a plain row-major copy of a value named in keep_values (or of a graph output /
  // constant). Error if the name was not kept or run() has not been called.
  Expected<Tensor> kept_value(const std::string& name) const;

  const EngineStats& stats() const;

 private:
  struct Impl;
  explicit Engine(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace yq::runtime
