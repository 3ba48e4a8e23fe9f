// SPDX-License-Identifier: Apache-2.0
// Tensor: a dense, row-major (C order) n-d array with shared, 64-byte aligned storage.
//
// Copying a Tensor shares its storage (like a shared_ptr); use clone() for a deep copy.
// A Tensor made by wrap() borrows memory it does not own: the caller keeps it alive.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "base/check.h"
#include "base/dtype.h"

namespace yq {

using Shape = std::vector<int64_t>;

int64_t shape_numel(const Shape& s);     // product of dims; 1 for a scalar (rank 0)
std::string shape_str(const Shape& s);   // "[1,3,416,416]"

class Tensor {
 public:
  Tensor() = default;
  // Uninitialised storage. Byte size is checked against overflow (YQ_CHECK).
  static Tensor empty(DType dtype, Shape shape);
  static Tensor zeros(DType dtype, Shape shape);
  // Borrow external memory; no ownership.
  static Tensor wrap(void* data, DType dtype, Shape shape);
  template <typename T>
  static Tensor from_vector(const std::vector<T>& v, Shape shape) {
    Tensor t = empty(dtype_of<T>(), std::move(shape));
    YQ_CHECK(static_cast<int64_t>(v.size()) == t.numel()) << "from_vector: size mismatch";
    std::copy(v.begin(), v.end(), t.data<T>());
    return t;
  }
  template <typename T>
  static Tensor scalar(T v) { return from_vector<T>({v}, {}); }

  bool defined() const { return data_ != nullptr || numel_ == 0; }
  DType dtype() const { return dtype_; }
  const Shape& shape() const { return shape_; }
  int64_t dim(int i) const { return shape_.at(i < 0 ? i + rank() : i); }
  int rank() const { return static_cast<int>(shape_.size()); }
  int64_t numel() const { return numel_; }
  size_t nbytes() const { return static_cast<size_t>(numel_) * dtype_size(dtype_); }

  void* raw() { return data_; }
  const void* raw() const { return data_; }
  template <typename T>
  T* data() {
    YQ_CHECK(dtype_of<T>() == dtype_) << "tensor holds " << dtype_name(dtype_);
    return static_cast<T*>(data_);
  }
  template <typename T>
  const T* data() const {
    YQ_CHECK(dtype_of<T>() == dtype_) << "tensor holds " << dtype_name(dtype_);
    return static_cast<const T*>(data_);
  }
  template <typename T>
  std::span<const T> values() const { return {data<T>(), static_cast<size_t>(numel_)}; }

  // Same storage, new shape with the same element count.
  Tensor reshaped(Shape shape) const;
  Tensor clone() const;
  // Integer tensors (i64/i32/i8/u8/bool) read as int64 values; f32 is rejected (YQ_CHECK).
  std::vector<int64_t> to_int64_vector() const;

 private:
  std::shared_ptr<void> storage_;
  void* data_ = nullptr;
  DType dtype_ = DType::kF32;
  Shape shape_;
  int64_t numel_ = 0;
};

}  // namespace yq
