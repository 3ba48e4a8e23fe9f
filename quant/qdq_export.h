// SPDX-License-Identifier: Apache-2.0
// QDQ ONNX export: writes a quantized yoloq graph (QParams on Values, ir/quantized_ir.md) as a
// standard ONNX model with QuantizeLinear/DequantizeLinear pairs that ONNX Runtime (and any QDQ
// consumer) runs as int8.
//
// On a copy of the graph:
//  1. ir::UnfuseForExport expands every FusedConv into Conv + standard activation ops (+ Add for
//     the residual); the FusedConv's output Value keeps its QParams, so Q/DQ lands after the whole
//     activation (never between SiLU's Sigmoid and Mul).
//  2. ir::upgrade_opset_to_13 when the model is at opset 11/12 (per-axis DequantizeLinear needs 13).
//  3. Every non-constant Value with QParams gets  v -> QuantizeLinear -> DequantizeLinear -> v_dq
//     (scale: f32 scalar, zero point: i8/u8 scalar) and its readers read v_dq. A graph output with
//     QParams keeps its name on the DequantizeLinear output (the producer then writes
//     "<name>_float..."); graph outputs without QParams stay plain float.
//  4. Every constant with QParams (weights, per-channel on `axis`) is stored as an i8/u8
//     initializer "<name>_quantized" + DequantizeLinear (axis attribute when per-channel).
//  5. QParams are cleared and the default-domain opset is max(13, current).
// Deterministic: the same graph gives identical bytes.
//
// Errors: kUnsupported for an opset below 11, a node left in a non-ONNX domain, or an f32
// constant quantized as anything but i8/u8; invalid QParams name the value; kIoError from the
// file form (written atomically: base/file_io.h).
#pragma once

#include <string>

#include "base/status.h"
#include "ir/graph.h"

namespace yq::quant {

// The rewritten graph itself (steps 1-5), for tests and for tools that want to inspect it.
Expected<ir::Graph> build_qdq_graph(const ir::Graph& g);
Expected<std::string> export_qdq_onnx(const ir::Graph& g);
Status export_qdq_onnx_file(const ir::Graph& g, const std::string& path);

}  // namespace yq::quant
