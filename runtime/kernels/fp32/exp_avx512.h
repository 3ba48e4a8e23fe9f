// SPDX-License-Identifier: Apache-2.0
// Internal to yoloq_runtime's fp32 kernels: e^x and the logistic sigmoid for 16 floats in
// AVX-512F, shared by the SiLU pass (swish.cpp), Softmax (plain_math.cpp) and the sigmoid copy
// of detector heads (plain_copy.cpp). 2^t with t = x log2(e) split as n + f, f in
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

// 1 / (1 + e^-x): e = exp(-|x|) in (0, 1] so 1 + e never overflows, 1 / (1 + e) as rcp14 plus one
// Newton step; r for x >= 0, e * r = e^x / (1 + e^x) below. Relative error about 1e-6 against
// the double-precision definition; 0 below -87.3 (where it falls under the smallest normal
// float), 1 far above, NaN for NaN.
// Why the cut: exp16 underflows gradually, and denormal results cost a microcode assist each:
// a SiLU pass over values around -90 ran 20x slower (1.2 ms instead of 60 us for 173k values),
// which made latency depend on the data (a synthetic input drove a conv's pre-activations there).
__attribute__((target("avx512f"))) inline __m512 sigmoid16(__m512 x) {
  const __m512 lowest = _mm512_set1_ps(-87.3f);  // e^-87.3 = 1.3e-38, just above FLT_MIN
  const __m512 e = exp16(_mm512_max_ps(_mm512_sub_ps(_mm512_setzero_ps(), _mm512_abs_ps(x)), lowest));
  const __m512 d = _mm512_add_ps(e, _mm512_set1_ps(1.f));
  __m512 r = _mm512_rcp14_ps(d);
  r = _mm512_mul_ps(r, _mm512_fnmadd_ps(d, r, _mm512_set1_ps(2.f)));
  const __mmask16 neg = _mm512_cmp_ps_mask(x, _mm512_setzero_ps(), _CMP_LT_OQ);
  const __mmask16 under = _mm512_cmp_ps_mask(x, lowest, _CMP_LT_OQ);
  return _mm512_maskz_mov_ps(static_cast<__mmask16>(~under), _mm512_mask_mul_ps(r, neg, r, e));
}

}  // namespace yq::runtime::fp32
