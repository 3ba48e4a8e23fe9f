// SPDX-License-Identifier: Apache-2.0
// How far a quantized tensor is from its float reference. Used by layer-wise comparison and
// sensitivity analysis. All sums run in double; tensors must have the same element count.
//
//   mse    = mean((q - r)^2)
//   sqnr   = 10·log10(sum(r^2) / sum((q - r)^2)) dB  (+inf when identical; the signal-to-
//            quantization-noise ratio, Polygraphy/ORT qdq_loss_debug's "SQNR")
//   cosine = <q, r> / (|q|·|r|)  (1 when both are all-zero)
#pragma once

#include <span>

namespace yq::quant {

struct ErrorMetrics {
  double mse = 0.0;
  double sqnr_db = 0.0;
  double cosine = 1.0;
  double max_abs = 0.0;
};

ErrorMetrics compare_tensors(std::span<const float> quantized, std::span<const float> reference);

}  // namespace yq::quant
