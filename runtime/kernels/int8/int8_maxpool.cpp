// SPDX-License-Identifier: Apache-2.0
// MaxPool over a dense nhwc int8 tensor (int8_kernels.h). Why not oneDNN's: its int8 jit pooling
// takes 0.16 ms for FastestDet's 3x3/s2 pool over 176x176x24 (the f32 one 0.24 ms).
// Codes of one scale and zero point order like their values, so the max of the codes is the code
// of the max: exact, whatever the zero point.
#include <immintrin.h>

#include <algorithm>
#include <vector>

#include "runtime/kernels/int8/int8_kernels.h"
#include "runtime/kernels/parallel_ranges.h"

namespace yq::runtime::int8 {
namespace {

constexpr int64_t kParallelBytes = 1 << 15;

// Separable: the max over a window is the max over its columns of the max down each column. Per
// output row, the window's input rows are first reduced into one row (`rowmax`, whole 64-byte
// vectors over iw * c bytes), then each output pixel takes the max of kw pixels of that row. A
// 3x3 window costs 3 full-vector loads per 64 bytes plus 3 short loads per pixel, where the direct
// loop paid 9 short (masked, often line-crossing) loads per pixel and channel block: FastestDet's
// 3x3/s2 stem pool over 176x176x24 took 74 us that way.
template <bool kU8>
__attribute__((target("avx512f,avx512bw"))) inline __m512i max8(__m512i a, __m512i b) {
  return kU8 ? _mm512_max_epu8(a, b) : _mm512_max_epi8(a, b);
}

// The max down the window's columns for output row `row` into `rowmax` (iw * c bytes).
template <bool kU8>
__attribute__((target("avx512f,avx512bw"))) void column_max(const PoolNhwc& p, const uint8_t* in, int64_t row,
                                                             uint8_t* rowmax) {
  const int64_t row_bytes = p.iw * p.c;
  const int64_t img = row / p.oh, y0 = (row % p.oh) * p.sh - p.pt;
  const int64_t ky0 = std::max<int64_t>(0, -y0), ky1 = std::min<int64_t>(p.kh, p.ih - y0);
  const uint8_t* first = in + (img * p.ih + y0 + ky0) * row_bytes;
  for (int64_t b0 = 0; b0 < row_bytes; b0 += 64) {
    const int64_t len = std::min<int64_t>(64, row_bytes - b0);
    const __mmask64 m = len == 64 ? ~__mmask64{0} : (~__mmask64{0} >> (64 - len));
    __m512i acc = _mm512_maskz_loadu_epi8(m, first + b0);
    for (int64_t ky = ky0 + 1; ky < ky1; ++ky)
      acc = max8<kU8>(acc, _mm512_maskz_loadu_epi8(m, first + (ky - ky0) * row_bytes + b0));
    _mm512_mask_storeu_epi8(rowmax + b0, m, acc);
  }
}

// The max across the window's columns of `rowmax` for every pixel of output row `row`.
template <bool kU8>
__attribute__((target("avx512f,avx512bw,avx512vl"))) void row_max(const PoolNhwc& p, const uint8_t* rowmax, int64_t row,
                                                          uint8_t* out) {
  uint8_t* dst = out + row * p.ow * p.c;
  if (p.c <= 32) {
    // Narrow pixels: plain 32-byte loads (rowmax has 64 bytes of slack after its row), a masked
    // store. Masked short loads measured several times slower here.
    const __mmask32 m = p.c == 32 ? ~__mmask32{0} : ((__mmask32{1} << p.c) - 1);
    for (int64_t ox = 0; ox < p.ow; ++ox, dst += p.c) {
      const int64_t x0 = ox * p.sw - p.pl;
      const int64_t kx0 = std::max<int64_t>(0, -x0), kx1 = std::min<int64_t>(p.kw, p.iw - x0);
      const uint8_t* src = rowmax + (x0 + kx0) * p.c;
      __m256i acc = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(src));
      for (int64_t kx = 1; kx < kx1 - kx0; ++kx) {
        const __m256i v = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(src + kx * p.c));
        acc = kU8 ? _mm256_max_epu8(acc, v) : _mm256_max_epi8(acc, v);
      }
      _mm256_mask_storeu_epi8(dst, m, acc);
    }
    return;
  }
  for (int64_t ox = 0; ox < p.ow; ++ox, dst += p.c) {
    const int64_t x0 = ox * p.sw - p.pl;
    const int64_t kx0 = std::max<int64_t>(0, -x0), kx1 = std::min<int64_t>(p.kw, p.iw - x0);
    const uint8_t* src = rowmax + (x0 + kx0) * p.c;
    for (int64_t c0 = 0; c0 < p.c; c0 += 64) {
      const int64_t len = std::min<int64_t>(64, p.c - c0);
      const __mmask64 m = len == 64 ? ~__mmask64{0} : (~__mmask64{0} >> (64 - len));
      __m512i acc = _mm512_maskz_loadu_epi8(m, src + c0);
      for (int64_t kx = 1; kx < kx1 - kx0; ++kx) acc = max8<kU8>(acc, _mm512_maskz_loadu_epi8(m, src + kx * p.c + c0));
      _mm512_mask_storeu_epi8(dst + c0, m, acc);
    }
  }
}

// One row buffer per thread, with 64 bytes of slack for row_max's 32-byte loads at its end.
template <bool kU8>
void pool_rows(const PoolNhwc& p, const uint8_t* in, uint8_t* out, int64_t row_begin, int64_t row_end) {
  std::vector<uint8_t> rowmax(static_cast<size_t>(p.iw * p.c) + 64);
  for (int64_t row = row_begin; row < row_end; ++row) {
    column_max<kU8>(p, in, row, rowmax.data());
    row_max<kU8>(p, rowmax.data(), row, out);
  }
}

}  // namespace

bool maxpool_nhwc_supported() {
  static const bool avx512bw = __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl");
  return avx512bw;
}

void run_maxpool_nhwc(const PoolNhwc& p, const void* in, void* out, bool u8) {
  const auto* src = static_cast<const uint8_t*>(in);
  auto* dst = static_cast<uint8_t*>(out);
  const int64_t rows = p.n * p.oh;
  const bool parallel = rows * p.ow * p.c * p.kh * p.kw >= kParallelBytes;
  parallel_ranges(rows, parallel, 1, [&](int64_t b, int64_t e) {
    if (u8) {
      pool_rows<true>(p, src, dst, b, e);
    } else {
      pool_rows<false>(p, src, dst, b, e);
    }
  });
}

}  // namespace yq::runtime::int8
