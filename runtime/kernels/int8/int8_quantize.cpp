// SPDX-License-Identifier: Apache-2.0
// Quantize / dequantize between dense tensors of one layout. oneDNN 2.6 serves an f32 -> u8
// reorder of plain tensors with its scalar rnn_data_reorder: 0.50 ms for YOLOX-Nano's 3x416x416
// input at 2 threads, a tenth of the whole INT8 model. These loops do the same arithmetic as
// oneDNN's reorder (x * (1/s), clamped, rounded half to even by cvtps2dq under the default MXCSR).
// GCC 12 warns "__Y may be used uninitialized" inside its own AVX-512 intrinsic headers (the
// _mm512_undefined_* pass-through of unmasked ops, GCC bug 105593); the warning is about the header.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <immintrin.h>

#include <algorithm>
#include <climits>
#include <cstring>
#include <cstdint>
#include <vector>

#include "base/check.h"
#include "runtime/kernels/int8/int8_kernels.h"
#include "runtime/kernels/parallel_ranges.h"

namespace yq::runtime::int8 {
namespace {

// Below this many elements one thread is faster than waking the team.
constexpr int64_t kParallelElems = 1 << 15;
constexpr int64_t kBlock = 16;  // floats per SSE2 iteration (one 16-byte store)

// q = saturate(round_half_even(x * mul) + zp): the clamp to [lo - zp, hi - zp] happens before the
// rounding, which commutes with adding the integer zp.
template <bool kU8>
void quantize_range(const float* x, uint8_t* q, int64_t begin, int64_t end, float mul, int32_t zp = 0) {
  const float lo = (kU8 ? 0.f : -128.f) - static_cast<float>(zp), hi = (kU8 ? 255.f : 127.f) - static_cast<float>(zp);
  const __m128 m = _mm_set1_ps(mul), vlo = _mm_set1_ps(lo), vhi = _mm_set1_ps(hi);
  const __m128i vzp = _mm_set1_epi32(zp);
  int64_t i = begin;
  for (; i + kBlock <= end; i += kBlock) {
    __m128i r[4];
    for (int k = 0; k < 4; ++k) {
      // max(v, lo) returns lo for a NaN v (MAXPS returns its second operand), as oneDNN's saturation does.
      const __m128 v = _mm_min_ps(_mm_max_ps(_mm_mul_ps(_mm_loadu_ps(x + i + 4 * k), m), vlo), vhi);
      r[k] = _mm_add_epi32(_mm_cvtps_epi32(v), vzp);
    }
    const __m128i a = _mm_packs_epi32(r[0], r[1]), b = _mm_packs_epi32(r[2], r[3]);
    const __m128i p = kU8 ? _mm_packus_epi16(a, b) : _mm_packs_epi16(a, b);
    _mm_storeu_si128(reinterpret_cast<__m128i*>(q + i), p);
  }
  for (; i < end; ++i) {
    const __m128 v = _mm_min_ss(_mm_max_ss(_mm_mul_ss(_mm_set_ss(x[i]), m), vlo), vhi);
    const int r = _mm_cvtss_si32(v) + zp;
    q[i] = static_cast<uint8_t>(kU8 ? r : static_cast<int8_t>(r));
  }
}

// The same arithmetic 16 floats per instruction, the tail under a mask. The SSE loop above spends
// 28 instructions per 16 values and is what bounds it: YOLOX-Nano's 519k-value input took 0.18 ms.
// (Helpers rather than lambdas: a lambda does not inherit its function's target attribute.)
struct QuantizeConsts {
  __m512 m, lo, hi;
  __m512i zp;
};
__attribute__((target("avx512f,avx512bw"))) inline __m512i quantize16(__m512 v, const QuantizeConsts& c) {
  // After the clamp and + zp every lane lies in the target range, so truncating to bytes is exact.
  return _mm512_add_epi32(_mm512_cvtps_epi32(_mm512_min_ps(_mm512_max_ps(_mm512_mul_ps(v, c.m), c.lo), c.hi)), c.zp);
}

template <bool kU8>
__attribute__((target("avx512f,avx512bw"))) void quantize_range_avx512(const float* x, uint8_t* q, int64_t begin,
                                                                         int64_t end, float mul, int32_t zp = 0) {
  const float lo = (kU8 ? 0.f : -128.f) - static_cast<float>(zp), hi = (kU8 ? 255.f : 127.f) - static_cast<float>(zp);
  const QuantizeConsts c{_mm512_set1_ps(mul), _mm512_set1_ps(lo), _mm512_set1_ps(hi), _mm512_set1_epi32(zp)};
  int64_t i = begin;
  for (; i + 16 <= end; i += 16)
    _mm_storeu_si128(reinterpret_cast<__m128i*>(q + i), _mm512_cvtepi32_epi8(quantize16(_mm512_loadu_ps(x + i), c)));
  if (i < end) {
    const __mmask16 k = static_cast<__mmask16>((1u << (end - i)) - 1);
    _mm512_mask_cvtepi32_storeu_epi8(q + i, k, quantize16(_mm512_maskz_loadu_ps(k, x + i), c));
  }
}

template <class T>
void dequantize_range(const T* q, float* y, int64_t begin, int64_t end, float scale, int32_t zp) {
  for (int64_t i = begin; i < end; ++i) y[i] = static_cast<float>(static_cast<int32_t>(q[i]) - zp) * scale;
}

template <bool kU8>
__attribute__((target("avx512f,avx512bw"))) inline __m512 dequantize16(__m128i b, __m512i zp, __m512 scale) {
  __m512i w;
  if constexpr (kU8)
    w = _mm512_cvtepu8_epi32(b);
  else
    w = _mm512_cvtepi8_epi32(b);
  return _mm512_mul_ps(_mm512_cvtepi32_ps(_mm512_sub_epi32(w, zp)), scale);
}

template <bool kU8>
__attribute__((target("avx512f,avx512bw,avx512vl"))) void dequantize_range_avx512(const uint8_t* q, float* y, int64_t begin,
                                                                           int64_t end, float scale, int32_t zp) {
  const __m512 s = _mm512_set1_ps(scale);
  const __m512i vzp = _mm512_set1_epi32(zp);
  int64_t i = begin;
  for (; i + 16 <= end; i += 16)
    _mm512_storeu_ps(y + i, dequantize16<kU8>(_mm_loadu_si128(reinterpret_cast<const __m128i*>(q + i)), vzp, s));
  if (i < end) {
    const __mmask16 k = static_cast<__mmask16>((1u << (end - i)) - 1);
    _mm512_mask_storeu_ps(y + i, k, dequantize16<kU8>(_mm_maskz_loadu_epi8(k, q + i), vzp, s));
  }
}

// x[p, c] * gate[c] quantized, `pixels` rows of `channels` floats (nhwc) into as many codes: the
// product rounds to f32 first, as the separate Mul step wrote it, then quantize16's arithmetic.
template <bool kU8>
__attribute__((target("avx512f,avx512bw"))) void quantize_gated_avx512(const float* x, const float* gate, uint8_t* q,
                                                                         int64_t begin, int64_t end, int64_t channels,
                                                                         float mul, int32_t zp) {
  const float lo = (kU8 ? 0.f : -128.f) - static_cast<float>(zp), hi = (kU8 ? 255.f : 127.f) - static_cast<float>(zp);
  const QuantizeConsts c{_mm512_set1_ps(mul), _mm512_set1_ps(lo), _mm512_set1_ps(hi), _mm512_set1_epi32(zp)};
  for (int64_t p = begin; p < end; ++p) {
    const float* xp = x + p * channels;
    uint8_t* qp = q + p * channels;
    int64_t ch = 0;
    for (; ch + 16 <= channels; ch += 16) {
      const __m512 v = _mm512_mul_ps(_mm512_loadu_ps(xp + ch), _mm512_loadu_ps(gate + ch));
      _mm_storeu_si128(reinterpret_cast<__m128i*>(qp + ch), _mm512_cvtepi32_epi8(quantize16(v, c)));
    }
    if (ch < channels) {
      const __mmask16 k = static_cast<__mmask16>((1u << (channels - ch)) - 1);
      const __m512 v = _mm512_mul_ps(_mm512_maskz_loadu_ps(k, xp + ch), _mm512_maskz_loadu_ps(k, gate + ch));
      _mm512_mask_cvtepi32_storeu_epi8(qp + ch, k, quantize16(v, c));
    }
  }
}

bool has_avx512bw() {
  static const bool yes = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
                          __builtin_cpu_supports("avx512vl");
  return yes;
}

// One entry for both instruction sets (the SSE2 loop is the baseline x86-64 has).
template <bool kU8>
void quantize_any(const float* x, uint8_t* q, int64_t begin, int64_t end, float mul, int32_t zp = 0) {
  if (has_avx512bw())
    quantize_range_avx512<kU8>(x, q, begin, end, mul, zp);
  else
    quantize_range<kU8>(x, q, begin, end, mul, zp);
}

constexpr int64_t kInterleavePixels = 1024;  // pixels per block of quantize_nchw_to_nhwc

// Interleaves c (<= 4) planes of bytes into pixels, 16 pixels per step: the c 16-byte rows go
// into one 64-byte register and one vpermb puts byte (channel k, pixel p) at p*c + k. Returns how
// many pixels it did (a multiple of 16); the caller finishes the tail.
__attribute__((target("avx512f,avx512bw,avx512vbmi"))) int64_t interleave_vbmi(
    const uint8_t (*planes)[kInterleavePixels], uint8_t* out, int64_t c, int64_t len) {
  alignas(64) uint8_t idx[64] = {};
  for (int64_t j = 0; j < 16 * c; ++j) idx[j] = static_cast<uint8_t>((j % c) * 16 + j / c);
  const __m512i perm = _mm512_load_si512(idx);
  const __mmask64 keep = c == 4 ? ~__mmask64{0} : ((__mmask64{1} << (16 * c)) - 1);
  int64_t p = 0;
  for (; p + 16 <= len; p += 16) {
    __m512i v = _mm512_setzero_si512();
    v = _mm512_inserti32x4(v, _mm_loadu_si128(reinterpret_cast<const __m128i*>(planes[0] + p)), 0);
    if (c > 1) v = _mm512_inserti32x4(v, _mm_loadu_si128(reinterpret_cast<const __m128i*>(planes[1] + p)), 1);
    if (c > 2) v = _mm512_inserti32x4(v, _mm_loadu_si128(reinterpret_cast<const __m128i*>(planes[2] + p)), 2);
    if (c > 3) v = _mm512_inserti32x4(v, _mm_loadu_si128(reinterpret_cast<const __m128i*>(planes[3] + p)), 3);
    _mm512_mask_storeu_epi8(out + p * c, keep, _mm512_permutexvar_epi8(perm, v));
  }
  return p;
}

}  // namespace

void quantize_dense(const float* x, void* q, bool to_u8, int64_t n, float inv_scale, int32_t zp) {
  auto* out = static_cast<uint8_t*>(q);
  if (to_u8)
    parallel_ranges(n, n >= kParallelElems, kBlock,
                    [&](int64_t b, int64_t e) { quantize_any<true>(x, out, b, e, inv_scale, zp); });
  else
    parallel_ranges(n, n >= kParallelElems, kBlock,
                    [&](int64_t b, int64_t e) { quantize_any<false>(x, out, b, e, inv_scale, zp); });
}

void quantize_nchw_to_nhwc(const float* x, void* q, bool to_u8, int64_t n, int64_t c, int64_t hw, float inv_scale) {
  YQ_CHECK(c >= 1 && c <= kMaxInterleaveChannels) << "quantize_nchw_to_nhwc: " << c << " channels";
  auto* out = static_cast<uint8_t*>(q);
  static const bool vbmi = __builtin_cpu_supports("avx512vbmi");
  // Blocks of pixels: each channel's plane quantized by the dense loop into a small buffer, then
  // the channels interleaved into pixels. One pass over the f32 input instead of a quantize and
  // a u8 reorder (0.19 + 0.19 ms for YOLOX-Nano's input before).
  const int64_t blocks_per_image = (hw + kInterleavePixels - 1) / kInterleavePixels;
  parallel_ranges(n * blocks_per_image, n * c * hw >= kParallelElems, 1, [&](int64_t b0, int64_t b1) {
    alignas(64) uint8_t buf[kMaxInterleaveChannels][kInterleavePixels];
    for (int64_t b = b0; b < b1; ++b) {
      const int64_t img = b / blocks_per_image, p0 = (b % blocks_per_image) * kInterleavePixels;
      const int64_t len = std::min(kInterleavePixels, hw - p0);
      const float* xi = x + img * c * hw;
      for (int64_t ch = 0; ch < c; ++ch) {
        const float* src = xi + ch * hw + p0;
        if (to_u8)
          quantize_any<true>(src, buf[ch], 0, len, inv_scale);
        else
          quantize_any<false>(src, buf[ch], 0, len, inv_scale);
      }
      uint8_t* o = out + (img * hw + p0) * c;
      int64_t p = vbmi ? interleave_vbmi(buf, o, c, len) : 0;
      for (; p < len; ++p)
        for (int64_t ch = 0; ch < c; ++ch) o[p * c + ch] = buf[ch][p];
    }
  });
}

namespace {

// out[x * words + k] = rows[k][x] for 16-bit words (the byte pairs of quantize_nchw_to_s2d_nhwc),
// 32 pixels per step: each 64-byte output block draws its words from pairs of rows with one
// two-source word permute per pair, merged by masks (WordInterleave: built once per call).
constexpr int kMaxWords = 2 * kMaxInterleaveChannels;
struct WordInterleave {
  int64_t words = 0;
  alignas(64) uint16_t idx[kMaxWords][kMaxWords / 2][32];  // output block m, row pair p: word index
  uint32_t mask[kMaxWords][kMaxWords / 2];                 // the output words row pair p supplies
};

WordInterleave make_word_interleave(int64_t words) {
  WordInterleave w;
  w.words = words;
  for (int64_t m = 0; m < words; ++m)
    for (int64_t p = 0; p < words / 2; ++p) {
      w.mask[m][p] = 0;
      for (int64_t j = 0; j < 32; ++j) {
        const int64_t g = 32 * m + j, x = g / words, k = g % words;
        w.idx[m][p][j] = static_cast<uint16_t>(x + (k % 2) * 32);
        if (k / 2 == p) w.mask[m][p] |= 1u << j;
      }
    }
  return w;
}

// Returns how many pixels it did (a multiple of 32); the caller finishes the tail.
__attribute__((target("avx512f,avx512bw"))) int64_t interleave_words_avx512(const WordInterleave& w,
                                                                           const uint16_t* const* rows, uint16_t* out,
                                                                           int64_t len) {
  const int64_t words = w.words;
  int64_t x0 = 0;
  for (; x0 + 32 <= len; x0 += 32) {
    __m512i src[kMaxWords];
    for (int64_t k = 0; k < words; ++k) src[k] = _mm512_loadu_si512(rows[k] + x0);
    for (int64_t m = 0; m < words; ++m) {
      __m512i v = _mm512_setzero_si512();
      for (int64_t p = 0; p < words / 2; ++p)
        v = _mm512_mask_mov_epi16(v, w.mask[m][p],
                                  _mm512_permutex2var_epi16(src[2 * p], _mm512_load_si512(w.idx[m][p]), src[2 * p + 1]));
      _mm512_storeu_si512(out + x0 * words + 32 * m, v);
    }
  }
  return x0;
}

}  // namespace

void quantize_nchw_to_s2d_nhwc(const float* x, void* q, bool to_u8, int64_t n, int64_t c, int64_t h, int64_t w,
                               float inv_scale) {
  YQ_CHECK(c >= 1 && c <= kMaxInterleaveChannels && h % 2 == 0 && w % 2 == 0 && w <= 2 * kInterleavePixels)
      << "quantize_nchw_to_s2d_nhwc: " << c << " channels, " << h << "x" << w;
  auto* out = static_cast<uint8_t*>(q);
  const int64_t oh = h / 2, ow = w / 2, cc = 4 * c;
  // Per output row: the 2c input rows it covers quantized into byte rows (the dense loop), then
  // each output pixel takes the byte pair (2x, 2x + 1) of every row: channels (dy*c + ch)*2 + dx
  // are 2c consecutive 16-bit words.
  const bool avx512 = has_avx512bw();
  const WordInterleave interleave = make_word_interleave(2 * c);
  parallel_ranges(n * oh, n * c * h * w >= kParallelElems, 1, [&](int64_t r0, int64_t r1) {
    alignas(64) uint8_t rows[2 * kMaxInterleaveChannels][2 * kInterleavePixels];
    for (int64_t r = r0; r < r1; ++r) {
      const int64_t img = r / oh, y = r % oh;
      for (int64_t dy = 0; dy < 2; ++dy)
        for (int64_t ch = 0; ch < c; ++ch) {
          const float* src = x + ((img * c + ch) * h + 2 * y + dy) * w;
          if (to_u8)
            quantize_any<true>(src, rows[dy * c + ch], 0, w, inv_scale);
          else
            quantize_any<false>(src, rows[dy * c + ch], 0, w, inv_scale);
        }
      uint8_t* o = out + (img * oh + y) * ow * cc;
      const int64_t words = 2 * c;
      const uint16_t* word_rows[2 * kMaxInterleaveChannels];
      for (int64_t k = 0; k < words; ++k) word_rows[k] = reinterpret_cast<const uint16_t*>(rows[k]);
      int64_t xo = avx512 ? interleave_words_avx512(interleave, word_rows, reinterpret_cast<uint16_t*>(o), ow) : 0;
      for (; xo < ow; ++xo)
        for (int64_t k = 0; k < words; ++k) std::memcpy(o + (xo * words + k) * 2, rows[k] + 2 * xo, 2);
    }
  });
}

namespace {

// Output pixels [0, ow) of one im2col row from kh nhwc byte rows (each starting pad_l pixels
// before the image, zeros outside it, 16 bytes of slack after it): pixel x takes kw * c <= 16
// consecutive bytes of each row at pixel x * stride, then zeros up to k_pad. Whole 16-byte
// stores in order, each next one overwriting the previous one's excess; the last row's bytes
// arrive with their zeros (a masked load), and the row's last pixel stores under a mask.
__attribute__((target("avx512f,avx512bw,avx512vl"))) void gather_patches_avx512(const uint8_t* const* rows,
                                                                               const Im2col& im, uint8_t* o) {
  const int64_t span = im.kw * im.c, tail_at = (im.kh - 1) * span;
  const __mmask16 load = static_cast<__mmask16>((1u << span) - 1);
  const __mmask16 tail = static_cast<__mmask16>((1u << std::min<int64_t>(16, im.k_pad - tail_at)) - 1);
  int64_t xo = 0;
  for (; xo + 1 < im.ow; ++xo, o += im.k_pad) {
    const int64_t at = xo * im.stride_w * im.c;
    for (int64_t ky = 0; ky + 1 < im.kh; ++ky)
      _mm_storeu_si128(reinterpret_cast<__m128i*>(o + ky * span),
                       _mm_loadu_si128(reinterpret_cast<const __m128i*>(rows[ky] + at)));
    // The excess of the last store lands in the next pixel's bytes, which come after.
    _mm_storeu_si128(reinterpret_cast<__m128i*>(o + tail_at), _mm_maskz_loadu_epi8(load, rows[im.kh - 1] + at));
  }
  // The row's last pixel: nothing past its k_pad bytes (another thread's row may follow).
  const int64_t at = xo * im.stride_w * im.c;
  for (int64_t ky = 0; ky + 1 < im.kh; ++ky)
    _mm_mask_storeu_epi8(o + ky * span, load, _mm_maskz_loadu_epi8(load, rows[ky] + at));
  _mm_mask_storeu_epi8(o + tail_at, tail, _mm_maskz_loadu_epi8(load, rows[im.kh - 1] + at));
}

}  // namespace

void quantize_nchw_to_im2col(const float* x, void* q, bool to_u8, const Im2col& im, float inv_scale, int64_t r0,
                             int64_t r1) {
  const int64_t span = im.kw * im.c, row_bytes = (im.w + im.pad_l + im.kw + 16) * im.c;
  YQ_CHECK(im.c >= 1 && im.c <= kMaxInterleaveChannels && span <= 16 && im.kh * span <= im.k_pad &&
           im.k_pad - (im.kh - 1) * span <= 16 && im.w <= kInterleavePixels && im.kh <= kMaxIm2col)
      << "quantize_nchw_to_im2col: " << im.c << " channels, " << im.kh << "x" << im.kw << " taps, width " << im.w;
  auto* out = static_cast<uint8_t*>(q);
  static const bool vbmi = __builtin_cpu_supports("avx512vbmi");
  const bool avx512 = has_avx512bw();
  // Input rows as nhwc bytes with zeros around them (pad_l pixels before, slack after), kept in a
  // few slots so that a row two output rows share (stride < kh) is quantized once; then each
  // output pixel's patch gathered from its kh rows.
  const int64_t slots = im.kh + im.stride_h;
  const std::vector<uint8_t> zero_row(static_cast<size_t>(row_bytes), 0);
  parallel_ranges(r1 - r0, (r1 - r0) * im.ow * im.k_pad >= kParallelElems, 1, [&](int64_t b, int64_t e) {
    alignas(64) uint8_t planes[kMaxInterleaveChannels][kInterleavePixels];
    std::vector<uint8_t> buf(static_cast<size_t>(slots * row_bytes), 0);
    std::vector<int64_t> tag(static_cast<size_t>(slots), INT64_MIN);  // the input row a slot holds
    std::vector<const uint8_t*> rows(static_cast<size_t>(im.kh));
    for (int64_t y = r0 + b; y < r0 + e; ++y) {
      const int64_t first = y * im.stride_h - im.pad_t;
      for (int64_t ky = 0; ky < im.kh; ++ky) {
        const int64_t iy = first + ky;
        if (iy < 0 || iy >= im.h) {
          rows[ky] = zero_row.data();
          continue;
        }
        int64_t slot = -1;
        for (int64_t k = 0; k < slots && slot < 0; ++k)
          if (tag[k] == iy) slot = k;
        if (slot >= 0) {
          rows[ky] = buf.data() + slot * row_bytes;
          continue;
        }
        for (int64_t k = 0; k < slots && slot < 0; ++k)
          if (tag[k] < first) slot = k;  // a row no later output row reads (rows only move down)
        tag[slot] = iy;
        uint8_t* row = buf.data() + slot * row_bytes;  // its zeros around the image stay zeros
        rows[ky] = row;
        for (int64_t ch = 0; ch < im.c; ++ch) {
          const float* src = x + (ch * im.h + iy) * im.w;
          if (to_u8)
            quantize_any<true>(src, planes[ch], 0, im.w, inv_scale);
          else
            quantize_any<false>(src, planes[ch], 0, im.w, inv_scale);
        }
        uint8_t* o = row + im.pad_l * im.c;
        int64_t p = vbmi ? interleave_vbmi(planes, o, im.c, im.w) : 0;
        for (; p < im.w; ++p)
          for (int64_t ch = 0; ch < im.c; ++ch) o[p * im.c + ch] = planes[ch][p];
      }
      uint8_t* o = out + y * im.ow * im.k_pad;
      if (avx512) {
        gather_patches_avx512(rows.data(), im, o);
        continue;
      }
      for (int64_t xo = 0; xo < im.ow; ++xo, o += im.k_pad) {
        std::memset(o, 0, static_cast<size_t>(im.k_pad));
        for (int64_t ky = 0; ky < im.kh; ++ky)
          std::memcpy(o + ky * span, rows[ky] + xo * im.stride_w * im.c, static_cast<size_t>(span));
      }
    }
  });
}

void dequantize_dense(const void* q, bool from_u8, float* y, int64_t n, float scale, int32_t zp) {
  const auto* bytes = static_cast<const uint8_t*>(q);
  parallel_ranges(n, n >= kParallelElems, kBlock, [&](int64_t b, int64_t e) {
    if (has_avx512bw())
      from_u8 ? dequantize_range_avx512<true>(bytes, y, b, e, scale, zp)
              : dequantize_range_avx512<false>(bytes, y, b, e, scale, zp);
    else if (from_u8)
      dequantize_range(bytes, y, b, e, scale, zp);
    else
      dequantize_range(reinterpret_cast<const int8_t*>(bytes), y, b, e, scale, zp);
  });
}

void quantize_gated(const float* x, const float* gate, void* q, bool to_u8, int64_t pixels, int64_t channels,
                    float inv_scale, int32_t zp) {
  auto* out = static_cast<uint8_t*>(q);
  parallel_ranges(pixels, pixels * channels >= kParallelElems, 1, [&](int64_t b, int64_t e) {
    if (has_avx512bw()) {
      to_u8 ? quantize_gated_avx512<true>(x, gate, out, b, e, channels, inv_scale, zp)
            : quantize_gated_avx512<false>(x, gate, out, b, e, channels, inv_scale, zp);
      return;
    }
    std::vector<float> t(static_cast<size_t>(channels));  // the SSE2 path: one pixel's products
    for (int64_t p = b; p < e; ++p) {
      for (int64_t ch = 0; ch < channels; ++ch) t[ch] = x[p * channels + ch] * gate[ch];
      to_u8 ? quantize_range<true>(t.data(), out + p * channels, 0, channels, inv_scale, zp)
            : quantize_range<false>(t.data(), out + p * channels, 0, channels, inv_scale, zp);
    }
  });
}

}  // namespace yq::runtime::int8
