// SPDX-License-Identifier: Apache-2.0
// MatMul (numpy semantics: batched, broadcast batch dims, 1-D operands promoted) and Gemm.
// f32 in/out with double accumulators (i-k-j loop order over a double output row).
#include <algorithm>
#include <vector>

#include "runtime/kernels/ref/ref_ops.h"
#include "runtime/kernels/ref/ref_util.h"

namespace yq::runtime::ref {
namespace {

// c[m, n] = sum_k a[m*a_rs + k*a_cs] * b[k*b_rs + n*b_cs], into a double buffer (m*N + n).
void matmul_acc(const float* a, int64_t a_rs, int64_t a_cs, const float* b, int64_t b_rs, int64_t b_cs, int64_t m_n,
                int64_t k_n, int64_t n_n, double* c) {
  std::fill(c, c + m_n * n_n, 0.0);
  for (int64_t m = 0; m < m_n; ++m) {
    double* crow = c + m * n_n;
    for (int64_t k = 0; k < k_n; ++k) {
      const double av = a[m * a_rs + k * a_cs];
      const float* brow = b + k * b_rs;
      for (int64_t n = 0; n < n_n; ++n) crow[n] += av * brow[n * b_cs];
    }
  }
}

}  // namespace

Status ref_matmul(const ir::Node& node, std::span<const Tensor* const> inputs, std::span<Tensor> outputs) {
  YQ_RETURN_IF_ERROR(require_inputs(node, inputs, 2));
  if (outputs.empty()) return node_invalid(node, "expected 1 output, found 0");
  const Tensor& a = *inputs[0];
  const Tensor& b = *inputs[1];
  Tensor& y = outputs[0];
  YQ_RETURN_IF_ERROR(require_dtype(node, a, DType::kF32, "input A"));
  YQ_RETURN_IF_ERROR(require_dtype(node, b, DType::kF32, "input B"));
  YQ_RETURN_IF_ERROR(require_dtype(node, y, DType::kF32, "output Y"));
  if (a.rank() < 1 || b.rank() < 1) return node_invalid(node, "MatMul operands must have rank >= 1");
  Shape as = a.shape(), bs = b.shape();
  if (as.size() == 1) as.insert(as.begin(), 1);  // [K] -> [1, K]
  if (bs.size() == 1) bs.push_back(1);           // [K] -> [K, 1]
  const int64_t m_n = as[as.size() - 2], k_n = as.back(), n_n = bs.back();
  if (bs[bs.size() - 2] != k_n) {
    return node_invalid(node, "inner dimensions differ: A " + shape_str(a.shape()) + ", B " + shape_str(b.shape()));
  }
  const Shape a_batch(as.begin(), as.end() - 2), b_batch(bs.begin(), bs.end() - 2);
  Shape batch(std::max(a_batch.size(), b_batch.size()), 1);
  for (size_t i = 0; i < batch.size(); ++i) {
    const int64_t da = i + a_batch.size() >= batch.size() ? a_batch[i + a_batch.size() - batch.size()] : 1;
    const int64_t db = i + b_batch.size() >= batch.size() ? b_batch[i + b_batch.size() - batch.size()] : 1;
    if (da != db && da != 1 && db != 1) {
      return node_invalid(node, "batch dims do not broadcast: A " + shape_str(a.shape()) + ", B " +
                                    shape_str(b.shape()));
    }
    batch[i] = da == 1 ? db : da;
  }
  if (y.numel() != shape_numel(batch) * m_n * n_n) {
    return node_invalid(node, "output " + shape_str(y.shape()) + " does not match A " + shape_str(a.shape()) +
                                  " x B " + shape_str(b.shape()));
  }
  std::array<std::vector<int64_t>, 2> st{broadcast_strides(a_batch, batch), broadcast_strides(b_batch, batch)};
  for (int64_t& s : st[0]) s *= m_n * k_n;
  for (int64_t& s : st[1]) s *= k_n * n_n;
  std::vector<double> acc(static_cast<size_t>(m_n * n_n));
  const float* ap = a.data<float>();
  const float* bp = b.data<float>();
  float* yp = y.data<float>();
  for_each_broadcast<2>(batch, st, [&](int64_t o, const std::array<int64_t, 2>& off) {
    matmul_acc(ap + off[0], k_n, 1, bp + off[1], n_n, 1, m_n, k_n, n_n, acc.data());
    float* yb = yp + o * m_n * n_n;
    for (int64_t i = 0; i < m_n * n_n; ++i) yb[i] = static_cast<float>(acc[i]);
  });
  return ok_status();
}

// Gemm: Y = alpha * A' * B' + beta * C, A' = transA ? A^T : A (likewise B), C broadcast to [M, N].
Status ref_gemm(const ir::Node& node, std::span<const Tensor* const> inputs, std::span<Tensor> outputs) {
  YQ_RETURN_IF_ERROR(require_inputs(node, inputs, 2));
  if (outputs.empty()) return node_invalid(node, "expected 1 output, found 0");
  const Tensor& a = *inputs[0];
  const Tensor& b = *inputs[1];
  const Tensor* c = inputs.size() > 2 ? inputs[2] : nullptr;
  Tensor& y = outputs[0];
  YQ_RETURN_IF_ERROR(require_dtype(node, a, DType::kF32, "input A"));
  YQ_RETURN_IF_ERROR(require_dtype(node, b, DType::kF32, "input B"));
  YQ_RETURN_IF_ERROR(require_dtype(node, y, DType::kF32, "output Y"));
  if (a.rank() != 2 || b.rank() != 2 || y.rank() != 2) {
    return node_invalid(node, "expected 2-D A, B and Y, found " + shape_str(a.shape()) + ", " + shape_str(b.shape()) +
                                  " -> " + shape_str(y.shape()));
  }
  const bool ta = node.attrs.get_int("transA", 0) != 0;
  const bool tb = node.attrs.get_int("transB", 0) != 0;
  const double alpha = node.attrs.get_float("alpha", 1.0f);
  const double beta = node.attrs.get_float("beta", 1.0f);
  const int64_t m_n = ta ? a.dim(1) : a.dim(0);
  const int64_t k_n = ta ? a.dim(0) : a.dim(1);
  const int64_t kb = tb ? b.dim(1) : b.dim(0);
  const int64_t n_n = tb ? b.dim(0) : b.dim(1);
  if (kb != k_n || y.dim(0) != m_n || y.dim(1) != n_n) {
    return node_invalid(node, "shapes do not multiply: A " + shape_str(a.shape()) + ", B " + shape_str(b.shape()) +
                                  " -> Y " + shape_str(y.shape()));
  }
  std::vector<double> acc(static_cast<size_t>(m_n * n_n));
  // Element (m, k) of A' is a[m*rs + k*cs].
  matmul_acc(a.data<float>(), ta ? 1 : k_n, ta ? m_n : 1, b.data<float>(), tb ? 1 : n_n, tb ? k_n : 1, m_n, k_n, n_n,
             acc.data());
  float* yp = y.data<float>();
  for (int64_t i = 0; i < m_n * n_n; ++i) yp[i] = static_cast<float>(alpha * acc[i]);
  if (c && beta != 0.0) {
    YQ_RETURN_IF_ERROR(require_dtype(node, *c, DType::kF32, "input C"));
    YQ_RETURN_IF_ERROR(check_broadcastable(node, c->shape(), y.shape(), "input C"));
    const std::array<std::vector<int64_t>, 1> st{broadcast_strides(c->shape(), y.shape())};
    const float* cp = c->data<float>();
    for_each_broadcast<1>(y.shape(), st, [&](int64_t o, const std::array<int64_t, 1>& off) {
      yp[o] = static_cast<float>(alpha * acc[o] + beta * cp[off[0]]);
    });
  }
  return ok_status();
}

}  // namespace yq::runtime::ref
