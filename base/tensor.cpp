// SPDX-License-Identifier: Apache-2.0
#include "base/tensor.h"

#include <cstdlib>
#include <cstring>
#include <limits>
#include <sstream>

namespace yq {

int64_t shape_numel(const Shape& s) {
  int64_t n = 1;
  for (int64_t d : s) {
    YQ_CHECK(d >= 0) << "negative dim in " << shape_str(s);
    YQ_CHECK(d == 0 || n <= std::numeric_limits<int64_t>::max() / d) << "element count overflows";
    n *= d;
  }
  return n;
}

std::string shape_str(const Shape& s) {
  std::ostringstream os;
  os << '[';
  for (size_t i = 0; i < s.size(); ++i) os << (i ? "," : "") << s[i];
  os << ']';
  return os.str();
}

Tensor Tensor::empty(DType dtype, Shape shape) {
  Tensor t;
  t.dtype_ = dtype;
  t.numel_ = shape_numel(shape);
  t.shape_ = std::move(shape);
  size_t bytes = t.nbytes();
  // Round up to the alignment and never ask aligned_alloc for 0 bytes.
  size_t alloc = (bytes + 63) / 64 * 64;
  if (alloc == 0) alloc = 64;
  void* p = std::aligned_alloc(64, alloc);
  YQ_CHECK(p != nullptr) << "out of memory allocating " << alloc << " bytes";
  t.storage_ = std::shared_ptr<void>(p, [](void* q) { std::free(q); });
  t.data_ = p;
  return t;
}

Tensor Tensor::zeros(DType dtype, Shape shape) {
  Tensor t = empty(dtype, std::move(shape));
  std::memset(t.data_, 0, t.nbytes());
  return t;
}

Tensor Tensor::wrap(void* data, DType dtype, Shape shape) {
  Tensor t;
  t.dtype_ = dtype;
  t.numel_ = shape_numel(shape);
  t.shape_ = std::move(shape);
  t.data_ = data;
  return t;
}

Tensor Tensor::reshaped(Shape shape) const {
  YQ_CHECK(shape_numel(shape) == numel_) << "reshape " << shape_str(shape_) << " -> " << shape_str(shape);
  Tensor t = *this;
  t.shape_ = std::move(shape);
  return t;
}

Tensor Tensor::clone() const {
  Tensor t = empty(dtype_, shape_);
  if (nbytes()) std::memcpy(t.data_, data_, nbytes());
  return t;
}

std::vector<int64_t> Tensor::to_int64_vector() const {
  std::vector<int64_t> out(static_cast<size_t>(numel_));
  for (int64_t i = 0; i < numel_; ++i) {
    switch (dtype_) {
      case DType::kI64: out[i] = static_cast<const int64_t*>(data_)[i]; break;
      case DType::kI32: out[i] = static_cast<const int32_t*>(data_)[i]; break;
      case DType::kI8: out[i] = static_cast<const int8_t*>(data_)[i]; break;
      case DType::kU8: out[i] = static_cast<const uint8_t*>(data_)[i]; break;
      case DType::kBool: out[i] = static_cast<const bool*>(data_)[i]; break;
      default: YQ_CHECK(false) << "to_int64_vector on " << dtype_name(dtype_);
    }
  }
  return out;
}

}  // namespace yq
