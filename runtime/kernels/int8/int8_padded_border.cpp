// SPDX-License-Identifier: Apache-2.0
// The border of a padded nhwc source (int8_kernels.h: PaddedBorder): whole rows above and below
// the interior, and the left and right pixels of every interior row. Small (YOLOX-Nano's largest:
// 32 channels around 104x104, 13 KB), so one thread.
#include <cstring>

#include "runtime/kernels/int8/int8_kernels.h"

namespace yq::runtime::int8 {

void fill_border(const PaddedBorder& b, void* buf) {
  auto* p = static_cast<uint8_t*>(buf);
  const int64_t row_bytes = (b.left + b.cols + b.right) * b.channels;
  const int64_t left = b.left * b.channels, right = b.right * b.channels;
  std::memset(p, b.code, static_cast<size_t>(b.top * row_bytes));
  uint8_t* row = p + b.top * row_bytes;
  for (int64_t r = 0; r < b.rows; ++r, row += row_bytes) {
    if (left > 0) std::memset(row, b.code, static_cast<size_t>(left));
    if (right > 0) std::memset(row + row_bytes - right, b.code, static_cast<size_t>(right));
  }
  std::memset(row, b.code, static_cast<size_t>(b.bottom * row_bytes));
}

}  // namespace yq::runtime::int8
