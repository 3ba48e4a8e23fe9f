// SPDX-License-Identifier: Apache-2.0
// MaxPool over a dense nhwc int8 tensor (int8_kernels.h). Why not oneDNN's: its int8 jit pooling
// takes 0.16 ms for FastestDet's 3x3/s2 pool over 176x176x24 (the f32 one 0.24 ms) where this
// loop, one 64-byte masked max per window cell and pixel, needs a few tens of microseconds.
// Codes of one scale and zero point order like their values, so the max of the codes is the code
// of the max: exact, whatever the zero point.
#include <immintrin.h>

#include <algorithm>

#include "runtime/kernels/int8/int8_kernels.h"
#include "runtime/kernels/parallel_ranges.h"

namespace yq::runtime::int8 {
namespace {

constexpr int64_t kParallelBytes = 1 << 15;

template <bool kU8>
__attribute__((target("avx512f,avx512bw"))) void pool_rows(const PoolNhwc& p, const uint8_t* in, uint8_t* out,
                                                            int64_t row_begin, int64_t row_end) {
  const __m512i lowest = kU8 ? _mm512_setzero_si512() : _mm512_set1_epi8(-128);
  for (int64_t row = row_begin; row < row_end; ++row) {  // row = image * oh + y
    const int64_t img = row / p.oh, oy = row % p.oh;
    const int64_t y0 = oy * p.sh - p.pt;
    const int64_t ky0 = std::max<int64_t>(0, -y0), ky1 = std::min<int64_t>(p.kh, p.ih - y0);
    const uint8_t* src_img = in + img * p.ih * p.iw * p.c;
    uint8_t* dst = out + row * p.ow * p.c;
    for (int64_t ox = 0; ox < p.ow; ++ox, dst += p.c) {
      const int64_t x0 = ox * p.sw - p.pl;
      const int64_t kx0 = std::max<int64_t>(0, -x0), kx1 = std::min<int64_t>(p.kw, p.iw - x0);
      for (int64_t c0 = 0; c0 < p.c; c0 += 64) {
        const int64_t len = std::min<int64_t>(64, p.c - c0);
        const __mmask64 m = len == 64 ? ~__mmask64{0} : (~__mmask64{0} >> (64 - len));
        __m512i acc = lowest;
        for (int64_t ky = ky0; ky < ky1; ++ky) {
          const uint8_t* src = src_img + ((y0 + ky) * p.iw + x0) * p.c + c0;
          for (int64_t kx = kx0; kx < kx1; ++kx) {
            const __m512i v = _mm512_maskz_loadu_epi8(m, src + kx * p.c);
            acc = kU8 ? _mm512_max_epu8(acc, v) : _mm512_max_epi8(acc, v);
          }
        }
        _mm512_mask_storeu_epi8(dst + c0, m, acc);
      }
    }
  }
}

}  // namespace

bool maxpool_nhwc_supported() {
  static const bool avx512bw = __builtin_cpu_supports("avx512bw");
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
