// SPDX-License-Identifier: Apache-2.0
// Helpers shared by the op-family schema files (internal to ir/ops and ir/shape_inference.cpp).
//
// Error messages from these helpers never name the node: the caller (infer_shapes) prefixes
// "node 'name' (Op)". They do name the input or attribute and give expected vs found.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "base/status.h"
#include "base/tensor.h"
#include "ir/op_schema.h"
#include "ir/ops/op_families.h"

namespace yq::ir {

using Inputs = std::span<const TensorInfo* const>;
using Outputs = std::span<TensorInfo>;

// Limits on inferred shapes: anything larger is a corrupt model or a bad --input-shape, and
// would overflow int32 indexing or exhaust memory in a kernel.
inline constexpr int64_t kMaxDim = int64_t{1} << 31;
inline constexpr int64_t kMaxElements = int64_t{1} << 34;

// Registers a schema whose `infer` first checks the input/output counts (and that inputs below
// min_inputs are present), then runs `fn`, then checks every output shape against the limits.
// So `fn` may index inputs[0..min_inputs) without null checks and outputs[0..min_outputs).
void add_schema(SchemaMap& m, const std::string& op, int min_in, int max_in, int min_out, int max_out, ShapeFn fn);

// "[1,3,?,?]": negative dims print as '?'.
std::string dims_str(const Shape& s);
// Every dim in [0, kMaxDim] and the element count <= kMaxElements.
Status check_shape_limits(const Shape& s, const std::string& what);

// Normalises a possibly negative axis into [0, rank); `what` names it in the error.
Expected<int64_t> normalize_axis(int64_t axis, int64_t rank, const std::string& what);
// Same for a list; duplicates are an error.
Expected<std::vector<int64_t>> normalize_axes(const std::vector<int64_t>& axes, int64_t rank, const std::string& what);

// Integer values of a constant input; "<what> is not a constant" when it is not known at load time.
Expected<std::vector<int64_t>> const_ints(const TensorInfo* t, const std::string& what);
// Float or integer values of a constant input, as double.
Expected<std::vector<double>> const_doubles(const TensorInfo* t, const std::string& what);
// True when the input is omitted or is a constant with zero elements (ONNX's "empty" optional).
bool absent_or_empty(const TensorInfo* t);

// Numpy (multidirectional) broadcasting; `what` names the operands in the error.
Expected<Shape> broadcast_shapes(const Shape& a, const Shape& b, const std::string& what);

Status expect_dtype(const TensorInfo& t, DType want, const std::string& what);
Status expect_same_dtype(const TensorInfo& a, const TensorInfo& b, const std::string& what);
bool is_integer(DType t);

inline void set_output(TensorInfo& out, DType dtype, Shape shape) {
  out.dtype = dtype;
  out.shape = std::move(shape);
  out.constant = nullptr;
}

// Shape op (opset 15 start/end): the [start, end) range of dims it returns for an input of `rank`.
std::pair<int64_t, int64_t> shape_op_range(const Node& node, int64_t rank);

// The tensor a Constant node holds (value, value_float(s), value_int(s)).
Expected<Tensor> constant_node_value(const Node& node);

}  // namespace yq::ir
