// SPDX-License-Identifier: Apache-2.0
// TableAdd (int8_kernels.h): a residual block's activation and add in one pass over 8-bit codes,
// y = quantize(f(dequantize(t)) + dequantize(r)).
//
// Why: in an int8 conv, oneDNN's swish epilogue followed by the residual sum costs 3-4x the conv
// itself (YOLOX-Nano's 16->16 1x1 at 104x104: 0.10 ms with swish + sum, 0.03 ms writing plain
// codes). Here f comes from a 256-entry float table over t's codes (f already divided by s_y), so
// a value costs a gather, one fused multiply-add and a rounding: no exp, no divide.
#include <immintrin.h>

#include <algorithm>
#include <cmath>

#include "quant/qmath.h"
#include "runtime/kernels/int8/int8_kernels.h"
#include "runtime/kernels/parallel_ranges.h"

namespace yq::runtime::int8 {
namespace {

// Below this many values one thread is faster than waking the team.
constexpr int64_t kParallelMin = 1 << 15;

// Rows [r0, r1) of row_len values, dense in t and r, out_stride apart in y (one row of n values
// for the dense pass); the constants are set up once for all rows.
__attribute__((target("avx512f,avx512bw,avx512vl"))) void run_rows_avx512(const TableAdd& ta, const uint8_t* t,
                                                                          const uint8_t* r, uint8_t* y, int64_t r0,
                                                                          int64_t r1, int64_t row_len,
                                                                          int64_t out_stride) {
  const __m512 rs = _mm512_set1_ps(ta.r_scale), off = _mm512_set1_ps(ta.offset);
  const __m512i lo = _mm512_set1_epi32(ta.qmin), hi = _mm512_set1_epi32(ta.qmax);
  for (int64_t row = r0; row < r1; ++row) {
    const uint8_t* tp = t + row * row_len;
    const uint8_t* rp = r + row * row_len;
    uint8_t* yp = y + row * out_stride;
    for (int64_t i = 0; i < row_len; i += 16) {
      const __mmask16 m = row_len - i >= 16 ? static_cast<__mmask16>(0xFFFF)
                                            : static_cast<__mmask16>((1u << (row_len - i)) - 1);
      const __m512i tc = _mm512_maskz_cvtepu8_epi32(m, _mm_maskz_loadu_epi8(m, tp + i));
      const __m128i rb = _mm_maskz_loadu_epi8(m, rp + i);
      const __m512i rc = ta.r_u8 ? _mm512_maskz_cvtepu8_epi32(m, rb) : _mm512_maskz_cvtepi8_epi32(m, rb);
      const __m512 ft = _mm512_mask_i32gather_ps(_mm512_setzero_ps(), m, tc, ta.table, 4);
      // round half to even (the default MXCSR mode), as quant::quantize_value's nearbyint
      const __m512 v = _mm512_add_ps(_mm512_fmadd_ps(_mm512_cvtepi32_ps(rc), rs, ft), off);
      const __m512i q = _mm512_min_epi32(_mm512_max_epi32(_mm512_cvtps_epi32(v), lo), hi);
      _mm_mask_storeu_epi8(yp + i, m, _mm512_cvtepi32_epi8(q));
    }
  }
}

void run_scalar(const TableAdd& ta, const uint8_t* t, const uint8_t* r, uint8_t* y, int64_t n) {
  for (int64_t i = 0; i < n; ++i) {
    const float rc = ta.r_u8 ? static_cast<float>(r[i]) : static_cast<float>(static_cast<int8_t>(r[i]));
    const float v = std::fma(rc, ta.r_scale, ta.table[t[i]]) + ta.offset;
    const float q = std::clamp(std::nearbyint(v), static_cast<float>(ta.qmin), static_cast<float>(ta.qmax));
    y[i] = static_cast<uint8_t>(static_cast<int32_t>(q));
  }
}

}  // namespace

TableAdd make_table_add(const ir::QParams& t, const ir::QParams& r, const ir::QParams& y,
                        const std::function<float(float)>& f) {
  TableAdd ta{};
  const float inv_y = 1.f / y.scales[0];
  for (int32_t q = t.qmin; q <= t.qmax; ++q)
    ta.table[static_cast<uint8_t>(q)] = f(quant::dequantize_value(q, t.scales[0], t.zero_points[0])) * inv_y;
  ta.r_scale = r.scales[0] * inv_y;
  ta.offset = static_cast<float>(y.zero_points[0]) - static_cast<float>(r.zero_points[0]) * ta.r_scale;
  ta.r_u8 = r.dtype == DType::kU8;
  ta.qmin = y.qmin;
  ta.qmax = y.qmax;
  return ta;
}

void run_table_add_rows(const TableAdd& ta, const void* t, const void* r, void* y, int64_t rows, int64_t row_len,
                        int64_t out_stride) {
  static const bool avx512 = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
                             __builtin_cpu_supports("avx512vl");
  const auto* tp = static_cast<const uint8_t*>(t);
  const auto* rp = static_cast<const uint8_t*>(r);
  auto* yp = static_cast<uint8_t*>(y);
  parallel_ranges(rows, rows * row_len >= kParallelMin, 1, [&](int64_t b, int64_t e) {
    if (avx512) {
      run_rows_avx512(ta, tp, rp, yp, b, e, row_len, out_stride);
    } else {
      for (int64_t i = b; i < e; ++i)
        run_scalar(ta, tp + i * row_len, rp + i * row_len, yp + i * out_stride, row_len);
    }
  });
}

void run_table_add(const TableAdd& ta, const void* t, const void* r, void* y, int64_t n) {
  static const bool avx512 = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
                             __builtin_cpu_supports("avx512vl");
  const auto* tp = static_cast<const uint8_t*>(t);
  const auto* rp = static_cast<const uint8_t*>(r);
  auto* yp = static_cast<uint8_t*>(y);
  parallel_ranges(n, n >= kParallelMin, 64, [&](int64_t b, int64_t e) {
    if (avx512) {
      run_rows_avx512(ta, tp + b, rp + b, yp + b, 0, 1, e - b, 0);
    } else {
      run_scalar(ta, tp + b, rp + b, yp + b, e - b);
    }
  });
}

}  // namespace yq::runtime::int8
