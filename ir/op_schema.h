// SPDX-License-Identifier: Apache-2.0
// What yoloq knows about each op at the IR level: arity and how output dtypes/shapes follow from
// the inputs. One registry, keyed by op type; an op absent from it is unsupported, and the ONNX
// importer refuses it by name. Kernels (runtime/) are registered separately; this file does not
// know about them.
//
// Fused ops that yoloq's passes create live in the "yq" domain and are documented in
// ir/fused_ops.md.
#pragma once

#include <functional>
#include <span>
#include <string>
#include <vector>

#include "base/status.h"
#include "base/tensor.h"
#include "ir/graph.h"

namespace yq::ir {

// What shape inference knows about one tensor. `constant` is non-null when the value is known
// at load time (an initializer or a folded constant); shape functions such as Reshape's read it.
struct TensorInfo {
  DType dtype = DType::kF32;
  Shape shape;
  const Tensor* constant = nullptr;
};

// Fills `outputs` (already sized to the node's output count) from `inputs`: one pointer per node
// input, nullptr for an omitted optional input. Errors name what was expected and what was found
// (the caller prefixes the node name).
using ShapeFn = std::function<Status(const Node& node, std::span<const TensorInfo* const> inputs,
                                     std::span<TensorInfo> outputs)>;

struct OpSchema {
  std::string op_type;
  int min_inputs = 1;
  int max_inputs = 1;
  int min_outputs = 1;
  int max_outputs = 1;
  ShapeFn infer;
};

// nullptr when yoloq does not support the op.
const OpSchema* find_op_schema(const std::string& op_type);
std::vector<std::string> supported_op_types();

// Computes the value of a node whose inputs are all constant. Implemented by the runtime's
// reference kernels and handed to shape inference, so the IR layer never depends on kernels.
class ConstantEvaluator {
 public:
  virtual ~ConstantEvaluator() = default;
  // `outputs` hold the inferred dtype/shape; the evaluator allocates and fills the tensors.
  virtual Expected<std::vector<Tensor>> evaluate(const Node& node, std::span<const Tensor* const> inputs,
                                                 std::span<const TensorInfo> outputs) const = 0;
};

}  // namespace yq::ir
