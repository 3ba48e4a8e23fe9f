// SPDX-License-Identifier: Apache-2.0
// PointwiseTable (int8_kernels.h): a 1x1 int8 conv and the byte table after it in one pass.
// AVX-512 VNNI: a block of up to 6 pixels x 64 output channels accumulates in 24 registers, four
// input channels per vpdpbusd (the pixel's 4 codes broadcast, 16 channels' 4 weights each); the
// epilogue rounds each 16 channels to pre-activation codes as oneDNN's int8 conv does and maps 64
// of them at a time through the table with two byte permutes, so the pre-activation never
// reaches memory. The HardSwish epilogue computes the activation and the per-channel factor in
// float instead and packs the output codes without a table.
#include <immintrin.h>

#include <algorithm>
#include <cmath>

#include "base/check.h"
#include "runtime/kernels/int8/int8_kernels.h"
#include "runtime/kernels/parallel_ranges.h"

namespace yq::runtime::int8 {
namespace {

// Below this many multiply-adds one thread is faster than waking the team.
constexpr int64_t kParallelMacs = int64_t{1} << 18;

// Where pixel p's outputs go: rows of `per_row` pixels (oc codes each), row_stride bytes apart.
struct Dst {
  uint8_t* base;
  int64_t per_row, row_stride, oc;
};

// Pixel pointers walked in order, without a division per pixel.
struct DstCursor {
  const Dst& d;
  int64_t row, col;
  DstCursor(const Dst& dst, int64_t p) : d(dst), row(p / dst.per_row), col(p % dst.per_row) {}
  uint8_t* next() {
    uint8_t* ptr = d.base + row * d.row_stride + col * d.oc;
    if (++col == d.per_row) {
      col = 0;
      ++row;
    }
    return ptr;
  }
};

// acc += dot4(a u8, w s8) per 32-bit lane. Inline assembly: GCC 12 ties _mm512_dpbusd_epi32's
// accumulator through extra register moves and spills a 20-accumulator block to the stack (the
// kernel ran at half oneDNN's speed).
__attribute__((target("avx512f,avx512vnni"))) inline void dpbusd(__m512i& acc, __m512i a, __m512i w) {
  asm("vpdpbusd %2, %1, %0" : "+v"(acc) : "v"(a), "v"(w));
}

// The table on 64 codes: two 128-entry permutes, the top bit picks one (the table read from L1:
// four more live registers would spill the accumulators).
__attribute__((target("avx512f,avx512bw,avx512vbmi"))) inline __m512i lookup64(const uint8_t* table, __m512i idx) {
  const __m512i lo = _mm512_permutex2var_epi8(_mm512_loadu_si512(table), idx, _mm512_loadu_si512(table + 64));
  const __m512i hi = _mm512_permutex2var_epi8(_mm512_loadu_si512(table + 128), idx, _mm512_loadu_si512(table + 192));
  return _mm512_mask_blend_epi8(_mm512_movepi8_mask(idx), lo, hi);
}

// Pixels [p, p + P) x output channel blocks [ob, ob + NB) of 16, of which the last holds `tail`
// real channels (16 but in the last block of an oc off 16: its padding channels are computed and
// not stored). S8: the source codes are s8, read as u8 by flipping their top bit; the compensation
// takes the difference off.
template <int P, int NB, bool S8, bool HS>
__attribute__((target("avx512f,avx512bw,avx512vl,avx512vnni,avx512vbmi"))) inline void block(
    const PointwiseTable& k, const uint8_t* src, int64_t src_stride, DstCursor& dst, int64_t p, int64_t ob, int tail) {
  const int64_t groups = k.ic / 4;
  // Every loop over i and j fully unrolled: GCC 12 keeps an array of vectors indexed in a loop in
  // memory, and the accumulators must stay in registers.
  __m512i acc[P][NB];
#pragma GCC unroll 8
  for (int i = 0; i < P; ++i)
#pragma GCC unroll 8
    for (int j = 0; j < NB; ++j) acc[i][j] = _mm512_setzero_si512();
  const int8_t* w = k.weights.data() + ob * groups * 64;
  const uint8_t* s = src + p * src_stride;
  for (int64_t g = 0; g < groups; ++g) {
    __m512i wv[NB];
#pragma GCC unroll 8
    for (int j = 0; j < NB; ++j) wv[j] = _mm512_loadu_si512(w + (j * groups + g) * 64);
#pragma GCC unroll 8
    for (int i = 0; i < P; ++i) {
      int32_t four;  // the pixel's 4 codes of this group (unaligned)
      __builtin_memcpy(&four, s + i * src_stride + 4 * g, 4);
      __m512i av = _mm512_set1_epi32(four);
      if constexpr (S8) av = _mm512_xor_si512(av, _mm512_set1_epi32(static_cast<int>(0x80808080u)));
#pragma GCC unroll 8
      for (int j = 0; j < NB; ++j) dpbusd(acc[i][j], av, wv[j]);
    }
  }
  __m512 bias[NB], scale[NB];
#pragma GCC unroll 8
  for (int j = 0; j < NB; ++j) {
    bias[j] = _mm512_loadu_ps(k.bias.data() + (ob + j) * 16);
    scale[j] = _mm512_loadu_ps(k.scale.data() + (ob + j) * 16);
  }
  const __m512 alpha = _mm512_set1_ps(HS ? 1.f / 6 : k.alpha), beta = _mm512_set1_ps(HS ? 0.5f : k.beta);
  uint8_t* out[P];
#pragma GCC unroll 8
  for (int i = 0; i < P; ++i) out[i] = dst.next() + ob * 16;
  // Pieces (pixel i, channel block j) in order, four to a register: piece 4r + l's 16 codes go to
  // bytes [16l, 16l + 16) of register r, which the table then maps 64 codes at once.
  __m512i v[4] = {_mm512_setzero_si512(), _mm512_setzero_si512(), _mm512_setzero_si512(), _mm512_setzero_si512()};
  const __m512i order = _mm512_setr_epi32(0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15);
#pragma GCC unroll 32
  for (int q = 0; q < P * NB; ++q) {
    const int i = q / NB, j = q % NB;
    // oneDNN's int8 epilogue step by step (its roundings too): (acc + bias) * scale, then the
    // linear post-op as one multiply-add, rounded half to even.
    __m512i a = acc[i][j];
    if constexpr (S8) a = _mm512_sub_epi32(a, _mm512_loadu_si512(k.compensation.data() + (ob + j) * 16));
    const __m512 f = _mm512_mul_ps(_mm512_add_ps(_mm512_cvtepi32_ps(a), bias[j]), scale[j]);
    if constexpr (HS) {
      // hardswish(f) * out_mul + out_zp (alpha, beta: 1/6, 1/2); the factors read from L1.
      const __m512 gate = _mm512_min_ps(_mm512_max_ps(_mm512_fmadd_ps(f, alpha, beta), _mm512_setzero_ps()),
                                        _mm512_set1_ps(1.f));
      v[q % 4] = _mm512_cvtps_epi32(_mm512_fmadd_ps(_mm512_mul_ps(f, gate),
                                                    _mm512_loadu_ps(k.out_mul.data() + (ob + j) * 16),
                                                    _mm512_set1_ps(k.out_zp)));
    } else {
      v[q % 4] = _mm512_cvtps_epi32(_mm512_fmadd_ps(f, alpha, beta));
    }
    if (q % 4 == 3 || q == P * NB - 1) {
      // Saturating packs to 16 then 8 bits interleave the four registers by 128-bit lane (lane k:
      // v0[4k..4k+3], v1[..], v2[..], v3[..]); the dword permute puts each register's codes together.
      const __m512i w01 = _mm512_packs_epi32(v[0], v[1]), w23 = _mm512_packs_epi32(v[2], v[3]);
      const __m512i bytes = k.dst_u8 ? _mm512_packus_epi16(w01, w23) : _mm512_packs_epi16(w01, w23);
      const __m512i ordered = _mm512_permutexvar_epi32(order, bytes);
      const __m512i y = HS ? ordered : lookup64(k.table.out, ordered);
      if (NB == 4 && tail == 16) {
        _mm512_storeu_si512(out[i], y);
      } else {
        const int first = q - q % 4;
#pragma GCC unroll 4
        for (int r = first; r <= q; ++r) {
          uint8_t* o = out[r / NB] + (r % NB) * 16;
          __m128i piece;
          switch (r % 4) {  // a constant once the loops are unrolled
            case 0:
              piece = _mm512_castsi512_si128(y);
              break;
            case 1:
              piece = _mm512_extracti32x4_epi32(y, 1);
              break;
            case 2:
              piece = _mm512_extracti32x4_epi32(y, 2);
              break;
            default:
              piece = _mm512_extracti32x4_epi32(y, 3);
          }
          if (r % NB == NB - 1 && tail < 16) {
            _mm_mask_storeu_epi8(o, static_cast<__mmask16>((1u << tail) - 1), piece);
          } else {
            _mm_storeu_si128(reinterpret_cast<__m128i*>(o), piece);
          }
        }
      }
    }
  }
}

template <int NB, bool S8, bool HS>
__attribute__((target("avx512f,avx512bw,avx512vl,avx512vnni,avx512vbmi"))) void run_channels(
    const PointwiseTable& k, const uint8_t* src, int64_t src_stride, const Dst& dst, int64_t p0, int64_t p1,
    int64_t ob, int tail) {
  // Accumulators + weights + a broadcast within 32 registers, whole registers of pieces.
  constexpr int P = NB == 4 ? 5 : NB == 1 ? 8 : NB == 2 ? 6 : 4;
  DstCursor cursor(dst, p0);
  int64_t p = p0;
  for (; p + P <= p1; p += P) block<P, NB, S8, HS>(k, src, src_stride, cursor, p, ob, tail);
  for (; p < p1; ++p) block<1, NB, S8, HS>(k, src, src_stride, cursor, p, ob, tail);
}

template <bool S8, bool HS>
void run_range(const PointwiseTable& k, const uint8_t* src, int64_t src_stride, const Dst& dst, int64_t p0,
               int64_t p1) {
  const int64_t blocks = (k.oc + 15) / 16;
  for (int64_t ob = 0; ob < blocks; ob += 4) {
    const int64_t nb = std::min<int64_t>(4, blocks - ob);
    const int tail = ob + nb == blocks ? static_cast<int>(k.oc - (blocks - 1) * 16) : 16;
    switch (nb) {
      case 4:
        run_channels<4, S8, HS>(k, src, src_stride, dst, p0, p1, ob, tail);
        break;
      case 3:
        run_channels<3, S8, HS>(k, src, src_stride, dst, p0, p1, ob, tail);
        break;
      case 2:
        run_channels<2, S8, HS>(k, src, src_stride, dst, p0, p1, ob, tail);
        break;
      default:
        run_channels<1, S8, HS>(k, src, src_stride, dst, p0, p1, ob, tail);
    }
  }
}

}  // namespace

bool pointwise_table_supported() {
  static const bool yes = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
                          __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512vnni") &&
                          __builtin_cpu_supports("avx512vbmi");
  return yes;
}

namespace {

// The weights in the kernel's layout, scales, bias and s8-source compensation.
std::optional<PointwiseTable> pack_pointwise(const int8_t* w, int64_t oc, int64_t ic, const float* scale,
                                             const float* bias, bool src_s8, bool dst_u8) {
  if (oc <= 0 || ic <= 0 || ic % 4 != 0) return std::nullopt;
  PointwiseTable k;
  k.ic = ic;
  k.oc = oc;
  k.src_s8 = src_s8;
  k.dst_u8 = dst_u8;
  // Per-channel arrays padded to whole blocks of 16 with zeros (channels computed, never stored).
  const int64_t oc_pad = (oc + 15) / 16 * 16;
  k.scale.assign(oc_pad, 0.f);
  std::copy(scale, scale + oc, k.scale.begin());
  k.bias.assign(oc_pad, 0.f);
  k.compensation.assign(oc_pad, 0);
  const int64_t groups = ic / 4;
  k.weights.assign(static_cast<size_t>(oc_pad * ic), 0);
  for (int64_t o = 0; o < oc; ++o) {
    int64_t sum = 0;
    for (int64_t c = 0; c < ic; ++c) {
      const int8_t v = w[o * ic + c];
      sum += v;
      // [oc_pad / 16][ic / 4][16][4]
      k.weights[static_cast<size_t>((((o / 16) * groups + c / 4) * 16 + o % 16) * 4 + c % 4)] = v;
    }
    // An s8 source is read as u8 (code + 128): 128 times the weights' sum comes off the
    // accumulator, in integers (exact, as oneDNN's compensation).
    k.compensation[o] = src_s8 ? static_cast<int32_t>(128 * sum) : 0;
    k.bias[o] = bias ? bias[o] : 0.f;
  }
  return k;
}

}  // namespace

std::optional<PointwiseTable> make_pointwise_table(const int8_t* w, int64_t oc, int64_t ic, const float* scale,
                                                   const float* bias, float alpha, float beta, bool src_s8,
                                                   bool dst_u8, const ByteTable& table) {
  std::optional<PointwiseTable> k = pack_pointwise(w, oc, ic, scale, bias, src_s8, dst_u8);
  if (!k) return std::nullopt;
  k->alpha = alpha;
  k->beta = beta;
  k->table = table;
  return k;
}

std::optional<PointwiseTable> make_pointwise_hardswish(const int8_t* w, int64_t oc, int64_t ic, const float* scale,
                                                       const float* bias, const float* out_mul, float out_zp,
                                                       bool src_s8, bool dst_u8) {
  std::optional<PointwiseTable> k = pack_pointwise(w, oc, ic, scale, bias, src_s8, dst_u8);
  if (!k) return std::nullopt;
  k->epilogue = PointwiseTable::Epilogue::kHardSwish;
  k->out_mul.assign(k->scale.size(), 0.f);
  std::copy(out_mul, out_mul + oc, k->out_mul.begin());
  k->out_zp = out_zp;
  return k;
}

void run_pointwise_table(const PointwiseTable& k, const void* src, int64_t src_pixel_stride, void* dst,
                         int64_t dst_row_len, int64_t dst_row_stride, int64_t p0, int64_t p1) {
  YQ_CHECK(pointwise_table_supported()) << "run_pointwise_table needs AVX-512 VNNI and VBMI";
  YQ_CHECK(dst_row_len % k.oc == 0) << "run_pointwise_table: rows of " << dst_row_len << " bytes, " << k.oc
                                     << " channels";
  const Dst d{static_cast<uint8_t*>(dst), dst_row_len / k.oc, dst_row_stride, k.oc};
  const auto* s = static_cast<const uint8_t*>(src);
  parallel_ranges(p1 - p0, (p1 - p0) * k.ic * k.oc >= kParallelMacs, 6,
                  [&](int64_t b, int64_t e) {
                    const bool hs = k.epilogue == PointwiseTable::Epilogue::kHardSwish;
                    if (k.src_s8) {
                      hs ? run_range<true, true>(k, s, src_pixel_stride, d, p0 + b, p0 + e)
                         : run_range<true, false>(k, s, src_pixel_stride, d, p0 + b, p0 + e);
                    } else {
                      hs ? run_range<false, true>(k, s, src_pixel_stride, d, p0 + b, p0 + e)
                         : run_range<false, false>(k, s, src_pixel_stride, d, p0 + b, p0 + e);
                    }
                  });
}

}  // namespace yq::runtime::int8
