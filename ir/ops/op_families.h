// SPDX-License-Identifier: Apache-2.0
// One function per op family (one .cpp each in this folder) adds that family's schemas.
// Shared helpers for writing schemas are in ir/ops/schema_util.h.
#pragma once

#include <map>
#include <string>

#include "ir/op_schema.h"

namespace yq::ir {

using SchemaMap = std::map<std::string, OpSchema>;
using AddSchemasFn = void (*)(SchemaMap&);

// Unary/binary arithmetic with numpy broadcasting, activations, Clip, Cast, Equal, Where.
void add_elementwise_schemas(SchemaMap& m);
// Conv, ConvTranspose, FusedConv, BatchNormalization, Gemm, MatMul.
void add_conv_schemas(SchemaMap& m);
// MaxPool, AveragePool, GlobalAveragePool, ReduceMean.
void add_pool_schemas(SchemaMap& m);
// Layout and shape ops: Reshape, Flatten, Transpose, Squeeze, Unsqueeze, Concat, Split, Slice,
// Gather, Pad, Expand, Shape, ConstantOfShape, Range, Softmax, Identity, Dropout, Constant.
void add_tensor_schemas(SchemaMap& m);
// Resize, Upsample.
void add_resize_schemas(SchemaMap& m);
// QuantizeLinear, DequantizeLinear (only until absorb_qdq turns them into qparams).
void add_qdq_schemas(SchemaMap& m);

inline constexpr AddSchemasFn kOpFamilies[] = {&add_elementwise_schemas, &add_conv_schemas, &add_pool_schemas,
                                               &add_tensor_schemas, &add_resize_schemas, &add_qdq_schemas};

}  // namespace yq::ir
