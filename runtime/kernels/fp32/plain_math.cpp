// SPDX-License-Identifier: Apache-2.0
// Plain-layout f32 arithmetic: numpy-broadcast Add/Sub/Mul/Div/Pow, Softmax (both opset
// semantics) and unary functions.
//
// Broadcasting: both inputs get broadcast strides on the output shape; unit output dims are
// dropped and neighbouring dims merged while both inputs stay contiguous across them, so
// same-shape, scalar and per-channel cases all end up as rows whose inner loop reads each input
// with stride 1 or 0 (one of four tight, auto-vectorisable loops).
#include <immintrin.h>
#include <omp.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>

#include "runtime/kernels/fp32/exp_avx512.h"
#include "runtime/kernels/fp32/plain_kernels.h"
#include "runtime/kernels/ref/activation.h"
#include "runtime/kernels/ref/ref_ops.h"

namespace yq::runtime::fp32 {
namespace {

constexpr int kMaxRank = 8;
constexpr int64_t kParallelElems = 64 * 1024;  // below this a parallel region costs more than it saves
constexpr int64_t kPieceElems = 8 * 1024;

// e^x without a libm call, so loops over it auto-vectorise (std::exp does not). Cephes' expf
// scheme: x = n·ln2 + r with |r| <= ln2/2, e^r by a degree-6 polynomial, 2^n spliced into the
// exponent bits. n is rounded with the 1.5·2^23 trick (plain SSE2, no roundps needed). Relative
// error below 2e-7 on [-87, 88.3]. Below -87 the result stays at e^-87 (~1.6e-38, below f32's
// normal range anyway); from 88.38 on it is +inf (2^128), slightly before f32 itself overflows.
inline float fast_exp(float x) {
  constexpr float kRound = 12582912.0f;  // 1.5 * 2^23
  x = std::min(std::max(x, -87.0f), 88.72f);
  const float t = x * 1.44269504088896341f + kRound;
  const float n = t - kRound;
  float r = x - n * 0.693359375f;  // ln2 split in two so n·ln2 is exact in the first product
  r = r - n * -2.12194440e-4f;
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  p = p * r * r + r + 1.0f;
  const int32_t ni = std::bit_cast<int32_t>(t) - std::bit_cast<int32_t>(kRound);  // n as an integer
  return p * std::bit_cast<float>((ni + 127) << 23);
}

inline float fast_sigmoid(float x) { return 1.0f / (1.0f + fast_exp(-x)); }

// Reductions in kLanes independent accumulators: the same order every run, and a shape the
// compiler vectorises without -ffast-math (no reassociation needed).
constexpr int kLanes = 16;

// The build targets baseline x86-64 (SSE2); the hottest loops also get AVX2 and AVX-512 clones,
// picked at load time by the CPU (GCC function multiversioning), so one binary runs everywhere.
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define YQ_SIMD_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define YQ_SIMD_CLONES
#endif

YQ_SIMD_CLONES float row_max(const float* x, int64_t n) {
  float m[kLanes];
  for (int j = 0; j < kLanes; ++j) m[j] = -std::numeric_limits<float>::infinity();
  int64_t k = 0;
  for (; k + kLanes <= n; k += kLanes)
    for (int j = 0; j < kLanes; ++j) m[j] = std::max(m[j], x[k + j]);
  for (; k < n; ++k) m[0] = std::max(m[0], x[k]);
  float r = m[0];
  for (int j = 1; j < kLanes; ++j) r = std::max(r, m[j]);
  return r;
}

// y = e^(x - mx); returns the sum of y.
YQ_SIMD_CLONES double exp_store_sum(const float* x, float* y, int64_t n, float mx) {
  for (int64_t k = 0; k < n; ++k) y[k] = fast_exp(x[k] - mx);
  float s[kLanes] = {};
  int64_t k = 0;
  for (; k + kLanes <= n; k += kLanes)
    for (int j = 0; j < kLanes; ++j) s[j] += y[k + j];
  double r = 0.0;
  for (; k < n; ++k) r += y[k];
  for (int j = 0; j < kLanes; ++j) r += s[j];
  return r;
}

// Softmax of one row of n contiguous floats in AVX-512F: three passes (max, exp and sum, scale)
// over a row that stays in L1, the tail under a mask. The auto-vectorised row_max and
// exp_store_sum spend their time in per-row scalar reductions through memory: FastestDet's class
// softmax (484 rows of 80) took 60 us that way.
// GCC 12 warns "__Y (may be) used uninitialized" inside its own AVX-512 intrinsic headers (GCC bug
// 105593, see int8_quantize.cpp); the warnings are about the headers.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"
__attribute__((target("avx512f"))) void softmax_row_avx512(const float* x, float* y, int64_t n) {
  const int64_t full = n / 16 * 16;
  const __mmask16 tail = static_cast<__mmask16>((1u << (n - full)) - 1);
  const __m512 lowest = _mm512_set1_ps(-std::numeric_limits<float>::infinity());
  __m512 m = lowest;
  for (int64_t k = 0; k < full; k += 16) m = _mm512_max_ps(m, _mm512_loadu_ps(x + k));
  if (tail) m = _mm512_max_ps(m, _mm512_mask_loadu_ps(lowest, tail, x + full));
  const __m512 mx = _mm512_set1_ps(_mm512_reduce_max_ps(m));
  __m512 sum = _mm512_setzero_ps();
  for (int64_t k = 0; k < full; k += 16) {
    const __m512 e = exp16(_mm512_sub_ps(_mm512_loadu_ps(x + k), mx));
    _mm512_storeu_ps(y + k, e);
    sum = _mm512_add_ps(sum, e);
  }
  if (tail) {
    const __m512 e = exp16(_mm512_sub_ps(_mm512_maskz_loadu_ps(tail, x + full), mx));
    _mm512_mask_storeu_ps(y + full, tail, e);
    sum = _mm512_mask_add_ps(sum, tail, sum, e);
  }
  const __m512 inv = _mm512_set1_ps(1.f / _mm512_reduce_add_ps(sum));
  for (int64_t k = 0; k < full; k += 16) _mm512_storeu_ps(y + k, _mm512_mul_ps(_mm512_loadu_ps(y + k), inv));
  if (tail) _mm512_mask_storeu_ps(y + full, tail, _mm512_mul_ps(_mm512_maskz_loadu_ps(tail, y + full), inv));
}
#pragma GCC diagnostic pop

struct AddOp {
  float operator()(float a, float b) const { return a + b; }
};
struct SubOp {
  float operator()(float a, float b) const { return a - b; }
};
struct MulOp {
  float operator()(float a, float b) const { return a * b; }
};
struct DivOp {
  float operator()(float a, float b) const { return a / b; }
};
struct PowOp {
  float operator()(float a, float b) const { return std::pow(a, b); }
};
// x^2 as x*x: the float product is the correctly rounded square, as the reference's double pow.
struct SquareOp {
  float operator()(float a, float) const { return a * a; }
};
struct SqrtOp {
  float operator()(float a, float) const { return std::sqrt(a); }
};

template <class Op>
inline void binary_row(const float* a, int64_t sa, const float* b, int64_t sb, float* y, int64_t n, Op op) {
  if (sa == 1 && sb == 1) {
    for (int64_t i = 0; i < n; ++i) y[i] = op(a[i], b[i]);
  } else if (sa == 1) {
    const float bv = b[0];
    for (int64_t i = 0; i < n; ++i) y[i] = op(a[i], bv);
  } else if (sb == 1) {
    const float av = a[0];
    for (int64_t i = 0; i < n; ++i) y[i] = op(av, b[i]);
  } else {
    const float v = op(a[0], b[0]);
    for (int64_t i = 0; i < n; ++i) y[i] = v;
  }
}

// Broadcast strides of `in` on `out`, right-aligned (0 on broadcast dims).
void bcast_strides(const Shape& in, const Shape& out, int64_t* st) {
  const int r = static_cast<int>(out.size()), ri = static_cast<int>(in.size());
  int64_t acc = 1;
  for (int d = r - 1; d >= 0; --d) {
    const int di = d - (r - ri);
    if (di < 0 || in[di] == 1) {
      st[d] = 0;
    } else {
      st[d] = acc;
    }
    if (di >= 0) acc *= in[di];
  }
}

template <class Op>
Status run_binary(const ir::Node& node, std::span<const Tensor* const> inputs, std::span<Tensor> outputs, Op op,
                  runtime::ref::RefKernelFn fallback) {
  const Tensor& a = *inputs[0];
  const Tensor& b = *inputs[1];
  Tensor& y = outputs[0];
  const int r = y.rank();
  // Shapes must broadcast to the output exactly; otherwise the reference reports it.
  auto broadcasts = [&](const Shape& s) {
    if (static_cast<int>(s.size()) > r) return false;
    for (size_t k = 0; k < s.size(); ++k) {
      const int64_t o = y.dim(r - static_cast<int>(s.size()) + static_cast<int>(k));
      if (s[k] != o && s[k] != 1) return false;
    }
    return true;
  };
  if (r > kMaxRank || !broadcasts(a.shape()) || !broadcasts(b.shape())) return fallback(node, inputs, outputs);
  const int64_t total = y.numel();
  if (total == 0) return ok_status();
  int64_t sa_full[kMaxRank], sb_full[kMaxRank];
  bcast_strides(a.shape(), y.shape(), sa_full);
  bcast_strides(b.shape(), y.shape(), sb_full);
  int rank = 0;
  int64_t dims[kMaxRank], sa[kMaxRank], sb[kMaxRank];
  for (int d = 0; d < r; ++d) {
    const int64_t n = y.dim(d);
    if (n == 1) continue;
    if (rank > 0 && sa[rank - 1] == sa_full[d] * n && sb[rank - 1] == sb_full[d] * n) {
      dims[rank - 1] *= n;
      sa[rank - 1] = sa_full[d];
      sb[rank - 1] = sb_full[d];
      continue;
    }
    dims[rank] = n;
    sa[rank] = sa_full[d];
    sb[rank] = sb_full[d];
    ++rank;
  }
  if (rank == 0) {
    dims[0] = 1;
    sa[0] = sb[0] = 1;
    rank = 1;
  }
  const int last = rank - 1;
  const int64_t inner = dims[last];
  const int64_t rows = total / inner;
  const int threads = omp_get_max_threads();
  const bool parallel = total >= kParallelElems && threads > 1;
  const int64_t pieces = parallel && rows < 4 * threads ? std::max<int64_t>(1, inner / kPieceElems) : 1;
  const int64_t piece_len = (inner + pieces - 1) / pieces;
  const float* ap = a.data<float>();
  const float* bp = b.data<float>();
  float* yp = y.data<float>();
#pragma omp parallel for schedule(static) if (parallel)
  for (int64_t t = 0; t < rows * pieces; ++t) {
    int64_t row = t / pieces;
    const int64_t p = t % pieces;
    int64_t ao = 0, bo = 0;
    for (int d = last - 1; d >= 0; --d) {
      const int64_t k = row % dims[d];
      row /= dims[d];
      ao += k * sa[d];
      bo += k * sb[d];
    }
    const int64_t j0 = p * piece_len, j1 = std::min(inner, j0 + piece_len);
    if (j1 <= j0) continue;
    const int64_t yo = (t / pieces) * inner + j0;
    binary_row(ap + ao + j0 * sa[last], sa[last], bp + bo + j0 * sb[last], sb[last], yp + yo, j1 - j0, op);
  }
  return ok_status();
}

bool all_f32(std::span<const Tensor* const> inputs, std::span<Tensor> outputs, size_t n_in) {
  if (inputs.size() < n_in || outputs.empty() || outputs[0].dtype() != DType::kF32) return false;
  for (size_t i = 0; i < n_in; ++i)
    if (!inputs[i] || inputs[i]->dtype() != DType::kF32) return false;
  return true;
}

template <class Op>
Status binary(const ir::Node& node, std::span<const Tensor* const> inputs, std::span<Tensor> outputs, Op op,
              runtime::ref::RefKernelFn fallback) {
  if (!all_f32(inputs, outputs, 2)) return fallback(node, inputs, outputs);
  return run_binary(node, inputs, outputs, op, fallback);
}

template <class Fn>
Status unary(const ir::Node& node, std::span<const Tensor* const> inputs, std::span<Tensor> outputs, Fn fn,
             runtime::ref::RefKernelFn fallback) {
  if (!all_f32(inputs, outputs, 1) || inputs[0]->numel() != outputs[0].numel()) return fallback(node, inputs, outputs);
  const float* xp = inputs[0]->data<float>();
  float* yp = outputs[0].data<float>();
  const int64_t n = outputs[0].numel();
#pragma omp parallel for schedule(static) if (n >= kParallelElems && omp_get_max_threads() > 1)
  for (int64_t i = 0; i < n; ++i) yp[i] = fn(xp[i]);
  return ok_status();
}

}  // namespace

Status plain_add(const ir::Node& n, std::span<const Tensor* const> in, std::span<Tensor> out) {
  return binary(n, in, out, AddOp{}, &ref::ref_add);
}
Status plain_sub(const ir::Node& n, std::span<const Tensor* const> in, std::span<Tensor> out) {
  return binary(n, in, out, SubOp{}, &ref::ref_sub);
}
Status plain_mul(const ir::Node& n, std::span<const Tensor* const> in, std::span<Tensor> out) {
  return binary(n, in, out, MulOp{}, &ref::ref_mul);
}
Status plain_div(const ir::Node& n, std::span<const Tensor* const> in, std::span<Tensor> out) {
  return binary(n, in, out, DivOp{}, &ref::ref_div);
}

// Pow with an f32 exponent; a scalar exponent of 2 or 0.5 (the YOLO decode heads) is a square or a
// square root. Other exponent dtypes run on the reference.
Status plain_pow(const ir::Node& n, std::span<const Tensor* const> in, std::span<Tensor> out) {
  if (!all_f32(in, out, 2)) return ref::ref_pow(n, in, out);
  if (in[1]->numel() == 1) {
    const float e = in[1]->data<float>()[0];
    if (e == 2.0f) return run_binary(n, in, out, SquareOp{}, &ref::ref_pow);
    if (e == 0.5f) return run_binary(n, in, out, SqrtOp{}, &ref::ref_pow);
  }
  return run_binary(n, in, out, PowOp{}, &ref::ref_pow);
}

// Softmax over `len` elements spaced `inner` apart, for each (outer, inner) position. Opset < 13
// (yq_opset_lt13 = 1): the input is flattened to 2-D at `axis` (default 1), so `len` covers every
// dim from `axis` on and inner is 1. Sums are in double, as in the reference.
Status plain_softmax(const ir::Node& node, std::span<const Tensor* const> inputs, std::span<Tensor> outputs) {
  if (!all_f32(inputs, outputs, 1) || inputs[0]->numel() != outputs[0].numel()) {
    return ref::ref_softmax(node, inputs, outputs);
  }
  const Tensor& x = *inputs[0];
  const bool legacy = node.attrs.get_int("yq_opset_lt13", 0) != 0;
  const int rank = std::max(1, x.rank());
  int64_t axis = node.attrs.get_int("axis", legacy ? 1 : -1);
  if (axis < 0) axis += rank;
  if (axis < 0 || axis >= rank) return ref::ref_softmax(node, inputs, outputs);
  int64_t outer = 1, len = 1, inner = 1;
  for (int d = 0; d < x.rank(); ++d) {
    if (d < axis) {
      outer *= x.dim(d);
    } else if (d == axis || legacy) {
      len *= x.dim(d);
    } else {
      inner *= x.dim(d);
    }
  }
  const float* xp = x.data<float>();
  float* yp = outputs[0].data<float>();
  const int64_t total = outer * len * inner;
  const bool parallel = total >= kParallelElems && omp_get_max_threads() > 1;
  // One long row is split across threads only when it is long enough to pay for three joins.
  constexpr int64_t kSplitRow = 256 * 1024;
  if (inner == 1 && (outer >= omp_get_max_threads() || !parallel || len < kSplitRow)) {
    static const bool avx512 = __builtin_cpu_supports("avx512f");
#pragma omp parallel for schedule(static) if (parallel)
    for (int64_t o = 0; o < outer; ++o) {
      const float* xr = xp + o * len;
      float* yr = yp + o * len;
      if (avx512) {
        softmax_row_avx512(xr, yr, len);
        continue;
      }
      const float mx = row_max(xr, len);
      const float inv = static_cast<float>(1.0 / exp_store_sum(xr, yr, len, mx));
      for (int64_t k = 0; k < len; ++k) yr[k] *= inv;
    }
    return ok_status();
  }
  if (inner == 1) {
    // Few long rows (opset-11 softmax over a whole feature map): every thread takes a slice of
    // each row; three passes (max, exp and sum, scale) with a join in between.
    constexpr int64_t kChunk = 4096;
    for (int64_t o = 0; o < outer; ++o) {
      const float* xr = xp + o * len;
      float* yr = yp + o * len;
      const int64_t chunks = (len + kChunk - 1) / kChunk;
      float mx = -std::numeric_limits<float>::infinity();
#pragma omp parallel for schedule(static) reduction(max : mx)
      for (int64_t c = 0; c < chunks; ++c) {
        const int64_t k0 = c * kChunk;
        mx = std::max(mx, row_max(xr + k0, std::min(kChunk, len - k0)));
      }
      double sum = 0.0;
#pragma omp parallel for schedule(static) reduction(+ : sum)
      for (int64_t c = 0; c < chunks; ++c) {
        const int64_t k0 = c * kChunk;
        sum += exp_store_sum(xr + k0, yr + k0, std::min(kChunk, len - k0), mx);
      }
      const float inv = static_cast<float>(1.0 / sum);
#pragma omp parallel for schedule(static)
      for (int64_t k = 0; k < len; ++k) yr[k] *= inv;
    }
    return ok_status();
  }
  // Softmax across rows: vectorise along `inner`, one block of columns per task.
  constexpr int64_t kBlock = 256;
  const int64_t blocks = (inner + kBlock - 1) / kBlock;
#pragma omp parallel for schedule(static) if (parallel)
  for (int64_t t = 0; t < outer * blocks; ++t) {
    const int64_t o = t / blocks, i0 = (t % blocks) * kBlock, bn = std::min(kBlock, inner - i0);
    const float* xb = xp + o * len * inner + i0;
    float* yb = yp + o * len * inner + i0;
    float mx[kBlock];
    double sum[kBlock];
    for (int64_t i = 0; i < bn; ++i) {
      mx[i] = -std::numeric_limits<float>::infinity();
      sum[i] = 0.0;
    }
    for (int64_t k = 0; k < len; ++k)
      for (int64_t i = 0; i < bn; ++i) mx[i] = std::max(mx[i], xb[k * inner + i]);
    for (int64_t k = 0; k < len; ++k)
      for (int64_t i = 0; i < bn; ++i) {
        const float e = fast_exp(xb[k * inner + i] - mx[i]);
        yb[k * inner + i] = e;
        sum[i] += e;
      }
    for (int64_t i = 0; i < bn; ++i) mx[i] = static_cast<float>(1.0 / sum[i]);  // reuse as 1/sum
    for (int64_t k = 0; k < len; ++k)
      for (int64_t i = 0; i < bn; ++i) yb[k * inner + i] *= mx[i];
  }
  return ok_status();
}

Status plain_sigmoid(const ir::Node& n, std::span<const Tensor* const> in, std::span<Tensor> out) {
  return unary(n, in, out, fast_sigmoid, &ref::ref_sigmoid);
}
Status plain_exp(const ir::Node& n, std::span<const Tensor* const> in, std::span<Tensor> out) {
  return unary(n, in, out, fast_exp, &ref::ref_exp);
}
Status plain_tanh(const ir::Node& n, std::span<const Tensor* const> in, std::span<Tensor> out) {
  return unary(n, in, out, ref::tanh_act, &ref::ref_tanh);
}
Status plain_sqrt(const ir::Node& n, std::span<const Tensor* const> in, std::span<Tensor> out) {
  return unary(n, in, out, [](float v) { return std::sqrt(v); }, &ref::ref_sqrt);
}
Status plain_relu(const ir::Node& n, std::span<const Tensor* const> in, std::span<Tensor> out) {
  return unary(n, in, out, ref::relu, &ref::ref_relu);
}
Status plain_neg(const ir::Node& n, std::span<const Tensor* const> in, std::span<Tensor> out) {
  return unary(n, in, out, [](float v) { return -v; }, &ref::ref_neg);
}

}  // namespace yq::runtime::fp32
