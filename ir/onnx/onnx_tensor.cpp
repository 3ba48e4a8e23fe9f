// SPDX-License-Identifier: Apache-2.0
#include "ir/onnx/onnx_tensor.h"

#include <cmath>
#include <cstring>
#include <limits>

namespace yq::ir {
namespace {

using TP = onnx::TensorProto;

// IEEE 754 binary16 -> binary32, exact for every input (subnormals, inf, NaN included).
float half_to_float(uint16_t h) {
  const uint32_t sign = static_cast<uint32_t>(h & 0x8000u) << 16;
  const uint32_t exp = (h >> 10) & 0x1fu;
  const uint32_t man = h & 0x3ffu;
  float f;
  if (exp == 0) {
    f = std::ldexp(static_cast<float>(man), -24);  // zero or subnormal: man * 2^-24
    return sign ? -f : f;
  }
  uint32_t bits;
  if (exp == 31) {
    bits = sign | 0x7f800000u | (man << 13);
  } else {
    bits = sign | ((exp + 112) << 23) | (man << 13);  // rebias 15 -> 127
  }
  std::memcpy(&f, &bits, sizeof f);
  return f;
}

// Bytes per element as stored in the file (FLOAT16 is 2 even though it is widened to f32).
size_t stored_elem_size(int32_t elem_type) {
  switch (elem_type) {
    case TP::FLOAT: case TP::INT32: return 4;
    case TP::INT64: case TP::DOUBLE: return 8;
    case TP::FLOAT16: return 2;
    case TP::INT8: case TP::UINT8: case TP::BOOL: return 1;
    default: return 0;
  }
}

}  // namespace

Expected<DType> onnx_elem_type_to_dtype(int32_t elem_type, const std::string& what) {
  switch (elem_type) {
    case TP::FLOAT: return DType::kF32;
    case TP::FLOAT16: return DType::kF32;  // widened on import
    case TP::DOUBLE: return DType::kF32;   // narrowed on import (see onnx_tensor.h)
    case TP::INT64: return DType::kI64;
    case TP::INT32: return DType::kI32;
    case TP::INT8: return DType::kI8;
    case TP::UINT8: return DType::kU8;
    case TP::BOOL: return DType::kBool;
    default: {
      const std::string tname = TP::DataType_IsValid(elem_type) ? TP::DataType_Name(elem_type) : "invalid";
      return unsupported(what + ": element type " + tname + " (" + std::to_string(elem_type) +
                         ") is not supported (expected FLOAT, FLOAT16, DOUBLE, INT64, INT32, INT8, UINT8 or BOOL)");
    }
  }
}

int32_t dtype_to_onnx_elem_type(DType t) {
  switch (t) {
    case DType::kF32: return TP::FLOAT;
    case DType::kF16: return TP::FLOAT16;
    case DType::kI64: return TP::INT64;
    case DType::kI32: return TP::INT32;
    case DType::kI8: return TP::INT8;
    case DType::kU8: return TP::UINT8;
    case DType::kBool: return TP::BOOL;
  }
  return TP::UNDEFINED;
}

Expected<Tensor> onnx_tensor_to_tensor(const onnx::TensorProto& t, const std::string& what) {
  if (t.data_location() == TP::EXTERNAL) {
    return unsupported(what + ": tensor data is stored externally (data_location EXTERNAL); only embedded data is supported");
  }
  if (t.has_segment()) return unsupported(what + ": segmented tensors are not supported");
  YQ_ASSIGN_OR_RETURN(DType dtype, onnx_elem_type_to_dtype(t.data_type(), what));
  if (t.dims_size() > kMaxOnnxRank) {
    return invalid_model(what + ": rank " + std::to_string(t.dims_size()) + " exceeds the limit " +
                         std::to_string(kMaxOnnxRank));
  }
  Shape shape;
  int64_t numel = 1;
  // Elements are bounded by what the file can hold; this cap only keeps the product from overflowing.
  constexpr int64_t kMaxElements = int64_t{1} << 40;
  for (int64_t d : t.dims()) {
    if (d < 0) return invalid_model(what + ": negative dim " + std::to_string(d));
    if (d > 0 && numel > kMaxElements / d) return invalid_model(what + ": element count is absurdly large");
    numel *= d;
    shape.push_back(d);
  }
  const int32_t et = t.data_type();
  const size_t esize = stored_elem_size(et);
  const auto n = static_cast<size_t>(numel);
  auto count_error = [&](const std::string& field, size_t found) {
    return invalid_model(what + ": dims " + shape_str(shape) + " need " + std::to_string(n) + " elements (" +
                         std::to_string(n * esize) + " bytes), " + field + " holds " + std::to_string(found));
  };

  if (t.has_raw_data()) {
    const std::string& raw = t.raw_data();
    if (raw.size() != n * esize) return count_error("raw_data (bytes)", raw.size());
    Tensor out = Tensor::empty(dtype, shape);
    if (et == TP::FLOAT16) {
      float* dst = out.data<float>();
      for (size_t i = 0; i < n; ++i) {
        uint16_t h;
        std::memcpy(&h, raw.data() + 2 * i, 2);
        dst[i] = half_to_float(h);
      }
    } else if (et == TP::DOUBLE) {
      float* dst = out.data<float>();
      for (size_t i = 0; i < n; ++i) {
        double d;
        std::memcpy(&d, raw.data() + 8 * i, 8);
        dst[i] = static_cast<float>(d);
      }
    } else if (et == TP::BOOL) {
      auto* dst = out.data<bool>();
      for (size_t i = 0; i < n; ++i) dst[i] = raw[i] != 0;
    } else if (n > 0) {
      std::memcpy(out.raw(), raw.data(), raw.size());
    }
    return out;
  }

  // Typed fields: FLOAT in float_data, DOUBLE in double_data, INT64 in int64_data, the rest
  // (incl. FLOAT16 bits) in int32_data. The count is checked before allocating: dims alone may
  // claim terabytes.
  const char* field = et == TP::FLOAT    ? "float_data"
                      : et == TP::DOUBLE ? "double_data"
                      : et == TP::INT64  ? "int64_data"
                                         : "int32_data";
  const size_t found = et == TP::FLOAT    ? static_cast<size_t>(t.float_data_size())
                       : et == TP::DOUBLE ? static_cast<size_t>(t.double_data_size())
                       : et == TP::INT64  ? static_cast<size_t>(t.int64_data_size())
                                          : static_cast<size_t>(t.int32_data_size());
  if (found != n) return count_error(field, found);
  Tensor out = Tensor::empty(dtype, shape);
  switch (et) {
    case TP::FLOAT: {
      if (n > 0) std::memcpy(out.raw(), t.float_data().data(), n * sizeof(float));
      break;
    }
    case TP::DOUBLE: {
      float* dst = out.data<float>();
      for (size_t i = 0; i < n; ++i) dst[i] = static_cast<float>(t.double_data(static_cast<int>(i)));
      break;
    }
    case TP::INT64: {
      if (n > 0) std::memcpy(out.raw(), t.int64_data().data(), n * sizeof(int64_t));
      break;
    }
    default: {
      for (size_t i = 0; i < n; ++i) {
        const int32_t v = t.int32_data(static_cast<int>(i));
        switch (et) {
          case TP::INT32: out.data<int32_t>()[i] = v; break;
          case TP::INT8: out.data<int8_t>()[i] = static_cast<int8_t>(v); break;
          case TP::UINT8: out.data<uint8_t>()[i] = static_cast<uint8_t>(v); break;
          case TP::BOOL: out.data<bool>()[i] = v != 0; break;
          case TP::FLOAT16: out.data<float>()[i] = half_to_float(static_cast<uint16_t>(v)); break;
          default: YQ_CHECK(false) << "unhandled elem type " << et;
        }
      }
      break;
    }
  }
  return out;
}

void tensor_to_onnx(const Tensor& t, onnx::TensorProto* out) {
  out->clear_dims();
  for (int64_t d : t.shape()) out->add_dims(d);
  out->set_data_type(dtype_to_onnx_elem_type(t.dtype()));
  if (t.nbytes() == 0) {
    out->set_raw_data(std::string());
  } else {
    out->set_raw_data(static_cast<const char*>(t.raw()), t.nbytes());
  }
}

}  // namespace yq::ir
