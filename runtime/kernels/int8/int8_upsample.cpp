// SPDX-License-Identifier: Apache-2.0
// UpsampleNearest (int8_kernels.h): nearest upsampling of an nhwc image by integer factors,
// written into a wider pixel stride. Pure data movement: each input pixel's C codes are loaded
// once per output row and stored fx times.
#include <immintrin.h>

#include <cstring>

#include "runtime/kernels/int8/int8_kernels.h"
#include "runtime/kernels/parallel_ranges.h"

namespace yq::runtime::int8 {
namespace {

// Below this many output codes one thread is faster than waking the team.
constexpr int64_t kParallelMin = 1 << 15;

__attribute__((target("avx512f,avx512bw"))) void rows_avx512(const UpsampleNearest& u, const uint8_t* in,
                                                             uint8_t* out, int64_t r0, int64_t r1) {
  const int64_t ow = u.w * u.fx;
  for (int64_t oy = r0; oy < r1; ++oy) {
    const uint8_t* src = in + (oy / u.fy) * u.w * u.c;
    uint8_t* dst = out + oy * ow * u.out_pixel_stride;
    for (int64_t x = 0; x < u.w; ++x) {
      for (int64_t c0 = 0; c0 < u.c; c0 += 64) {
        const int64_t len = u.c - c0 < 64 ? u.c - c0 : 64;
        const __mmask64 m = len == 64 ? ~__mmask64{0} : (~__mmask64{0} >> (64 - len));
        const __m512i v = _mm512_maskz_loadu_epi8(m, src + x * u.c + c0);
        for (int64_t k = 0; k < u.fx; ++k)
          _mm512_mask_storeu_epi8(dst + (x * u.fx + k) * u.out_pixel_stride + c0, m, v);
      }
    }
  }
}

void rows_scalar(const UpsampleNearest& u, const uint8_t* in, uint8_t* out, int64_t r0, int64_t r1) {
  const int64_t ow = u.w * u.fx;
  for (int64_t oy = r0; oy < r1; ++oy) {
    const uint8_t* src = in + (oy / u.fy) * u.w * u.c;
    uint8_t* dst = out + oy * ow * u.out_pixel_stride;
    for (int64_t ox = 0; ox < ow; ++ox)
      std::memcpy(dst + ox * u.out_pixel_stride, src + (ox / u.fx) * u.c, static_cast<size_t>(u.c));
  }
}

}  // namespace

void run_upsample_nearest(const UpsampleNearest& u, const void* in, void* out) {
  static const bool avx512 = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw");
  const int64_t rows = u.h * u.fy;
  const auto* src = static_cast<const uint8_t*>(in);
  auto* dst = static_cast<uint8_t*>(out);
  parallel_ranges(rows, rows * u.w * u.fx * u.c >= kParallelMin, 1, [&](int64_t b, int64_t e) {
    if (avx512) {
      rows_avx512(u, src, dst, b, e);
    } else {
      rows_scalar(u, src, dst, b, e);
    }
  });
}

}  // namespace yq::runtime::int8
