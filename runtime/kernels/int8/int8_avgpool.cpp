// SPDX-License-Identifier: Apache-2.0
// AveragePool from one int8 value to another over dense nhwc tensors (int8_kernels.h).
//
// Why: without it an average pool between int8 values runs in float, with a dequantize before and
// a quantize after: FastestDet's neck pool (3x3/s2 over 44x44x48) cost 0.06 ms, plus 0.04 ms of
// dequantize, where this loop takes a few microseconds. The sum of the codes is exact in int32;
// the mean is then scaled in float and rounded like quantize_dense (half to even under the default
// MXCSR), so it agrees with the fake-quant reference (which averages dequantized floats) within
// one LSB where a mean lands on a rounding boundary.
// GCC 12 warns "__Y may be used uninitialized" inside its own AVX-512 intrinsic headers (GCC bug
// 105593, see int8_quantize.cpp).
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <immintrin.h>

#include <algorithm>

#include "runtime/kernels/int8/int8_kernels.h"
#include "runtime/kernels/parallel_ranges.h"

namespace yq::runtime::int8 {
namespace {

constexpr int64_t kParallelCells = 1 << 15;  // window cells x channels below which one thread does it

template <bool kInU8, bool kOutU8>
__attribute__((target("avx512f,avx512bw,avx512vl"))) void avg_rows(const PoolNhwc& p, const AvgPoolQuant& q,
                                                                    const uint8_t* in, uint8_t* out,
                                                                    int64_t row_begin, int64_t row_end) {
  // The clamp bounds shifted by the output zero point (the clamp comes before adding it).
  const __m512 lo = _mm512_set1_ps((kOutU8 ? 0.f : -128.f) - static_cast<float>(q.out_zp));
  const __m512 hi = _mm512_set1_ps((kOutU8 ? 255.f : 127.f) - static_cast<float>(q.out_zp));
  const __m512i out_zp = _mm512_set1_epi32(q.out_zp);
  const float scale = q.in_scale * q.inv_out_scale;
  for (int64_t row = row_begin; row < row_end; ++row) {  // row = image * oh + y
    const int64_t img = row / p.oh, oy = row % p.oh;
    const int64_t y0 = oy * p.sh - p.pt;
    const int64_t ky0 = std::max<int64_t>(0, -y0), ky1 = std::min<int64_t>(p.kh, p.ih - y0);
    const uint8_t* src_img = in + img * p.ih * p.iw * p.c;
    uint8_t* dst = out + row * p.ow * p.c;
    for (int64_t ox = 0; ox < p.ow; ++ox, dst += p.c) {
      const int64_t x0 = ox * p.sw - p.pl;
      const int64_t kx0 = std::max<int64_t>(0, -x0), kx1 = std::min<int64_t>(p.kw, p.iw - x0);
      const int64_t cells = (ky1 - ky0) * (kx1 - kx0);
      const int64_t count = q.count_include_pad ? p.kh * p.kw : cells;
      const __m512 mul = _mm512_set1_ps(scale / static_cast<float>(count));
      const __m512i shift = _mm512_set1_epi32(static_cast<int32_t>(cells) * q.in_zp);
      for (int64_t c0 = 0; c0 < p.c; c0 += 16) {
        const int64_t len = std::min<int64_t>(16, p.c - c0);
        const __mmask16 m = static_cast<__mmask16>((1u << len) - 1);
        __m512i acc = _mm512_setzero_si512();
        for (int64_t ky = ky0; ky < ky1; ++ky) {
          const uint8_t* src = src_img + ((y0 + ky) * p.iw + x0) * p.c + c0;
          for (int64_t kx = kx0; kx < kx1; ++kx) {
            const __m128i b = _mm_maskz_loadu_epi8(m, src + kx * p.c);
            acc = _mm512_add_epi32(acc, kInU8 ? _mm512_cvtepu8_epi32(b) : _mm512_cvtepi8_epi32(b));
          }
        }
        const __m512 mean = _mm512_mul_ps(_mm512_cvtepi32_ps(_mm512_sub_epi32(acc, shift)), mul);
        const __m512i code = _mm512_add_epi32(_mm512_cvtps_epi32(_mm512_min_ps(_mm512_max_ps(mean, lo), hi)), out_zp);
        _mm512_mask_cvtepi32_storeu_epi8(dst + c0, m, code);
      }
    }
  }
}

}  // namespace

bool avgpool_nhwc_supported() {
  static const bool yes = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
                          __builtin_cpu_supports("avx512vl");
  return yes;
}

void run_avgpool_nhwc(const PoolNhwc& p, const AvgPoolQuant& q, const void* in, void* out) {
  const auto* src = static_cast<const uint8_t*>(in);
  auto* dst = static_cast<uint8_t*>(out);
  const int64_t rows = p.n * p.oh;
  const bool parallel = rows * p.ow * p.c * p.kh * p.kw >= kParallelCells;
  parallel_ranges(rows, parallel, 1, [&](int64_t b, int64_t e) {
    if (q.in_u8 && q.out_u8)
      avg_rows<true, true>(p, q, src, dst, b, e);
    else if (q.in_u8)
      avg_rows<true, false>(p, q, src, dst, b, e);
    else if (q.out_u8)
      avg_rows<false, true>(p, q, src, dst, b, e);
    else
      avg_rows<false, false>(p, q, src, dst, b, e);
  });
}

}  // namespace yq::runtime::int8
