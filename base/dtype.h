// SPDX-License-Identifier: Apache-2.0
// Element types yoloq tensors can hold. Names follow ONNX's where they exist.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace yq {

enum class DType : uint8_t { kF32, kF16, kI64, kI32, kI8, kU8, kBool };

size_t dtype_size(DType t);
const char* dtype_name(DType t);  // "f32", "i64", ...

template <typename T>
constexpr DType dtype_of();
template <> constexpr DType dtype_of<float>() { return DType::kF32; }
template <> constexpr DType dtype_of<int64_t>() { return DType::kI64; }
template <> constexpr DType dtype_of<int32_t>() { return DType::kI32; }
template <> constexpr DType dtype_of<int8_t>() { return DType::kI8; }
template <> constexpr DType dtype_of<uint8_t>() { return DType::kU8; }
template <> constexpr DType dtype_of<bool>() { return DType::kBool; }

}  // namespace yq
