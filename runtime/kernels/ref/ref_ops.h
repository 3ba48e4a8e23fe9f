// SPDX-License-Identifier: Apache-2.0
// Declarations of every reference kernel (one .cpp per op or op family in this folder) and the
// table that ref_registry.cpp builds from them. Add a kernel: declare it here, list it in the table.
#pragma once

#include "runtime/kernels/ref/ref_kernels.h"

namespace yq::runtime::ref {

#define YQ_DECLARE_REF(fn) \
  Status fn(const ir::Node& node, std::span<const Tensor* const> inputs, std::span<Tensor> outputs)

// (kernels are declared here)

}  // namespace yq::runtime::ref

// {"OpType", &function},
#define YQ_REF_KERNEL_TABLE
