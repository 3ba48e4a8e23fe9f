// SPDX-License-Identifier: Apache-2.0
// ByteTable (int8_kernels.h): an elementwise function of 8-bit codes as one 256-byte table.
// With AVX-512 VBMI a 64-byte block is two vpermi2b lookups (each covers 128 table entries; the
// code's top bit picks one), about one cycle per 64 codes; elsewhere a scalar loop.
#include <immintrin.h>

#include "quant/qmath.h"
#include "runtime/kernels/int8/int8_kernels.h"
#include "runtime/kernels/parallel_ranges.h"

namespace yq::runtime::int8 {
namespace {

// Below this many codes one thread is faster than waking the team.
constexpr int64_t kParallelMin = 1 << 15;

__attribute__((target("avx512f,avx512bw,avx512vbmi"))) void run_vbmi(const uint8_t* table, const uint8_t* in,
                                                                     uint8_t* out, int64_t n) {
  const __m512i t0 = _mm512_loadu_si512(table), t1 = _mm512_loadu_si512(table + 64);
  const __m512i t2 = _mm512_loadu_si512(table + 128), t3 = _mm512_loadu_si512(table + 192);
  int64_t i = 0;
  for (; i + 64 <= n; i += 64) {
    const __m512i x = _mm512_loadu_si512(in + i);
    const __m512i lo = _mm512_permutex2var_epi8(t0, x, t1), hi = _mm512_permutex2var_epi8(t2, x, t3);
    _mm512_storeu_si512(out + i, _mm512_mask_blend_epi8(_mm512_movepi8_mask(x), lo, hi));
  }
  for (; i < n; ++i) out[i] = table[in[i]];
}

// Rows [r0, r1) of row_len codes, dense in `in`, `out_stride` apart in `out`.
__attribute__((target("avx512f,avx512bw,avx512vbmi"))) void run_rows_vbmi(const uint8_t* table, const uint8_t* in,
                                                                          uint8_t* out, int64_t r0, int64_t r1,
                                                                          int64_t row_len, int64_t out_stride) {
  const __m512i t0 = _mm512_loadu_si512(table), t1 = _mm512_loadu_si512(table + 64);
  const __m512i t2 = _mm512_loadu_si512(table + 128), t3 = _mm512_loadu_si512(table + 192);
  for (int64_t r = r0; r < r1; ++r) {
    const uint8_t* src = in + r * row_len;
    uint8_t* dst = out + r * out_stride;
    int64_t c0 = 0;
    for (; c0 + 64 <= row_len; c0 += 64) {
      const __m512i x = _mm512_loadu_si512(src + c0);
      const __m512i lo = _mm512_permutex2var_epi8(t0, x, t1), hi = _mm512_permutex2var_epi8(t2, x, t3);
      _mm512_storeu_si512(dst + c0, _mm512_mask_blend_epi8(_mm512_movepi8_mask(x), lo, hi));
    }
    if (c0 < row_len) {  // a tail of fewer than 64 codes: masked
      const __mmask64 m = ~__mmask64{0} >> (64 - (row_len - c0));
      const __m512i x = _mm512_maskz_loadu_epi8(m, src + c0);
      const __m512i lo = _mm512_permutex2var_epi8(t0, x, t1), hi = _mm512_permutex2var_epi8(t2, x, t3);
      _mm512_mask_storeu_epi8(dst + c0, m, _mm512_mask_blend_epi8(_mm512_movepi8_mask(x), lo, hi));
    }
  }
}

void run_scalar(const uint8_t* table, const uint8_t* in, uint8_t* out, int64_t n) {
  for (int64_t i = 0; i < n; ++i) out[i] = table[in[i]];
}

}  // namespace

ByteTable make_byte_table(const ir::QParams& in, const ir::QParams& out, const std::function<float(float)>& f) {
  ByteTable t{};
  for (int32_t q = in.qmin; q <= in.qmax; ++q) {
    const float x = quant::dequantize_value(q, in.scales[0], in.zero_points[0]);
    const int32_t y = quant::quantize_value(f(x), out.scales[0], out.zero_points[0], out.qmin, out.qmax);
    t.out[static_cast<uint8_t>(q)] = static_cast<uint8_t>(y);  // s8 codes as their two's-complement byte
  }
  return t;
}

void run_byte_table(const ByteTable& t, const void* in, void* out, int64_t n) {
  static const bool vbmi = __builtin_cpu_supports("avx512vbmi");
  const auto* src = static_cast<const uint8_t*>(in);
  auto* dst = static_cast<uint8_t*>(out);
  parallel_ranges(n, n >= kParallelMin, 64, [&](int64_t b, int64_t e) {
    if (vbmi) {
      run_vbmi(t.out, src + b, dst + b, e - b);
    } else {
      run_scalar(t.out, src + b, dst + b, e - b);
    }
  });
}

void run_byte_table_rows(const ByteTable& t, const void* in, void* out, int64_t rows, int64_t row_len,
                         int64_t out_stride) {
  static const bool vbmi = __builtin_cpu_supports("avx512vbmi");
  const auto* src = static_cast<const uint8_t*>(in);
  auto* dst = static_cast<uint8_t*>(out);
  parallel_ranges(rows, rows * row_len >= kParallelMin, 1, [&](int64_t b, int64_t e) {
    if (vbmi) {
      run_rows_vbmi(t.out, src, dst, b, e, row_len, out_stride);
    } else {
      for (int64_t r = b; r < e; ++r) run_scalar(t.out, src + r * row_len, dst + r * out_stride, row_len);
    }
  });
}

}  // namespace yq::runtime::int8
