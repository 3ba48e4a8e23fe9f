// SPDX-License-Identifier: Apache-2.0
// TensorProto <-> yq::Tensor and ONNX elem types <-> DType. Private to the yoloq_onnx target
// (it includes protobuf headers); nothing outside ir/onnx/ may include it.
//
// Import checks every size it reads before allocating: rank <= kMaxOnnxRank, no negative dims,
// no element-count overflow, and the stored byte/element count must equal dims x element size.
// FLOAT16 data is widened to f32 (yoloq's fp32 engine has no f16 path). DOUBLE is narrowed to f32
// (yoloq has no f64; PyTorch exports use it only for anchor-grid constants that are later Cast
// to float, e.g. YOLOv6Lite's /detect/Constant_15). External data is refused.
#pragma once

#include <onnx/onnx_pb.h>

#include <string>

#include "base/status.h"
#include "base/tensor.h"

namespace yq::ir {

inline constexpr int kMaxOnnxRank = 8;

// `what` names the tensor in error messages, e.g. "initializer 'conv.weight'".
Expected<DType> onnx_elem_type_to_dtype(int32_t elem_type, const std::string& what);
int32_t dtype_to_onnx_elem_type(DType t);

Expected<Tensor> onnx_tensor_to_tensor(const onnx::TensorProto& t, const std::string& what);
// Writes dims, data_type and raw_data (little-endian); does not touch the name.
void tensor_to_onnx(const Tensor& t, onnx::TensorProto* out);

}  // namespace yq::ir
