// SPDX-License-Identifier: Apache-2.0
// Declarations of every reference kernel (one .cpp per op family in this folder) and the table
// that ref_registry.cpp builds from them. Add a kernel: declare it here, list it in the table.
#pragma once

#include "runtime/kernels/ref/ref_kernels.h"

namespace yq::runtime::ref {

#define YQ_DECLARE_REF(fn) \
  Status fn(const ir::Node& node, std::span<const Tensor* const> inputs, std::span<Tensor> outputs)

// ref_conv.cpp
YQ_DECLARE_REF(ref_conv);
YQ_DECLARE_REF(ref_fused_conv);
YQ_DECLARE_REF(ref_conv_transpose);
// ref_elementwise.cpp
YQ_DECLARE_REF(ref_add);
YQ_DECLARE_REF(ref_sub);
YQ_DECLARE_REF(ref_mul);
YQ_DECLARE_REF(ref_div);
YQ_DECLARE_REF(ref_pow);
YQ_DECLARE_REF(ref_equal);
YQ_DECLARE_REF(ref_where);
YQ_DECLARE_REF(ref_sqrt);
YQ_DECLARE_REF(ref_exp);
YQ_DECLARE_REF(ref_floor);
YQ_DECLARE_REF(ref_neg);
YQ_DECLARE_REF(ref_tanh);
YQ_DECLARE_REF(ref_sigmoid);
YQ_DECLARE_REF(ref_relu);
YQ_DECLARE_REF(ref_leaky_relu);
YQ_DECLARE_REF(ref_hard_sigmoid);
YQ_DECLARE_REF(ref_hard_swish);
YQ_DECLARE_REF(ref_activation);  // yq Activation (ir/fused_ops.md)
YQ_DECLARE_REF(ref_clip);
YQ_DECLARE_REF(ref_identity);
YQ_DECLARE_REF(ref_dropout);
YQ_DECLARE_REF(ref_cast);
// ref_pool_norm.cpp
YQ_DECLARE_REF(ref_batch_normalization);
YQ_DECLARE_REF(ref_max_pool);
YQ_DECLARE_REF(ref_average_pool);
YQ_DECLARE_REF(ref_global_average_pool);
YQ_DECLARE_REF(ref_reduce_mean);
YQ_DECLARE_REF(ref_softmax);
// ref_tensor.cpp
YQ_DECLARE_REF(ref_reshape);  // also Flatten, Squeeze, Unsqueeze: a byte copy into the inferred shape
YQ_DECLARE_REF(ref_transpose);
YQ_DECLARE_REF(ref_concat);
YQ_DECLARE_REF(ref_split);
YQ_DECLARE_REF(ref_slice);
YQ_DECLARE_REF(ref_gather);
YQ_DECLARE_REF(ref_expand);
YQ_DECLARE_REF(ref_pad);
YQ_DECLARE_REF(ref_shape);
YQ_DECLARE_REF(ref_constant_of_shape);
YQ_DECLARE_REF(ref_range);
YQ_DECLARE_REF(ref_constant);
// ref_matmul.cpp
YQ_DECLARE_REF(ref_matmul);
YQ_DECLARE_REF(ref_gemm);
// ref_resize.cpp
YQ_DECLARE_REF(ref_resize);
YQ_DECLARE_REF(ref_upsample);
// ref_qdq.cpp
YQ_DECLARE_REF(ref_quantize_linear);
YQ_DECLARE_REF(ref_dequantize_linear);

}  // namespace yq::runtime::ref

// {"OpType", &function},
#define YQ_REF_KERNEL_TABLE                                                                      \
  {"Conv", &ref_conv}, {"FusedConv", &ref_fused_conv}, {"ConvTranspose", &ref_conv_transpose},   \
      {"Add", &ref_add}, {"Sub", &ref_sub}, {"Mul", &ref_mul}, {"Div", &ref_div},                \
      {"Pow", &ref_pow}, {"Equal", &ref_equal}, {"Where", &ref_where}, {"Sqrt", &ref_sqrt},      \
      {"Exp", &ref_exp}, {"Floor", &ref_floor}, {"Neg", &ref_neg}, {"Tanh", &ref_tanh},          \
      {"Sigmoid", &ref_sigmoid}, {"Relu", &ref_relu}, {"LeakyRelu", &ref_leaky_relu},            \
      {"HardSigmoid", &ref_hard_sigmoid}, {"HardSwish", &ref_hard_swish}, {"Clip", &ref_clip},   \
      {"Activation", &ref_activation},                                                           \
      {"Identity", &ref_identity}, {"Dropout", &ref_dropout}, {"Cast", &ref_cast},               \
      {"BatchNormalization", &ref_batch_normalization}, {"MaxPool", &ref_max_pool},              \
      {"AveragePool", &ref_average_pool}, {"GlobalAveragePool", &ref_global_average_pool},       \
      {"ReduceMean", &ref_reduce_mean}, {"Softmax", &ref_softmax}, {"Reshape", &ref_reshape},    \
      {"Flatten", &ref_reshape}, {"Squeeze", &ref_reshape}, {"Unsqueeze", &ref_reshape},         \
      {"Transpose", &ref_transpose}, {"Concat", &ref_concat}, {"Split", &ref_split},             \
      {"Slice", &ref_slice}, {"Gather", &ref_gather}, {"Expand", &ref_expand}, {"Pad", &ref_pad}, \
      {"Shape", &ref_shape}, {"ConstantOfShape", &ref_constant_of_shape}, {"Range", &ref_range}, \
      {"Constant", &ref_constant}, {"MatMul", &ref_matmul}, {"Gemm", &ref_gemm},                 \
      {"Resize", &ref_resize}, {"Upsample", &ref_upsample},                                     \
      {"QuantizeLinear", &ref_quantize_linear}, {"DequantizeLinear", &ref_dequantize_linear},
