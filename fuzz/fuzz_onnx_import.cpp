// SPDX-License-Identifier: Apache-2.0
// libFuzzer target for the ONNX importer. Any byte string must give either a Status or a graph
// that passes verify(), exports, re-imports to the same node count, prints and survives shape
// inference (which may fail with a Status, never crash). A violated expectation traps so
// libFuzzer records the input.
#include <cstddef>
#include <cstdint>
#include <string>

#include "ir/onnx/onnx_export.h"
#include "ir/onnx/onnx_import.h"
#include "ir/printer.h"
#include "ir/shape_inference.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string bytes(reinterpret_cast<const char*>(data), size);
  auto g = yq::ir::import_onnx_bytes(bytes, "fuzz.onnx");
  if (!g.ok()) {
    if (g.status().message().empty()) __builtin_trap();
    return 0;
  }
  if (!g->verify().ok()) __builtin_trap();
  auto exported = yq::ir::export_onnx_bytes(*g);
  if (!exported.ok()) __builtin_trap();
  auto back = yq::ir::import_onnx_bytes(*exported, "fuzz-roundtrip.onnx");
  if (!back.ok() || back->live_node_count() != g->live_node_count()) __builtin_trap();
  (void)yq::ir::print_graph(*g);
  (void)yq::ir::infer_shapes(*g);
  return 0;
}
