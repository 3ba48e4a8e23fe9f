// SPDX-License-Identifier: Apache-2.0
// Quantize / dequantize between dense tensors of one layout. oneDNN 2.6 serves an f32 -> u8
// reorder of plain tensors with its scalar rnn_data_reorder: 0.50 ms for YOLOX-Nano's 3x416x416
// input at 2 threads, a tenth of the whole INT8 model. These loops do the same arithmetic as
// oneDNN's reorder (x * (1/s), clamped, rounded half to even by cvtps2dq under the default MXCSR).
#include <emmintrin.h>

#include <algorithm>
#include <cstdint>

#include "runtime/kernels/int8/int8_kernels.h"
#include "runtime/kernels/int8/parallel_ranges.h"

namespace yq::runtime::int8 {
namespace {

// Below this many elements one thread is faster than waking the team.
constexpr int64_t kParallelElems = 1 << 15;
constexpr int64_t kBlock = 16;  // floats per SSE2 iteration (one 16-byte store)

template <bool kU8>
void quantize_range(const float* x, uint8_t* q, int64_t begin, int64_t end, float mul) {
  const float lo = kU8 ? 0.f : -128.f, hi = kU8 ? 255.f : 127.f;
  const __m128 m = _mm_set1_ps(mul), vlo = _mm_set1_ps(lo), vhi = _mm_set1_ps(hi);
  int64_t i = begin;
  for (; i + kBlock <= end; i += kBlock) {
    __m128i r[4];
    for (int k = 0; k < 4; ++k) {
      // max(v, lo) returns lo for a NaN v (MAXPS returns its second operand), as oneDNN's saturation does.
      const __m128 v = _mm_min_ps(_mm_max_ps(_mm_mul_ps(_mm_loadu_ps(x + i + 4 * k), m), vlo), vhi);
      r[k] = _mm_cvtps_epi32(v);
    }
    const __m128i a = _mm_packs_epi32(r[0], r[1]), b = _mm_packs_epi32(r[2], r[3]);
    const __m128i p = kU8 ? _mm_packus_epi16(a, b) : _mm_packs_epi16(a, b);
    _mm_storeu_si128(reinterpret_cast<__m128i*>(q + i), p);
  }
  for (; i < end; ++i) {
    const __m128 v = _mm_min_ss(_mm_max_ss(_mm_mul_ss(_mm_set_ss(x[i]), m), vlo), vhi);
    const int r = _mm_cvtss_si32(v);
    q[i] = static_cast<uint8_t>(kU8 ? r : static_cast<int8_t>(r));
  }
}

template <class T>
void dequantize_range(const T* q, float* y, int64_t begin, int64_t end, float scale) {
  for (int64_t i = begin; i < end; ++i) y[i] = static_cast<float>(q[i]) * scale;
}

}  // namespace

void quantize_dense(const float* x, void* q, bool to_u8, int64_t n, float inv_scale) {
  auto* out = static_cast<uint8_t*>(q);
  if (to_u8)
    parallel_ranges(n, n >= kParallelElems, kBlock,
                    [&](int64_t b, int64_t e) { quantize_range<true>(x, out, b, e, inv_scale); });
  else
    parallel_ranges(n, n >= kParallelElems, kBlock,
                    [&](int64_t b, int64_t e) { quantize_range<false>(x, out, b, e, inv_scale); });
}

void dequantize_dense(const void* q, bool from_u8, float* y, int64_t n, float scale) {
  if (from_u8)
    parallel_ranges(n, n >= kParallelElems, kBlock,
                    [&](int64_t b, int64_t e) { dequantize_range(static_cast<const uint8_t*>(q), y, b, e, scale); });
  else
    parallel_ranges(n, n >= kParallelElems, kBlock,
                    [&](int64_t b, int64_t e) { dequantize_range(static_cast<const int8_t*>(q), y, b, e, scale); });
}

}  // namespace yq::runtime::int8
