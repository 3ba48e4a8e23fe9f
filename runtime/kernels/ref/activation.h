// SPDX-License-Identifier: Apache-2.0
// The one definition of each activation function in yoloq's reference kernels. The unary kernels
// (Relu, LeakyRelu, Sigmoid, HardSigmoid, HardSwish, Tanh, Clip) and FusedConv's epilogue all call
// these, so an activation cannot mean two different things in two places.
//
// All functions are f32 in, f32 out, with ONNX semantics:
//   relu(x)              = max(0, x)
//   leaky_relu(x, a)     = x >= 0 ? x : a*x                     (ONNX default a = 0.01)
//   sigmoid(x)           = 1 / (1 + exp(-x))
//   silu(x)              = x * sigmoid(x)
//   hard_sigmoid(x,a,b)  = max(0, min(1, a*x + b))              (ONNX default a = 0.2, b = 0.5)
//   hard_swish(x,a,b)    = x * hard_sigmoid(x, a, b)            (ONNX HardSwish: a = 1/6, b = 0.5)
//   clip(x, lo, hi)      = min(hi, max(lo, x))
#pragma once

#include <cmath>
#include <limits>
#include <string>

#include "base/status.h"
#include "ir/graph.h"

namespace yq::runtime::ref {

inline float relu(float x) { return x > 0.0f ? x : 0.0f; }
inline float leaky_relu(float x, float alpha) { return x >= 0.0f ? x : alpha * x; }
inline float sigmoid(float x) {
  // Split by sign so exp() never overflows: both branches are the same function.
  if (x >= 0.0f) return 1.0f / (1.0f + std::exp(-x));
  const float e = std::exp(x);
  return e / (1.0f + e);
}
inline float silu(float x) { return x * sigmoid(x); }
inline float hard_sigmoid(float x, float alpha, float beta) {
  const float v = alpha * x + beta;
  return v < 0.0f ? 0.0f : (v > 1.0f ? 1.0f : v);
}
inline float hard_swish(float x, float alpha, float beta) { return x * hard_sigmoid(x, alpha, beta); }
inline float clip(float x, float lo, float hi) { return x < lo ? lo : (x > hi ? hi : x); }
inline float tanh_act(float x) { return std::tanh(x); }

inline constexpr float kLeakyReluAlpha = 0.01f;
inline constexpr float kHardSigmoidAlpha = 0.2f;
inline constexpr float kHardSigmoidBeta = 0.5f;
inline constexpr float kHardSwishAlpha = 1.0f / 6.0f;
inline constexpr float kHardSwishBeta = 0.5f;

enum class ActKind { kNone, kRelu, kLeakyRelu, kSigmoid, kSilu, kHardSwish, kHardSigmoid, kClip, kTanh };

// An activation with its parameters resolved (defaults applied): what FusedConv's epilogue runs.
struct Activation {
  ActKind kind = ActKind::kNone;
  float alpha = 0.0f;
  float beta = 0.0f;

  float operator()(float x) const {
    switch (kind) {
      case ActKind::kNone: return x;
      case ActKind::kRelu: return relu(x);
      case ActKind::kLeakyRelu: return leaky_relu(x, alpha);
      case ActKind::kSigmoid: return sigmoid(x);
      case ActKind::kSilu: return silu(x);
      case ActKind::kHardSwish: return hard_swish(x, alpha, beta);
      case ActKind::kHardSigmoid: return hard_sigmoid(x, alpha, beta);
      case ActKind::kClip: return clip(x, alpha, beta);
      case ActKind::kTanh: return tanh_act(x);
    }
    return x;
  }
};

// Parses FusedConv's `activation` string (ir/fused_ops.md). `alpha`/`beta` are nullptr when the
// attribute is absent, and then the ONNX default of the matching op applies (clip: -inf..+inf).
inline Expected<Activation> parse_activation(const std::string& name, const float* alpha, const float* beta) {
  auto pick = [](const float* v, float def) { return v ? *v : def; };
  constexpr float kInf = std::numeric_limits<float>::infinity();
  Activation a;
  if (name.empty()) {
    a.kind = ActKind::kNone;
  } else if (name == "relu") {
    a.kind = ActKind::kRelu;
  } else if (name == "leaky_relu") {
    a = {ActKind::kLeakyRelu, pick(alpha, kLeakyReluAlpha), 0.0f};
  } else if (name == "sigmoid") {
    a.kind = ActKind::kSigmoid;
  } else if (name == "silu") {
    a.kind = ActKind::kSilu;
  } else if (name == "hardswish") {
    a = {ActKind::kHardSwish, pick(alpha, kHardSwishAlpha), pick(beta, kHardSwishBeta)};
  } else if (name == "hardsigmoid") {
    a = {ActKind::kHardSigmoid, pick(alpha, kHardSigmoidAlpha), pick(beta, kHardSigmoidBeta)};
  } else if (name == "clip") {
    a = {ActKind::kClip, pick(alpha, -kInf), pick(beta, kInf)};
  } else if (name == "tanh") {
    a.kind = ActKind::kTanh;
  } else {
    return unsupported("activation '" + name +
                       "' (expected one of relu, leaky_relu, sigmoid, silu, hardswish, hardsigmoid, clip, tanh)");
  }
  return a;
}

// The activation of a FusedConv or yq Activation node: its `activation`, `activation_alpha` and
// `activation_beta` attributes (absent alpha/beta: the op's ONNX defaults, as above).
inline Expected<Activation> node_activation(const ir::Node& n) {
  const bool has_alpha = n.attrs.has("activation_alpha");
  const bool has_beta = n.attrs.has("activation_beta");
  const float alpha = n.attrs.get_float("activation_alpha", 0.0f);
  const float beta = n.attrs.get_float("activation_beta", 0.0f);
  return parse_activation(n.attrs.get_string("activation", ""), has_alpha ? &alpha : nullptr,
                          has_beta ? &beta : nullptr);
}

}  // namespace yq::runtime::ref
