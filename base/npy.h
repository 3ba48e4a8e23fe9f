// SPDX-License-Identifier: Apache-2.0
// NumPy .npy (format 1.0/2.0) read and write for f32, i64, i32, i8, u8 and bool arrays in C order.
// This is how `yoloq run` exchanges tensors with the outside world and with the ONNX Runtime oracle.
#pragma once

#include <string>

#include "base/status.h"
#include "base/tensor.h"

namespace yq {

Expected<Tensor> parse_npy(const std::string& bytes, const std::string& name_for_errors);
Expected<Tensor> load_npy(const std::string& path);
std::string serialize_npy(const Tensor& t);
Status save_npy(const std::string& path, const Tensor& t);  // atomic

}  // namespace yq
