// SPDX-License-Identifier: Apache-2.0
// Internal to yoloq_runtime's fp32 kernels: e^x for 16 floats in AVX-512F, shared by the SiLU
// pass (swish.cpp) and Softmax (plain_math.cpp). 2^t with t = x log2(e) split as n + f, f in
// [-0.5, 0.5]: 2^f by a degree-6 polynomial (error below 2e-7), scaled by 2^n with vscalef, which
// underflows to 0 below 2^-149 and overflows to +inf above 2^128. Callers check
// __builtin_cpu_supports("avx512f") and carry the target attribute themselves.
#pragma once

#include <immintrin.h>

namespace yq::runtime::fp32 {

__attribute__((target("avx512f"))) inline __m512 exp16(__m512 x) {
  const __m512 t = _mm512_mul_ps(x, _mm512_set1_ps(1.44269504088896341f));
  const __m512 n = _mm512_roundscale_ps(t, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  const __m512 f = _mm512_sub_ps(t, n);
  // 2^f: Taylor coefficients of exp(f ln 2)
  __m512 p = _mm512_set1_ps(1.5403530393381606e-4f);
  p = _mm512_fmadd_ps(p, f, _mm512_set1_ps(1.3333558146428443e-3f));
  p = _mm512_fmadd_ps(p, f, _mm512_set1_ps(9.6181291076284772e-3f));
  p = _mm512_fmadd_ps(p, f, _mm512_set1_ps(5.5504108664821580e-2f));
  p = _mm512_fmadd_ps(p, f, _mm512_set1_ps(2.4022650695910071e-1f));
  p = _mm512_fmadd_ps(p, f, _mm512_set1_ps(6.9314718055994531e-1f));
  p = _mm512_fmadd_ps(p, f, _mm512_set1_ps(1.f));
  return _mm512_scalef_ps(p, n);
}

}  // namespace yq::runtime::fp32
