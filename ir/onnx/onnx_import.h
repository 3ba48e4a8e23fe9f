// SPDX-License-Identifier: Apache-2.0
// ONNX -> ir::Graph. The only code (with onnx_export) that sees protobuf.
//
// Accepts opsets 11..17 of the default domain. Refuses, with a one-line Status naming the cause
// (and the node where there is one): unreadable or truncated protobuf, external data, an op that
// ir/op_schema.h does not know, attributes or initializers with absurd sizes, dtypes yoloq does
// not handle. Does not run shape inference (see ir/shape_inference.h).
//
// Mapping:
// * Initializers and Constant nodes become constant Values (no Constant node survives).
//   FLOAT16 is widened and DOUBLE narrowed to f32; INT64/INT32/INT8/UINT8/BOOL keep their type.
// * Graph inputs that are also initializers (IR < 4 exports) stay constants, not inputs.
// * Input shapes come from the ValueInfo: a dim_param or missing dim is -1 and leaves
//   shape_known=false; a missing shape leaves the rank unknown (empty shape).
// * value_info / output declarations give node outputs their dtype and shape (shape_known only
//   when every dim is static); shape inference may overwrite them.
// * Nodes are sorted topologically (stable, file order). Unnamed nodes get unique names.
//   Trailing omitted inputs/outputs are dropped; an omitted input in the middle is kNoValue; an
//   omitted output in the middle gets a fresh unused Value.
// * Domains: "" / "ai.onnx" (the ONNX ops of op_schema.h) and "yq" (yoloq's fused ops, as written
//   by onnx_export). Any other domain is kUnsupported naming the domain and node.
// * Graph::opsets keeps every opset import ("ai.onnx" is stored as "").
// Error codes: kIoError (file unreadable), kInvalidModel (parse failure, inconsistent graph,
// undefined or duplicate names, cycles, size mismatches, wrong arity), kUnsupported (opset,
// op, domain, dtype, external data). Every message starts with `name` (the path).
#pragma once

#include <string>

#include "base/status.h"
#include "ir/graph.h"

namespace yq::ir {

struct OnnxImportOptions {
  size_t max_file_bytes = size_t{2} << 30;
};

Expected<Graph> import_onnx_file(const std::string& path, const OnnxImportOptions& opts = {});
// `name` is used in error messages only.
Expected<Graph> import_onnx_bytes(const std::string& bytes, const std::string& name, const OnnxImportOptions& opts = {});

}  // namespace yq::ir
