// SPDX-License-Identifier: Apache-2.0
// Fast kernels on plain (row-major) tensors for the ops oneDNN does not cover well: data movement
// (Transpose, Concat, Split, Slice, Gather, Pad), broadcast arithmetic (Add/Sub/Mul/Div/Pow),
// Softmax and a few unary functions. Internal to yoloq_runtime.
//
// Contract: the same as the reference kernels (runtime/kernels/ref/ref_kernels.h), and the same
// signature, so the engine runs them through the same step type: outputs are pre-allocated with
// the inferred dtype and shape, inputs are row-major, nullptr for an omitted optional input. They
// compute what the reference kernel computes (bit-exact for data movement; within f32 rounding for
// arithmetic, where the reference works in double). A case a kernel has no fast path for (another
// dtype, a rank above 8, a reflect Pad, ...) is handed to the reference kernel, which also
// produces the error message for bad input, so behaviour on malformed nodes is identical.
//
// Threads: loops run on OpenMP (the one thread count of base/threads.h) once the work is big
// enough to pay for a parallel region; small tensors stay on the calling thread.
#pragma once

#include <string>

#include "runtime/kernels/ref/ref_kernels.h"

namespace yq::runtime::fp32 {

using PlainKernelFn = runtime::ref::RefKernelFn;

// Copies the box `dims` (rank <= 8) of elements of `elem_size` bytes (1, 2, 4 or 8): for every
// index i, out[i·out_strides] = in[i·in_strides] (strides in elements). The engine uses it for
// data movement on int8 slots in any strides-only layout (nchw, nhwc, ...). False when the box
// does not fit (rank above 8 after merging, another element size); nothing is written then.
bool copy_strided(const void* in, void* out, size_t elem_size, int rank, const int64_t* dims,
                  const int64_t* in_strides, const int64_t* out_strides);
// The same box of floats through the logistic sigmoid: out[i·os] = 1 / (1 + exp(-in[i·is]))
// (exp_avx512.h's sigmoid16 on contiguous rows). How a detector head's deferred sigmoid (a
// strided view piece, runtime/strided_view.h) is applied by the chain's one copy.
bool copy_strided_sigmoid(const float* in, float* out, int rank, const int64_t* dims, const int64_t* in_strides,
                          const int64_t* out_strides);

// nullptr when op_type has no plain kernel.
PlainKernelFn find_plain_kernel(const std::string& op_type);

// Ops whose plain kernel beats oneDNN's primitive when every activation input is already plain
// (oneDNN's concat of plain tensors is a slow generic copy). The planner tries the plain kernel
// before oneDNN for these.
bool plain_preferred_over_onednn(const std::string& op_type);

#define YQ_DECLARE_PLAIN(fn) \
  Status fn(const ir::Node& node, std::span<const Tensor* const> inputs, std::span<Tensor> outputs)

// plain_copy.cpp
YQ_DECLARE_PLAIN(plain_transpose);
YQ_DECLARE_PLAIN(plain_concat);
YQ_DECLARE_PLAIN(plain_split);
YQ_DECLARE_PLAIN(plain_slice);
YQ_DECLARE_PLAIN(plain_gather);
YQ_DECLARE_PLAIN(plain_pad);
// plain_math.cpp
YQ_DECLARE_PLAIN(plain_add);
YQ_DECLARE_PLAIN(plain_sub);
YQ_DECLARE_PLAIN(plain_mul);
YQ_DECLARE_PLAIN(plain_div);
YQ_DECLARE_PLAIN(plain_pow);
YQ_DECLARE_PLAIN(plain_softmax);
YQ_DECLARE_PLAIN(plain_sigmoid);
YQ_DECLARE_PLAIN(plain_exp);
YQ_DECLARE_PLAIN(plain_tanh);
YQ_DECLARE_PLAIN(plain_sqrt);
YQ_DECLARE_PLAIN(plain_relu);
YQ_DECLARE_PLAIN(plain_neg);

#undef YQ_DECLARE_PLAIN

}  // namespace yq::runtime::fp32
