// SPDX-License-Identifier: Apache-2.0
// Activation-aware MSE calibration, for a value read only by an activation f that the INT8 engine
// evaluates as a table over the value's codes (QuantPolicy::table_activations). The codes minimise
// the squared error after f:
//   E = Σ_p c_p · (f(x_p) − f(fq(x_p)))²
// over points x_p of the signed histogram (kSubPoints per |x| bin, on both signs, with the bin's
// positive and negative counts: negative_histogram()) and fq the fake quantization to the codes.
// Unlike plain MSE this sees that f flattens a tail: for SiLU, values below about −8 may all
// clip (silu(−8) = −0.003) while the positive side keeps its range.
// Symmetric s8 codes (activation_mse_threshold): scale T / qmax, candidates T as in mse.cpp (bin
// edges below abs_max, then abs_max), in increasing order, the first minimum wins. Asymmetric u8
// codes (activation_mse_u8_range): qmath's asymmetric_u8_qparams(lo, hi), found by coordinate
// descent over the two ends from the symmetric optimum. Both deterministic.
// f(fq(·)) takes only qmax − qmin + 1 values, so each candidate evaluates f on its code grid
// once (a table, as the engine will) and then costs one lookup per point.
#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "quant/calib/methods.h"
#include "quant/qmath.h"

namespace yq::quant::calib {

namespace {

// The histogram as points with counts split by sign and f at +-point: kSubPoints evenly spaced
// points per bin, each with a share of the bin's count. A bin is often as wide as a quantization
// step (bin widths are powers of two), so its centre alone would make the error jump with how the
// centre happens to sit on the code grid, and the search would chase those alignments.
constexpr int kSubPoints = 4;

struct Bin {
  double m, pos, neg, f_pos, f_neg;
};

std::vector<Bin> signed_bins(const TensorStats& stats, const std::function<float(float)>& f, int* last) {
  const auto& h = stats.abs_histogram();
  const auto& neg = stats.negative_histogram();
  const double w = stats.bin_width();
  std::vector<Bin> bins;
  *last = 0;
  for (size_t b = 0; b < h.size(); ++b) {
    if (h[b] == 0) continue;
    const double pos = static_cast<double>(h[b] - neg[b]) / kSubPoints, ng = static_cast<double>(neg[b]) / kSubPoints;
    for (int j = 0; j < kSubPoints; ++j) {
      const double m = (static_cast<double>(b) + (j + 0.5) / kSubPoints) * w;
      bins.push_back({m, pos, ng, f(static_cast<float>(m)), f(static_cast<float>(-m))});
    }
    *last = static_cast<int>(b);
  }
  return bins;
}

// The codes a candidate gives: value(q) = (q - zp) * s for q in [qmin, qmax].
struct Codes {
  double s;
  int zp, qmin, qmax;
};

// Σ_b count · (f(x) − f(fake_quant(x)))² over the bins; `table` is scratch of qmax - qmin + 1
// entries (f on the code grid, as the engine's table).
double total_error(const std::vector<Bin>& bins, const std::function<float(float)>& f, const Codes& c,
                   std::vector<double>& table) {
  for (int q = c.qmin; q <= c.qmax; ++q) table[q - c.qmin] = f(static_cast<float>((q - c.zp) * c.s));
  auto code = [&](double x) {
    const double r = std::nearbyint(x / c.s) + c.zp;  // round half to even, as qmath's quantize
    return static_cast<int>(std::clamp(r, static_cast<double>(c.qmin), static_cast<double>(c.qmax)));
  };
  double e = 0.0;
  for (const Bin& b : bins) {
    if (b.pos > 0) {
      const double d = b.f_pos - table[code(b.m) - c.qmin];
      e += b.pos * d * d;
    }
    if (b.neg > 0) {
      const double d = b.f_neg - table[code(-b.m) - c.qmin];
      e += b.neg * d * d;
    }
  }
  return e;
}

Codes symmetric_codes(float t, int qmin, int qmax) { return {static_cast<double>(t) / qmax, 0, qmin, qmax}; }

Codes u8_codes(float lo, float hi) {
  const ir::QParams qp = asymmetric_u8_qparams(lo, hi);
  return {qp.scales[0], qp.zero_points[0], qp.qmin, qp.qmax};
}

}  // namespace

float activation_mse_threshold(const TensorStats& stats, const std::function<float(float)>& f, int qmin, int qmax) {
  if (!stats.has_bin_width() || !(stats.abs_max() > 0.f)) return 0.f;
  int last = 0;
  const std::vector<Bin> bins = signed_bins(stats, f, &last);
  std::vector<double> table(static_cast<size_t>(qmax - qmin + 1));
  return argmin_threshold(stats, last,
                          [&](float t) { return total_error(bins, f, symmetric_codes(t, qmin, qmax), table); });
}

double activation_mse_error(const TensorStats& stats, const std::function<float(float)>& f, int qmin, int qmax,
                            float threshold) {
  if (!stats.has_bin_width() || !(threshold > 0.f) || stats.count() == 0) return 0.0;
  int last = 0;
  const std::vector<Bin> bins = signed_bins(stats, f, &last);
  std::vector<double> table(static_cast<size_t>(qmax - qmin + 1));
  return total_error(bins, f, symmetric_codes(threshold, qmin, qmax), table) / static_cast<double>(stats.count());
}

U8Range activation_mse_u8_range(const TensorStats& stats, const std::function<float(float)>& f) {
  if (!stats.has_bin_width() || !(stats.abs_max() > 0.f)) return {0.f, 0.f};
  int last = 0;
  const std::vector<Bin> bins = signed_bins(stats, f, &last);
  std::vector<double> table(256);
  // Candidates for either end: the bin edges below the observed extreme of that side, then the
  // extreme itself (lo: 0 as well, for a value that f maps to ~0 below zero).
  const double w = stats.bin_width();
  // At most ~128 edges per side (every k-th edge) keeps the search to a few ms per value.
  auto candidates = [&](float extreme) {
    std::vector<float> c;
    const int n = std::min(last, static_cast<int>(extreme / w));
    const int step = std::max(1, n / 128);
    for (int b = step; b <= last && static_cast<float>(b * w) < extreme; b += step) c.push_back(static_cast<float>(b * w));
    c.push_back(extreme);
    return c;
  };
  const std::vector<float> his = candidates(std::max(stats.max(), 0.f));
  std::vector<float> los = candidates(std::max(-stats.min(), 0.f));
  los.insert(los.begin(), 0.f);
  // Coordinate descent from the symmetric optimum: best hi for the current lo, then best lo for
  // that hi, until neither moves (at most a few rounds: the error is smooth in each end).
  const float t = activation_mse_threshold(stats, f, -128, 127);
  U8Range r{-std::min(t, std::max(-stats.min(), 0.f)), std::min(t, std::max(stats.max(), 0.f))};
  double best = total_error(bins, f, u8_codes(r.lo, r.hi), table);
  for (int round = 0; round < 8; ++round) {
    const U8Range before = r;
    for (float hi : his) {
      const double e = total_error(bins, f, u8_codes(r.lo, hi), table);
      if (e < best) best = e, r.hi = hi;
    }
    for (float lo : los) {
      const double e = total_error(bins, f, u8_codes(-lo, r.hi), table);
      if (e < best) best = e, r.lo = -lo;
    }
    if (r.lo == before.lo && r.hi == before.hi) break;
  }
  return r;
}

double activation_mse_u8_error(const TensorStats& stats, const std::function<float(float)>& f, float lo, float hi) {
  if (!stats.has_bin_width() || stats.count() == 0) return 0.0;
  int last = 0;
  const std::vector<Bin> bins = signed_bins(stats, f, &last);
  std::vector<double> table(256);
  return total_error(bins, f, u8_codes(lo, hi), table) / static_cast<double>(stats.count());
}

}  // namespace yq::quant::calib
