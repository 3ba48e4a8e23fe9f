// SPDX-License-Identifier: Apache-2.0
// Scalar reference kernels: plain C++ loops over row-major (NCHW) tensors, no SIMD, no oneDNN.
// They define what each op computes in yoloq; every optimized kernel is tested against them,
// and constant folding evaluates through them.
//
// Contract: `outputs` are already allocated with the dtype and shape that shape inference gave
// (ir/op_schema.h); a kernel only fills them. Inputs: one per node input, nullptr for an omitted
// optional input. An error is returned only for inputs the shape function could not have
// rejected (for example out-of-range Gather indices).
#pragma once

#include <span>
#include <string>
#include <vector>

#include "base/status.h"
#include "base/tensor.h"
#include "ir/graph.h"
#include "ir/op_schema.h"

namespace yq::runtime::ref {

using RefKernelFn = Status (*)(const ir::Node& node, std::span<const Tensor* const> inputs, std::span<Tensor> outputs);

// nullptr when no reference kernel exists for op_type.
RefKernelFn find_ref_kernel(const std::string& op_type);

// Allocates outputs from `infos` and runs the reference kernel: the ConstantEvaluator that shape
// inference uses, and the oracle in tests.
class RefEvaluator final : public ir::ConstantEvaluator {
 public:
  Expected<std::vector<Tensor>> evaluate(const ir::Node& node, std::span<const Tensor* const> inputs,
                                         std::span<const ir::TensorInfo> outputs) const override;
};

}  // namespace yq::runtime::ref
