// SPDX-License-Identifier: Apache-2.0
// ONNX -> ir::Graph. The only code (with onnx_export) that sees protobuf.
//
// Accepts opsets 11..17 of the default domain. Refuses, with a one-line Status naming the cause
// (and the node where there is one): unreadable or truncated protobuf, external data, an op that
// ir/op_schema.h does not know, attributes or initializers with absurd sizes, dtypes yoloq does
// not handle. Does not run shape inference (see ir/shape_inference.h).
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
