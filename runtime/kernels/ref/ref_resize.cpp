// SPDX-License-Identifier: Apache-2.0
// Resize (opsets 10-18) and Upsample (opsets 7-9).
//
// Each output coordinate maps back to an input coordinate with the coordinate transformation
// mode (computed in float, as ORT does, so nearest picks the same pixels):
//   half_pixel:           (x + 0.5) / scale - 0.5
//   pytorch_half_pixel:   out_len > 1 ? (x + 0.5) / scale - 0.5 : 0
//   asymmetric:           x / scale
//   tf_half_pixel_for_nn: (x + 0.5) / scale
//   align_corners:        out_len > 1 ? x * (in_len - 1) / (out_len - 1) : 0
// nearest rounds that coordinate with nearest_mode and clamps it into the input (any dtype,
// any axes); linear clamps it to [0, in_len - 1] and blends the two neighbours, on the last two
// axes only (the others must keep their size). Resize-10 and Upsample use asymmetric
// coordinates and ORT's "simple" nearest rounding (truncate, or ceil when downscaling).
#include <algorithm>
#include <cmath>
#include <vector>

#include "runtime/kernels/ref/ref_ops.h"
#include "runtime/kernels/ref/ref_util.h"

namespace yq::runtime::ref {
namespace {

enum class CoordMode { kHalfPixel, kPytorchHalfPixel, kAsymmetric, kTfHalfPixelForNn, kAlignCorners };
enum class NearestMode { kSimple, kRoundPreferFloor, kRoundPreferCeil, kFloor, kCeil };

float original_coordinate(CoordMode mode, float x, float scale, int64_t len_out, int64_t len_in) {
  switch (mode) {
    case CoordMode::kHalfPixel: return (x + 0.5f) / scale - 0.5f;
    case CoordMode::kPytorchHalfPixel: return len_out > 1 ? (x + 0.5f) / scale - 0.5f : 0.0f;
    case CoordMode::kAsymmetric: return x / scale;
    case CoordMode::kTfHalfPixelForNn: return (x + 0.5f) / scale;
    case CoordMode::kAlignCorners:
      return len_out > 1 ? x * static_cast<float>(len_in - 1) / static_cast<float>(len_out - 1) : 0.0f;
  }
  return x;
}

int64_t nearest_index(NearestMode mode, float x, float scale) {
  const float f = std::floor(x);
  switch (mode) {
    case NearestMode::kSimple: return static_cast<int64_t>(scale < 1.0f ? std::ceil(x) : x);
    case NearestMode::kRoundPreferFloor: return static_cast<int64_t>(x - f == 0.5f ? f : std::round(x));
    case NearestMode::kRoundPreferCeil: return static_cast<int64_t>(x - f == 0.5f ? f + 1.0f : std::round(x));
    case NearestMode::kFloor: return static_cast<int64_t>(f);
    case NearestMode::kCeil: return static_cast<int64_t>(std::ceil(x));
  }
  return static_cast<int64_t>(f);
}

struct ResizeParams {
  bool linear = false;
  CoordMode coord = CoordMode::kHalfPixel;
  NearestMode nearest = NearestMode::kRoundPreferFloor;
  std::vector<float> scales;  // one per axis
};

Status resize_run(const ir::Node& node, const Tensor& x, Tensor& y, const ResizeParams& p) {
  const int rank = x.rank();
  if (y.rank() != rank || x.dtype() != y.dtype()) {
    return node_invalid(node, "output " + std::string(dtype_name(y.dtype())) + shape_str(y.shape()) +
                                  " does not match input " + dtype_name(x.dtype()) + shape_str(x.shape()));
  }
  for (int d = 0; d < rank; ++d) {
    if (!(p.scales[d] > 0.0f)) return node_invalid(node, "scale on axis " + std::to_string(d) + " is not positive");
    if (x.dim(d) == 0 && y.dim(d) > 0) return node_invalid(node, "cannot resize an empty axis");
  }
  if (!p.linear) {
    std::vector<std::vector<int64_t>> maps(rank);
    for (int d = 0; d < rank; ++d) {
      for (int64_t o = 0; o < y.dim(d); ++o) {
        const float xo = original_coordinate(p.coord, static_cast<float>(o), p.scales[d], y.dim(d), x.dim(d));
        maps[d].push_back(std::clamp<int64_t>(nearest_index(p.nearest, xo, p.scales[d]), 0, x.dim(d) - 1));
      }
    }
    gather_axes(x, y, maps, nullptr);
    return ok_status();
  }
  YQ_RETURN_IF_ERROR(require_dtype(node, x, DType::kF32, "input X (linear mode)"));
  for (int d = 0; d + 2 < rank; ++d) {
    if (x.dim(d) != y.dim(d)) {
      return node_unsupported(node, "linear resize of axis " + std::to_string(d) +
                                        " (only the last two axes may change size)");
    }
  }
  // Per output position along one axis: the two neighbours and the weight of the second.
  struct Tap {
    int64_t i0, i1;
    double w1;
  };
  auto taps_for = [&](int d) {
    std::vector<Tap> taps;
    if (d < 0) return std::vector<Tap>{{0, 0, 0.0}};
    const int64_t n_in = x.dim(d);
    for (int64_t o = 0; o < y.dim(d); ++o) {
      float c = original_coordinate(p.coord, static_cast<float>(o), p.scales[d], y.dim(d), n_in);
      c = std::clamp(c, 0.0f, static_cast<float>(n_in - 1));
      const int64_t i0 = static_cast<int64_t>(c);
      const int64_t i1 = std::min(i0 + 1, n_in - 1);
      taps.push_back({i0, i1, static_cast<double>(c) - static_cast<double>(i0)});
    }
    return taps;
  };
  const std::vector<Tap> th = taps_for(rank - 2);
  const std::vector<Tap> tw = taps_for(rank - 1);
  const int64_t h_in = rank >= 2 ? x.dim(rank - 2) : 1, w_in = x.dim(rank - 1);
  const int64_t h_out = static_cast<int64_t>(th.size()), w_out = static_cast<int64_t>(tw.size());
  const int64_t planes = h_in * w_in > 0 ? x.numel() / (h_in * w_in) : 0;
  const float* xp = x.data<float>();
  float* yp = y.data<float>();
  for (int64_t pl = 0; pl < planes; ++pl) {
    const float* src = xp + pl * h_in * w_in;
    float* dst = yp + pl * h_out * w_out;
    for (int64_t oh = 0; oh < h_out; ++oh) {
      const Tap& a = th[oh];
      const float* r0 = src + a.i0 * w_in;
      const float* r1 = src + a.i1 * w_in;
      for (int64_t ow = 0; ow < w_out; ++ow) {
        const Tap& b = tw[ow];
        const double top = (1.0 - b.w1) * r0[b.i0] + b.w1 * r0[b.i1];
        const double bottom = (1.0 - b.w1) * r1[b.i0] + b.w1 * r1[b.i1];
        dst[oh * w_out + ow] = static_cast<float>((1.0 - a.w1) * top + a.w1 * bottom);
      }
    }
  }
  return ok_status();
}

Expected<bool> parse_linear(const ir::Node& node) {
  const std::string mode = node.attrs.get_string("mode", "nearest");
  if (mode == "nearest") return false;
  if (mode == "linear" || mode == "bilinear") return true;
  return node_unsupported(node, "mode '" + mode + "' (expected nearest or linear)");
}

// Scales for every axis: given ones, or out/in when only sizes (or nothing) were given.
std::vector<float> scales_from_shapes(const Tensor& x, const Tensor& y) {
  std::vector<float> s(x.rank());
  for (int d = 0; d < x.rank(); ++d) {
    s[d] = x.dim(d) > 0 ? static_cast<float>(y.dim(d)) / static_cast<float>(x.dim(d)) : 1.0f;
  }
  return s;
}

std::vector<float> floats_of(const Tensor& t) {
  std::vector<float> v;
  for (int64_t i = 0; i < t.numel(); ++i) v.push_back(static_cast<float>(element_as_double(t, i)));
  return v;
}

}  // namespace

Status ref_resize(const ir::Node& node, std::span<const Tensor* const> inputs, std::span<Tensor> outputs) {
  YQ_RETURN_IF_ERROR(require_inputs(node, inputs, 1));
  if (outputs.empty()) return node_invalid(node, "expected 1 output, found 0");
  const Tensor& x = *inputs[0];
  Tensor& y = outputs[0];
  ResizeParams p;
  YQ_ASSIGN_OR_RETURN(p.linear, parse_linear(node));
  const bool opset10 = inputs.size() == 2;  // Resize-10: (X, scales)
  const std::string coord = node.attrs.get_string("coordinate_transformation_mode", "half_pixel");
  const std::string nearest = node.attrs.get_string("nearest_mode", "round_prefer_floor");
  if (opset10) {
    p.coord = CoordMode::kAsymmetric;
    p.nearest = NearestMode::kSimple;
  } else {
    if (coord == "half_pixel") p.coord = CoordMode::kHalfPixel;
    else if (coord == "pytorch_half_pixel") p.coord = CoordMode::kPytorchHalfPixel;
    else if (coord == "asymmetric") p.coord = CoordMode::kAsymmetric;
    else if (coord == "tf_half_pixel_for_nn") p.coord = CoordMode::kTfHalfPixelForNn;
    else if (coord == "align_corners") p.coord = CoordMode::kAlignCorners;
    else return node_unsupported(node, "coordinate_transformation_mode '" + coord + "'");
    if (nearest == "round_prefer_floor") p.nearest = NearestMode::kRoundPreferFloor;
    else if (nearest == "round_prefer_ceil") p.nearest = NearestMode::kRoundPreferCeil;
    else if (nearest == "floor") p.nearest = NearestMode::kFloor;
    else if (nearest == "ceil") p.nearest = NearestMode::kCeil;
    else return node_unsupported(node, "nearest_mode '" + nearest + "'");
  }
  const Tensor* scales = opset10 ? inputs[1] : (inputs.size() > 2 ? inputs[2] : nullptr);
  p.scales = scales_from_shapes(x, y);
  if (scales && scales->numel() > 0) {
    if (scales->dtype() != DType::kF32) return node_invalid(node, "scales must be f32");
    std::vector<float> given = floats_of(*scales);
    // Opset 18 `axes`: scales cover only those axes.
    std::vector<int64_t> axes = node.attrs.get_ints("axes");
    if (axes.empty()) {
      for (int d = 0; d < x.rank(); ++d) axes.push_back(d);
    }
    if (given.size() != axes.size()) {
      return node_invalid(node, "scales has " + std::to_string(given.size()) + " values, expected " +
                                    std::to_string(axes.size()));
    }
    for (size_t i = 0; i < axes.size(); ++i) {
      YQ_ASSIGN_OR_RETURN(int ax, normalize_axis(node, axes[i], x.rank()));
      p.scales[ax] = given[i];
    }
  }
  return resize_run(node, x, y, p);
}

Status ref_upsample(const ir::Node& node, std::span<const Tensor* const> inputs, std::span<Tensor> outputs) {
  YQ_RETURN_IF_ERROR(require_inputs(node, inputs, 1));
  if (outputs.empty()) return node_invalid(node, "expected 1 output, found 0");
  const Tensor& x = *inputs[0];
  ResizeParams p;
  YQ_ASSIGN_OR_RETURN(p.linear, parse_linear(node));
  p.coord = CoordMode::kAsymmetric;
  p.nearest = NearestMode::kSimple;
  p.scales = inputs.size() > 1 && inputs[1] ? floats_of(*inputs[1]) : node.attrs.get_floats("scales");
  if (static_cast<int>(p.scales.size()) != x.rank()) {
    return node_invalid(node, "scales has " + std::to_string(p.scales.size()) + " values, expected " +
                                  std::to_string(x.rank()));
  }
  return resize_run(node, x, outputs[0], p);
}

}  // namespace yq::runtime::ref
