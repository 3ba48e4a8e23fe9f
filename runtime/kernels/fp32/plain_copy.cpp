// SPDX-License-Identifier: Apache-2.0
// Plain-layout data movement: Transpose, Concat, Split, Slice, Gather and constant Pad. All of
// them are one primitive, "copy a strided region": for every index i of a box, out[i·os] = in[i·is].
// The box is first simplified (unit dims dropped, dims merged where both sides stay contiguous,
// so a channel shuffle [2,C/2,HW]->(1,0,2) becomes rows of HW floats), then copied row by row
// (memcpy when both sides are contiguous) or, when the input's innermost axis moves, in square
// tiles so that both the reads and the writes stay within a few cache lines.
// GCC 12 warns "__Y may be used uninitialized" inside its own AVX-512 intrinsic headers (GCC bug
// 105593, see int8_quantize.cpp).
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <immintrin.h>
#include <omp.h>
#if defined(__SSE2__)
#include <emmintrin.h>  // SSE/SSE2 are part of x86-64 itself: no runtime CPU check needed
#endif

#include <algorithm>
#include <cmath>
#include <cstring>

#include "runtime/kernels/fp32/exp_avx512.h"
#include "runtime/kernels/fp32/plain_kernels.h"
#include "runtime/kernels/ref/ref_ops.h"

namespace yq::runtime::fp32 {
namespace {

constexpr int kMaxRank = 8;
// Below this many bytes a parallel region (a fork and a join, several microseconds, far more when
// the cores are shared with other processes) costs more than it saves.
constexpr int64_t kParallelBytes = 256 * 1024;
// Rows longer than this are split into pieces when there are too few rows to share out.
constexpr int64_t kPieceElems = 16 * 1024;
constexpr int64_t kTile = 16;

struct Region {
  int rank = 0;
  int64_t dims[kMaxRank];
  int64_t is[kMaxRank];  // input strides, elements
  int64_t os[kMaxRank];  // output strides, elements
};

// Simplifies the box; false when it still has more than kMaxRank dims.
bool make_region(int rank, const int64_t* dims, const int64_t* is, const int64_t* os, Region* r) {
  r->rank = 0;
  for (int d = 0; d < rank; ++d) {
    if (dims[d] == 1) continue;
    if (r->rank > 0) {
      const int p = r->rank - 1;
      if (r->is[p] == is[d] * dims[d] && r->os[p] == os[d] * dims[d]) {
        r->dims[p] *= dims[d];
        r->is[p] = is[d];
        r->os[p] = os[d];
        continue;
      }
    }
    if (r->rank == kMaxRank) return false;
    r->dims[r->rank] = dims[d];
    r->is[r->rank] = is[d];
    r->os[r->rank] = os[d];
    ++r->rank;
  }
  if (r->rank == 0) {
    r->rank = 1;
    r->dims[0] = 1;
    r->is[0] = r->os[0] = 1;
  }
  return true;
}

template <typename T>
void copy_row(const T* in, T* out, int64_t n, int64_t is, int64_t os) {
  if (n <= 8 && is == 1 && os == 1) {
    for (int64_t j = 0; j < n; ++j) out[j] = in[j];  // cheaper than a memcpy call for short rows
  } else if (is == 1 && os == 1) {
    std::memcpy(out, in, static_cast<size_t>(n) * sizeof(T));
  } else if (os == 1) {
    for (int64_t j = 0; j < n; ++j) out[j] = in[j * is];
  } else {
    for (int64_t j = 0; j < n; ++j) out[j * os] = in[j * is];
  }
}

// Offsets of row `row` (row-major over dims [0, last)) in input and output.
inline void row_offsets(const Region& r, int last, int64_t row, int64_t* io, int64_t* oo) {
  int64_t i_off = 0, o_off = 0;
  for (int d = last - 1; d >= 0; --d) {
    const int64_t k = row % r.dims[d];
    row /= r.dims[d];
    i_off += k * r.is[d];
    o_off += k * r.os[d];
  }
  *io = i_off;
  *oo = o_off;
}

// Tiled copy for when the output's innermost axis (`last`) is not the input's: axis `tj` is
// contiguous in the input, `last` in the output. Every other axis indexes a batch of tiles.
template <typename T>
void copy_tiled(const T* in, T* out, const Region& r, int tj, bool parallel) {
  const int last = r.rank - 1;
  Region outer;  // the region without tj and last
  outer.rank = 0;
  for (int d = 0; d < last; ++d) {
    if (d == tj) continue;
    outer.dims[outer.rank] = r.dims[d];
    outer.is[outer.rank] = r.is[d];
    outer.os[outer.rank] = r.os[d];
    ++outer.rank;
  }
  int64_t batches = 1;
  for (int d = 0; d < outer.rank; ++d) batches *= outer.dims[d];
  const int64_t nj = r.dims[tj], ni = r.dims[last];
  const int64_t tiles_j = (nj + kTile - 1) / kTile, tiles_i = (ni + kTile - 1) / kTile;
  const int64_t ois = r.os[tj], iis = r.is[last];  // output stride of tj, input stride of last
  const int64_t total = batches * tiles_j * tiles_i;
#pragma omp parallel for schedule(static) if (parallel)
  for (int64_t t = 0; t < total; ++t) {
    const int64_t ti = t % tiles_i;
    const int64_t tj_ = (t / tiles_i) % tiles_j;
    const int64_t b = t / (tiles_i * tiles_j);
    int64_t io = 0, oo = 0;
    row_offsets(outer, outer.rank, b, &io, &oo);
    const int64_t j0 = tj_ * kTile, j1 = std::min(nj, j0 + kTile);
    const int64_t i0 = ti * kTile, i1 = std::min(ni, i0 + kTile);
#if defined(__SSE2__)
    if constexpr (sizeof(T) == 4) {
      // Full 4x4 blocks through registers: 4 loads, the 4x4 shuffle, 4 stores.
      if (j1 - j0 == kTile && i1 - i0 == kTile) {
        for (int64_t j = j0; j < j1; j += 4)
          for (int64_t i = i0; i < i1; i += 4) {
            const float* src = reinterpret_cast<const float*>(in + io + j + i * iis);
            float* dst = reinterpret_cast<float*>(out + oo + j * ois + i);
            __m128 r0 = _mm_loadu_ps(src), r1 = _mm_loadu_ps(src + iis);
            __m128 r2 = _mm_loadu_ps(src + 2 * iis), r3 = _mm_loadu_ps(src + 3 * iis);
            _MM_TRANSPOSE4_PS(r0, r1, r2, r3);
            _mm_storeu_ps(dst, r0);
            _mm_storeu_ps(dst + ois, r1);
            _mm_storeu_ps(dst + 2 * ois, r2);
            _mm_storeu_ps(dst + 3 * ois, r3);
          }
        continue;
      }
    }
#endif
    for (int64_t j = j0; j < j1; ++j) {
      const T* src = in + io + j + i0 * iis;
      T* dst = out + oo + j * ois + i0;
      for (int64_t i = 0; i < i1 - i0; ++i) dst[i] = src[i * iis];
    }
  }
}

// Rows of kBytes at constant strides: an nhwc Concat along C (rows of C_i bytes) with the copy a
// fixed-size move the compiler inlines. The general row loop below (odometer and a memcpy call
// per row) took 6.5 ns per 16-byte row: 0.14 ms for one of YOLOX-Nano's int8 concats.
template <size_t kBytes>
void copy_fixed_rows(const char* in, char* out, int64_t rows, int64_t is, int64_t os, bool parallel) {
#pragma omp parallel for if (parallel) schedule(static)
  for (int64_t r = 0; r < rows; ++r) std::memcpy(out + r * os, in + r * is, kBytes);
}

// Rows of any other width up to kMaskedRowMax bytes: 64-byte moves with a masked last one
// (AVX-512BW), so an nhwc Concat of 24/48/96-channel int8 tensors (FastestDet, YOLOv6Lite-S) does
// not pay a memcpy call per row. Returns false without AVX-512BW.
constexpr int64_t kMaskedRowMax = 512;

__attribute__((target("avx512f,avx512bw"))) void copy_masked_rows_avx512(const char* in, char* out, int64_t rows,
                                                                         int64_t bytes, int64_t is, int64_t os,
                                                                         bool parallel) {
  const int64_t full = bytes / 64;
  const __mmask64 tail = (bytes % 64) ? (~__mmask64{0} >> (64 - bytes % 64)) : 0;
#pragma omp parallel for if (parallel) schedule(static)
  for (int64_t r = 0; r < rows; ++r) {
    const char* src = in + r * is;
    char* dst = out + r * os;
    for (int64_t k = 0; k < full; ++k) _mm512_storeu_si512(dst + 64 * k, _mm512_loadu_si512(src + 64 * k));
    if (tail) _mm512_mask_storeu_epi8(dst + 64 * full, tail, _mm512_maskz_loadu_epi8(tail, src + 64 * full));
  }
}

bool copy_masked_rows(const char* in, char* out, int64_t rows, int64_t bytes, int64_t is, int64_t os,
                      bool parallel) {
  static const bool avx512bw = __builtin_cpu_supports("avx512bw");
  if (!avx512bw || bytes > kMaskedRowMax) return false;
  copy_masked_rows_avx512(in, out, rows, bytes, is, os, parallel);
  return true;
}

template <typename T>
void copy_region(const T* in, T* out, const Region& r) {
  const int last = r.rank - 1;
  const int64_t inner = r.dims[last];
  int64_t rows = 1;
  for (int d = 0; d < last; ++d) rows *= r.dims[d];
  const bool parallel = rows * inner * static_cast<int64_t>(sizeof(T)) >= kParallelBytes && omp_get_max_threads() > 1;
  if (r.rank == 2 && r.is[1] == 1 && r.os[1] == 1) {
    const auto* i8 = reinterpret_cast<const char*>(in);
    auto* o8 = reinterpret_cast<char*>(out);
    const int64_t is = r.is[0] * static_cast<int64_t>(sizeof(T)), os = r.os[0] * static_cast<int64_t>(sizeof(T));
    switch (static_cast<size_t>(inner) * sizeof(T)) {
      case 8: return copy_fixed_rows<8>(i8, o8, rows, is, os, parallel);
      case 16: return copy_fixed_rows<16>(i8, o8, rows, is, os, parallel);
      case 32: return copy_fixed_rows<32>(i8, o8, rows, is, os, parallel);
      case 64: return copy_fixed_rows<64>(i8, o8, rows, is, os, parallel);
      case 128: return copy_fixed_rows<128>(i8, o8, rows, is, os, parallel);
      default:
        if (copy_masked_rows(i8, o8, rows, inner * static_cast<int64_t>(sizeof(T)), is, os, parallel)) return;
        break;
    }
  }
  if (r.os[last] == 1 && r.is[last] != 1) {
    for (int d = 0; d < last; ++d)
      if (r.is[d] == 1 && r.dims[d] >= kTile / 2 && inner >= kTile / 2) return copy_tiled(in, out, r, d, parallel);
  }
  // Few long rows: split them so every thread gets work.
  const int64_t pieces =
      parallel && rows < 4 * omp_get_max_threads() ? std::max<int64_t>(1, inner / kPieceElems) : 1;
  const int64_t piece_len = (inner + pieces - 1) / pieces;
  if (pieces > 1) {
#pragma omp parallel for schedule(static)
    for (int64_t t = 0; t < rows * pieces; ++t) {
      const int64_t row = t / pieces, p = t % pieces;
      int64_t io = 0, oo = 0;
      row_offsets(r, last, row, &io, &oo);
      const int64_t j0 = p * piece_len, j1 = std::min(inner, j0 + piece_len);
      if (j1 > j0) copy_row(in + io + j0 * r.is[last], out + oo + j0 * r.os[last], j1 - j0, r.is[last], r.os[last]);
    }
    return;
  }
  // Each thread decodes its first row once, then steps the row index like an odometer (rows of
  // a few elements, e.g. a Split into x/y, w/h and scores, would otherwise pay rank divisions each).
#pragma omp parallel if (parallel)
  {
    const int64_t nt = omp_get_num_threads(), tid = omp_get_thread_num();
    const int64_t begin = rows * tid / nt, end = rows * (tid + 1) / nt;
    if (begin < end) {
      int64_t idx[kMaxRank] = {};
      int64_t rem = begin;
      for (int d = last - 1; d >= 0; --d) {
        idx[d] = rem % r.dims[d];
        rem /= r.dims[d];
      }
      int64_t io = 0, oo = 0;
      row_offsets(r, last, begin, &io, &oo);
      for (int64_t row = begin; row < end; ++row) {
        copy_row(in + io, out + oo, inner, r.is[last], r.os[last]);
        for (int d = last - 1; d >= 0; --d) {
          io += r.is[d];
          oo += r.os[d];
          if (++idx[d] < r.dims[d]) break;
          io -= r.is[d] * r.dims[d];
          oo -= r.os[d] * r.dims[d];
          idx[d] = 0;
        }
      }
    }
  }
}

// Copies a box of `dims` from in (strides is) to out (strides os), element size es; false when the
// box cannot be simplified to kMaxRank dims or es is not 1, 2, 4 or 8.
// The box as a Region with its dims in the output's memory order (largest output stride first):
// the innermost loop then writes contiguously even when the logical order is not the memory order
// (an nhwc int8 Concat along C becomes rows of C_i bytes instead of a byte scatter with stride C).
// False when it cannot be simplified to kMaxRank dims.
bool output_order_region(int rank, const int64_t* dims, const int64_t* is, const int64_t* os, Region* r) {
  if (rank > kMaxRank) return false;
  int perm[kMaxRank];
  for (int d = 0; d < rank; ++d) perm[d] = d;
  std::stable_sort(perm, perm + rank, [&](int a, int b) { return os[a] > os[b]; });
  int64_t pd[kMaxRank], pis[kMaxRank], pos[kMaxRank];
  for (int d = 0; d < rank; ++d) {
    pd[d] = dims[perm[d]];
    pis[d] = is[perm[d]];
    pos[d] = os[perm[d]];
  }
  return make_region(rank, pd, pis, pos, r);
}

bool copy_box(const void* in, void* out, size_t es, int rank, const int64_t* dims, const int64_t* is,
              const int64_t* os) {
  int64_t n = 1;
  for (int d = 0; d < rank; ++d) n *= dims[d];
  if (n == 0) return true;
  Region r;
  if (!output_order_region(rank, dims, is, os, &r)) return false;
  switch (es) {
    case 1: copy_region(static_cast<const uint8_t*>(in), static_cast<uint8_t*>(out), r); return true;
    case 2: copy_region(static_cast<const uint16_t*>(in), static_cast<uint16_t*>(out), r); return true;
    case 4: copy_region(static_cast<const uint32_t*>(in), static_cast<uint32_t*>(out), r); return true;
    case 8: copy_region(static_cast<const uint64_t*>(in), static_cast<uint64_t*>(out), r); return true;
    default: return false;
  }
}

__attribute__((target("avx512f"))) void sigmoid_row_avx512(const float* in, float* out, int64_t n) {
  int64_t j = 0;
  for (; j + 16 <= n; j += 16) _mm512_storeu_ps(out + j, sigmoid16(_mm512_loadu_ps(in + j)));
  if (j < n) {
    const __mmask16 k = static_cast<__mmask16>((1u << (n - j)) - 1);
    _mm512_mask_storeu_ps(out + j, k, sigmoid16(_mm512_maskz_loadu_ps(k, in + j)));
  }
}

// Strided rows (a one-channel objectness map: its pixels 85 floats apart in YOLOX's output) 16
// values at a time through a buffer: the vector sigmoid costs far less than 16 scalar exps.
__attribute__((target("avx512f"))) void sigmoid_strided_avx512(const float* in, float* out, int64_t n, int64_t is,
                                                               int64_t os) {
  alignas(64) float buf[16] = {};
  for (int64_t j = 0; j < n; j += 16) {
    const int64_t m = std::min<int64_t>(16, n - j);
    for (int64_t k = 0; k < m; ++k) buf[k] = in[(j + k) * is];
    _mm512_store_ps(buf, sigmoid16(_mm512_load_ps(buf)));  // lanes past m: never stored
    for (int64_t k = 0; k < m; ++k) out[(j + k) * os] = buf[k];
  }
}

void sigmoid_row(const float* in, float* out, int64_t n, int64_t is, int64_t os, bool avx512) {
  if (avx512 && is == 1 && os == 1) return sigmoid_row_avx512(in, out, n);
  if (avx512) return sigmoid_strided_avx512(in, out, n, is, os);
  for (int64_t j = 0; j < n; ++j) out[j * os] = 1.f / (1.f + std::exp(-in[j * is]));
}

void contiguous_strides(const Shape& s, int64_t* st) {
  int64_t acc = 1;
  for (int d = static_cast<int>(s.size()) - 1; d >= 0; --d) {
    st[d] = acc;
    acc *= s[d];
  }
}

// The fast paths index fixed-size arrays; anything above kMaxRank goes to the reference.
bool fits(const Tensor& t) { return t.rank() <= kMaxRank; }

int norm_axis(int64_t axis, int rank) { return static_cast<int>(axis < 0 ? axis + rank : axis); }

}  // namespace

bool copy_strided(const void* in, void* out, size_t elem_size, int rank, const int64_t* dims,
                  const int64_t* in_strides, const int64_t* out_strides) {
  if (rank < 0 || rank > kMaxRank) return false;
  return copy_box(in, out, elem_size, rank, dims, in_strides, out_strides);
}

bool copy_strided_sigmoid(const float* in, float* out, int rank, const int64_t* dims, const int64_t* in_strides,
                          const int64_t* out_strides) {
  static const bool avx512 = __builtin_cpu_supports("avx512f");
  if (rank < 0 || rank > kMaxRank) return false;
  int64_t n = 1;
  for (int d = 0; d < rank; ++d) n *= dims[d];
  if (n == 0) return true;
  Region r;
  if (!output_order_region(rank, dims, in_strides, out_strides, &r)) return false;
  const int last = r.rank - 1;
  const int64_t inner = r.dims[last], rows = n / inner;
  const bool parallel = n * static_cast<int64_t>(sizeof(float)) >= kParallelBytes && omp_get_max_threads() > 1;
#pragma omp parallel for schedule(static) if (parallel)
  for (int64_t row = 0; row < rows; ++row) {
    int64_t io = 0, oo = 0;
    row_offsets(r, last, row, &io, &oo);
    sigmoid_row(in + io, out + oo, inner, r.is[last], r.os[last], avx512);
  }
  return true;
}

Status plain_transpose(const ir::Node& node, std::span<const Tensor* const> inputs, std::span<Tensor> outputs) {
  if (inputs.empty() || !inputs[0] || outputs.empty() || !fits(*inputs[0])) {
    return ref::ref_transpose(node, inputs, outputs);
  }
  const Tensor& x = *inputs[0];
  Tensor& y = outputs[0];
  const int rank = x.rank();
  std::vector<int64_t> perm = node.attrs.get_ints("perm");
  if (perm.empty())
    for (int d = rank - 1; d >= 0; --d) perm.push_back(d);
  // Any inconsistency (not a permutation, dtype or shape mismatch): the reference reports it.
  bool ok = static_cast<int>(perm.size()) == rank && y.rank() == rank && x.dtype() == y.dtype();
  unsigned seen = 0;
  for (int d = 0; ok && d < rank; ++d) {
    ok = perm[d] >= 0 && perm[d] < rank && !(seen >> perm[d] & 1u) && y.dim(d) == x.dim(static_cast<int>(perm[d]));
    if (ok) seen |= 1u << perm[d];
  }
  if (!ok) return ref::ref_transpose(node, inputs, outputs);
  int64_t xs[kMaxRank], is[kMaxRank], os[kMaxRank];
  contiguous_strides(x.shape(), xs);
  contiguous_strides(y.shape(), os);
  for (int d = 0; d < rank; ++d) is[d] = xs[perm[d]];
  if (!copy_box(x.raw(), y.raw(), dtype_size(x.dtype()), rank, y.shape().data(), is, os)) {
    return ref::ref_transpose(node, inputs, outputs);
  }
  return ok_status();
}

Status plain_concat(const ir::Node& node, std::span<const Tensor* const> inputs, std::span<Tensor> outputs) {
  if (outputs.empty() || outputs[0].rank() == 0 || !fits(outputs[0])) return ref::ref_concat(node, inputs, outputs);
  Tensor& y = outputs[0];
  const int rank = y.rank();
  const int axis = norm_axis(node.attrs.get_int("axis", 0), rank);
  if (axis < 0 || axis >= rank) return ref::ref_concat(node, inputs, outputs);
  int64_t total = 0;
  for (const Tensor* x : inputs) {
    bool ok = x && x->dtype() == y.dtype() && x->rank() == rank;
    for (int d = 0; ok && d < rank; ++d) ok = d == axis || x->dim(d) == y.dim(d);
    if (!ok) return ref::ref_concat(node, inputs, outputs);
    total += x->dim(axis);
  }
  if (total != y.dim(axis)) return ref::ref_concat(node, inputs, outputs);
  const size_t es = dtype_size(y.dtype());
  int64_t ys[kMaxRank], xs[kMaxRank];
  contiguous_strides(y.shape(), ys);
  int64_t at = 0;
  for (const Tensor* x : inputs) {
    contiguous_strides(x->shape(), xs);
    void* dst = static_cast<uint8_t*>(y.raw()) + static_cast<size_t>(at * ys[axis]) * es;
    if (!copy_box(x->raw(), dst, es, rank, x->shape().data(), xs, ys)) return ref::ref_concat(node, inputs, outputs);
    at += x->dim(axis);
  }
  return ok_status();
}

Status plain_split(const ir::Node& node, std::span<const Tensor* const> inputs, std::span<Tensor> outputs) {
  if (inputs.empty() || !inputs[0] || outputs.empty() || inputs[0]->rank() == 0 || !fits(*inputs[0])) {
    return ref::ref_split(node, inputs, outputs);
  }
  const Tensor& x = *inputs[0];
  const int rank = x.rank();
  const int axis = norm_axis(node.attrs.get_int("axis", 0), rank);
  if (axis < 0 || axis >= rank) return ref::ref_split(node, inputs, outputs);
  int64_t total = 0;
  for (const Tensor& y : outputs) {
    bool ok = y.dtype() == x.dtype() && y.rank() == rank;
    for (int d = 0; ok && d < rank; ++d) ok = d == axis || x.dim(d) == y.dim(d);
    if (!ok) return ref::ref_split(node, inputs, outputs);
    total += y.dim(axis);
  }
  if (total != x.dim(axis)) return ref::ref_split(node, inputs, outputs);
  const size_t es = dtype_size(x.dtype());
  int64_t xs[kMaxRank], ys[kMaxRank];
  contiguous_strides(x.shape(), xs);
  int64_t at = 0;
  for (Tensor& y : outputs) {
    contiguous_strides(y.shape(), ys);
    const void* src = static_cast<const uint8_t*>(x.raw()) + static_cast<size_t>(at * xs[axis]) * es;
    if (!copy_box(src, y.raw(), es, rank, y.shape().data(), xs, ys)) return ref::ref_split(node, inputs, outputs);
    at += y.dim(axis);
  }
  return ok_status();
}

// Slice: the same start/end clamping as ref_slice (ONNX rules); any parameter the reference would
// reject goes to it for the error message.
Status plain_slice(const ir::Node& node, std::span<const Tensor* const> inputs, std::span<Tensor> outputs) {
  if (inputs.empty() || !inputs[0] || outputs.empty() || !fits(*inputs[0])) return ref::ref_slice(node, inputs, outputs);
  const Tensor& x = *inputs[0];
  Tensor& y = outputs[0];
  const int rank = x.rank();
  if (y.rank() != rank || y.dtype() != x.dtype()) return ref::ref_slice(node, inputs, outputs);
  auto ints = [&](size_t i, const char* attr) {
    if (inputs.size() > i && inputs[i]) return inputs[i]->to_int64_vector();
    return node.attrs.get_ints(attr);
  };
  const std::vector<int64_t> starts = ints(1, "starts"), ends = ints(2, "ends");
  std::vector<int64_t> axes = ints(3, "axes"), steps = ints(4, "steps");
  if (axes.empty())
    for (size_t i = 0; i < starts.size(); ++i) axes.push_back(static_cast<int64_t>(i));
  if (steps.empty()) steps.assign(starts.size(), 1);
  if (ends.size() != starts.size() || axes.size() != starts.size() || steps.size() != starts.size()) {
    return ref::ref_slice(node, inputs, outputs);
  }
  int64_t xs[kMaxRank], is[kMaxRank], os[kMaxRank];
  contiguous_strides(x.shape(), xs);
  contiguous_strides(y.shape(), os);
  for (int d = 0; d < rank; ++d) is[d] = xs[d];
  int64_t base = 0;
  unsigned done = 0;
  for (size_t i = 0; i < starts.size(); ++i) {
    const int ax = norm_axis(axes[i], rank);
    if (ax < 0 || ax >= rank || (done >> ax & 1u) || steps[i] == 0) return ref::ref_slice(node, inputs, outputs);
    done |= 1u << ax;
    const int64_t dim = x.dim(ax), step = steps[i];
    int64_t start = starts[i] < 0 ? starts[i] + dim : starts[i];
    int64_t end = ends[i] < 0 ? ends[i] + dim : ends[i];
    if (step > 0) {
      start = std::clamp<int64_t>(start, 0, dim);
      end = std::clamp<int64_t>(end, 0, dim);
    } else {
      start = std::clamp<int64_t>(start, 0, dim - 1);
      end = std::clamp<int64_t>(end, -1, dim - 1);
    }
    const int64_t count = step > 0 ? std::max<int64_t>(0, (end - start + step - 1) / step)
                                   : std::max<int64_t>(0, (start - end + (-step) - 1) / (-step));
    if (count != y.dim(ax)) return ref::ref_slice(node, inputs, outputs);
    if (count > 0) base += start * xs[ax];
    is[ax] = xs[ax] * step;
  }
  for (int d = 0; d < rank; ++d)
    if (!(done >> d & 1u) && y.dim(d) != x.dim(d)) return ref::ref_slice(node, inputs, outputs);
  const size_t es = dtype_size(x.dtype());
  const void* src = static_cast<const uint8_t*>(x.raw()) + static_cast<size_t>(base) * es;
  if (y.numel() > 0 && !copy_box(src, y.raw(), es, rank, y.shape().data(), is, os)) {
    return ref::ref_slice(node, inputs, outputs);
  }
  return ok_status();
}

// Gather along `axis`: rows of the inner dims copied per (outer, index).
Status plain_gather(const ir::Node& node, std::span<const Tensor* const> inputs, std::span<Tensor> outputs) {
  if (inputs.size() < 2 || !inputs[0] || !inputs[1] || outputs.empty() || inputs[0]->rank() == 0) {
    return ref::ref_gather(node, inputs, outputs);
  }
  const Tensor& x = *inputs[0];
  const Tensor& idx = *inputs[1];
  Tensor& y = outputs[0];
  if (x.dtype() != y.dtype() || (idx.dtype() != DType::kI64 && idx.dtype() != DType::kI32)) {
    return ref::ref_gather(node, inputs, outputs);
  }
  const int axis = norm_axis(node.attrs.get_int("axis", 0), x.rank());
  if (axis < 0 || axis >= x.rank()) return ref::ref_gather(node, inputs, outputs);
  int64_t outer = 1, inner = 1;
  for (int d = 0; d < x.rank(); ++d) {
    if (d < axis) outer *= x.dim(d);
    if (d > axis) inner *= x.dim(d);
  }
  const int64_t dim = x.dim(axis), n = idx.numel();
  if (y.numel() != outer * n * inner) return ref::ref_gather(node, inputs, outputs);
  const int64_t* i64 = idx.dtype() == DType::kI64 ? idx.data<int64_t>() : nullptr;
  const int32_t* i32 = idx.dtype() == DType::kI32 ? idx.data<int32_t>() : nullptr;
  auto index = [&](int64_t j) { return i64 ? i64[j] : static_cast<int64_t>(i32[j]); };
  for (int64_t j = 0; j < n; ++j)
    if (index(j) < -dim || index(j) >= dim) return ref::ref_gather(node, inputs, outputs);  // names the index
  const size_t row = static_cast<size_t>(inner) * dtype_size(x.dtype());
  const auto* xp = static_cast<const uint8_t*>(x.raw());
  auto* yp = static_cast<uint8_t*>(y.raw());
  const int64_t total = outer * n;
  const bool parallel = static_cast<int64_t>(row) * total >= kParallelBytes && total > 1;
#pragma omp parallel for schedule(static) if (parallel)
  for (int64_t t = 0; t < total; ++t) {
    const int64_t o = t / n, j = t % n;
    int64_t i = index(j);
    if (i < 0) i += dim;
    if (row > 0) std::memcpy(yp + t * row, xp + (o * dim + i) * row, row);
  }
  return ok_status();
}

// Pad, constant mode with non-negative pads: fill, then copy the input into the interior. Any
// element size the strided copy takes; the fill value is the constant converted to the dtype as
// the reference converts it (an f32/f64 value, or an integer dtype's own value). Other modes and
// cropping (negative pads) run on the reference.
Status plain_pad(const ir::Node& node, std::span<const Tensor* const> inputs, std::span<Tensor> outputs) {
  if (inputs.empty() || !inputs[0] || outputs.empty() || !fits(*inputs[0])) return ref::ref_pad(node, inputs, outputs);
  const Tensor& x = *inputs[0];
  Tensor& y = outputs[0];
  const int rank = x.rank();
  const DType dt = x.dtype();
  const bool supported = dt == DType::kF32 || dt == DType::kI8 || dt == DType::kU8;
  if (node.attrs.get_string("mode", "constant") != "constant" || !supported || y.dtype() != dt || y.rank() != rank) {
    return ref::ref_pad(node, inputs, outputs);
  }
  const std::vector<int64_t> pads =
      inputs.size() > 1 && inputs[1] ? inputs[1]->to_int64_vector() : node.attrs.get_ints("pads");
  std::vector<int64_t> axes;
  if (inputs.size() > 3 && inputs[3]) {
    axes = inputs[3]->to_int64_vector();
  } else {
    for (int d = 0; d < rank; ++d) axes.push_back(d);
  }
  if (pads.size() != 2 * axes.size()) return ref::ref_pad(node, inputs, outputs);
  int64_t begin[kMaxRank] = {}, end[kMaxRank] = {};
  for (size_t i = 0; i < axes.size(); ++i) {
    const int ax = norm_axis(axes[i], rank);
    if (ax < 0 || ax >= rank || pads[i] < 0 || pads[i + axes.size()] < 0) return ref::ref_pad(node, inputs, outputs);
    begin[ax] = pads[i];
    end[ax] = pads[i + axes.size()];
  }
  for (int d = 0; d < rank; ++d)
    if (y.dim(d) != x.dim(d) + begin[d] + end[d]) return ref::ref_pad(node, inputs, outputs);
  // The fill pattern, one element of the output dtype.
  uint8_t fill[4] = {};
  if (inputs.size() > 2 && inputs[2] && inputs[2]->numel() > 0) {
    if (inputs[2]->dtype() != dt) return ref::ref_pad(node, inputs, outputs);
    std::memcpy(fill, inputs[2]->raw(), dtype_size(dt));
  } else if (dt == DType::kF32) {
    const float value = node.attrs.get_float("value", 0.0f);
    std::memcpy(fill, &value, sizeof(value));
  } else if (node.attrs.get_float("value", 0.0f) != 0.0f) {
    return ref::ref_pad(node, inputs, outputs);  // an f32 attribute on an integer tensor: its rules
  }
  const size_t es = dtype_size(dt);
  auto* yp = static_cast<uint8_t*>(y.raw());
  const int64_t n = y.numel();
  const bool parallel = n * static_cast<int64_t>(es) >= kParallelBytes;
  if (es == 1) {
    std::memset(yp, fill[0], static_cast<size_t>(n));
  } else {
    float value;
    std::memcpy(&value, fill, sizeof(value));
    float* yf = y.data<float>();
#pragma omp parallel for schedule(static) if (parallel)
    for (int64_t i = 0; i < n; ++i) yf[i] = value;
  }
  int64_t xs[kMaxRank], ys[kMaxRank];
  contiguous_strides(x.shape(), xs);
  contiguous_strides(y.shape(), ys);
  int64_t off = 0;
  for (int d = 0; d < rank; ++d) off += begin[d] * ys[d];
  if (x.numel() > 0 && !copy_box(x.raw(), yp + static_cast<size_t>(off) * es, es, rank, x.shape().data(), xs, ys)) {
    return ref::ref_pad(node, inputs, outputs);
  }
  return ok_status();
}

}  // namespace yq::runtime::fp32
