// SPDX-License-Identifier: Apache-2.0
// ir::Graph -> ONNX ModelProto bytes. With onnx_import, the only code that sees protobuf.
//
// Writes: constant Values as initializers (raw_data, little-endian), live nodes in topological
// order with their attributes and domain, graph inputs/outputs with their dtype and shape
// (a dim of -1 becomes a dim with no value), value_info for every other produced value whose
// shape is known, opset imports (the graph's own; the default domain gets kDefaultExportOpset
// when the graph has none; a node in domain "yq" adds an import for "yq" v1), ir_version,
// producer and metadata. import_onnx_bytes(export_onnx_bytes(g)) reproduces g's structure,
// names, attributes, constant bytes, declared shapes and metadata.
//
// Errors: kInvalidArgument when the graph fails verify() or the model exceeds protobuf's 2 GiB;
// kIoError from export_onnx_file when the file cannot be written (the target is never left
// half-written: see base/file_io.h).
#pragma once

#include <string>

#include "base/status.h"
#include "ir/graph.h"

namespace yq::ir {

inline constexpr int64_t kDefaultExportOpset = 13;

Expected<std::string> export_onnx_bytes(const Graph& g);
Status export_onnx_file(const Graph& g, const std::string& path);

}  // namespace yq::ir
