// SPDX-License-Identifier: Apache-2.0
// SiLU / swish, y = x * sigmoid(x), over a dense f32 buffer (in place allowed). oneDNN 2.6's swish
// (an exp and a divide per value, as a conv epilogue or an eltwise pass) costs 0.32-0.36 ns per
// value at 2 threads; this loop costs about 0.19: x * sigmoid16(x) (exp_avx512.h).
//
// Numerics: exp(-|x|) in (0, 1] so 1 + e never overflows; relative error about 1e-6 against
// the double-precision definition; swish(x) = x for x beyond ~+88, -0 far below -88, NaN for NaN
// and for -inf (as x / (1 + exp(-x)) is).
// GCC 12 warns "__Y may be used uninitialized" inside its own AVX-512 intrinsic headers (GCC bug
// 105593, see int8_quantize.cpp).
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <immintrin.h>

#include <cmath>
#include <cstdint>

#include "runtime/kernels/fp32/exp_avx512.h"
#include "runtime/kernels/fp32/swish.h"
#include "runtime/kernels/parallel_ranges.h"

namespace yq::runtime::fp32 {
namespace {

constexpr int64_t kParallelValues = 1 << 14;

__attribute__((target("avx512f"))) inline __m512 swish16(__m512 x) { return _mm512_mul_ps(x, sigmoid16(x)); }

__attribute__((target("avx512f"))) void swish_avx512(const float* x, float* y, int64_t begin, int64_t end) {
  int64_t i = begin;
  for (; i + 16 <= end; i += 16) _mm512_storeu_ps(y + i, swish16(_mm512_loadu_ps(x + i)));
  if (i < end) {
    const __mmask16 k = static_cast<__mmask16>((1u << (end - i)) - 1);
    _mm512_mask_storeu_ps(y + i, k, swish16(_mm512_maskz_loadu_ps(k, x + i)));
  }
}

void swish_scalar(const float* x, float* y, int64_t begin, int64_t end) {
  for (int64_t i = begin; i < end; ++i) y[i] = x[i] / (1.f + std::exp(-x[i]));
}

}  // namespace

void swish(const float* x, float* y, int64_t n) {
  static const bool avx512 = __builtin_cpu_supports("avx512f");
  parallel_ranges(n, n >= kParallelValues, 16, [&](int64_t b, int64_t e) {
    if (avx512)
      swish_avx512(x, y, b, e);
    else
      swish_scalar(x, y, b, e);
  });
}

}  // namespace yq::runtime::fp32
