// SPDX-License-Identifier: Apache-2.0
// Resize (opset 11+) and the older Upsample. Output dims come from constant scales or sizes.
#include <cmath>

#include "ir/ops/schema_util.h"

namespace yq::ir {
namespace {

Status check_mode(const Node& node, std::initializer_list<const char*> allowed) {
  const std::string mode = node.attrs.get_string("mode", "nearest");
  for (const char* a : allowed) {
    if (mode == a) return ok_status();
  }
  return unsupported("mode '" + mode + "' is not supported");
}

// floor(in * scale) with the scale in f32, as ONNX Runtime computes it: a scale like 1/3 must
// give the same integer size as the kernels that later run the model.
Expected<Shape> scaled_shape(const Shape& xs, const std::vector<double>& scales, const std::vector<double>* roi) {
  if (scales.size() != xs.size()) {
    return invalid_model("scales has " + std::to_string(scales.size()) + " values, expected " +
                         std::to_string(xs.size()) + " (the input rank)");
  }
  Shape y(xs.size());
  for (size_t i = 0; i < xs.size(); ++i) {
    const float s = static_cast<float>(scales[i]);
    if (!(s > 0.f))
      return invalid_model("scales must be > 0, found " + std::to_string(scales[i]) + " at axis " + std::to_string(i));
    float extent = static_cast<float>(xs[i]);
    if (roi != nullptr) extent *= static_cast<float>((*roi)[i + xs.size()] - (*roi)[i]);
    const float o = std::floor(extent * s);
    if (!(o <= static_cast<float>(kMaxDim))) return invalid_model("scaled dim " + std::to_string(i) + " is too large");
    y[i] = static_cast<int64_t>(o);
  }
  return y;
}

Status infer_resize(const Node& node, Inputs in, Outputs out) {
  const TensorInfo& x = *in[0];
  YQ_RETURN_IF_ERROR(expect_dtype(x, DType::kF32, "input X"));
  YQ_RETURN_IF_ERROR(check_mode(node, {"nearest", "linear", "cubic"}));
  const std::string policy = node.attrs.get_string("keep_aspect_ratio_policy", "stretch");
  if (policy != "stretch") return unsupported("keep_aspect_ratio_policy '" + policy + "' is not supported");
  if (node.attrs.has("axes")) return unsupported("the opset 18 axes attribute is not supported");
  const TensorInfo* scales = in.size() > 2 ? in[2] : nullptr;
  const TensorInfo* sizes = in.size() > 3 ? in[3] : nullptr;
  const bool has_scales = !absent_or_empty(scales);
  const bool has_sizes = !absent_or_empty(sizes);
  if (has_scales && has_sizes) return invalid_model("both scales and sizes are given; expected exactly one");
  if (!has_scales && !has_sizes) return invalid_model("neither scales nor sizes is given; expected exactly one");
  Shape y;
  if (has_sizes) {
    YQ_ASSIGN_OR_RETURN(std::vector<int64_t> s, const_ints(sizes, "sizes (input 3)"));
    if (s.size() != x.shape.size()) {
      return invalid_model("sizes " + shape_str(s) + " has " + std::to_string(s.size()) + " values, expected " +
                           std::to_string(x.shape.size()) + " (the input rank)");
    }
    for (int64_t d : s) {
      if (d < 0) return invalid_model("sizes " + shape_str(s) + " has a negative dim");
    }
    y = s;
  } else {
    YQ_ASSIGN_OR_RETURN(std::vector<double> s, const_doubles(scales, "scales (input 2)"));
    std::vector<double> roi;
    const bool crop = node.attrs.get_string("coordinate_transformation_mode", "half_pixel") == "tf_crop_and_resize";
    if (crop) {
      YQ_ASSIGN_OR_RETURN(roi, const_doubles(in.size() > 1 ? in[1] : nullptr, "roi (input 1)"));
      if (roi.size() != 2 * x.shape.size()) {
        return invalid_model("roi has " + std::to_string(roi.size()) + " values, expected " +
                             std::to_string(2 * x.shape.size()));
      }
    }
    YQ_ASSIGN_OR_RETURN(y, scaled_shape(x.shape, s, crop ? &roi : nullptr));
  }
  set_output(out[0], DType::kF32, std::move(y));
  return ok_status();
}

// Upsample: scales is input 1 from opset 9, an attribute before.
Status infer_upsample(const Node& node, Inputs in, Outputs out) {
  const TensorInfo& x = *in[0];
  YQ_RETURN_IF_ERROR(expect_dtype(x, DType::kF32, "input X"));
  YQ_RETURN_IF_ERROR(check_mode(node, {"nearest", "linear", "bilinear"}));
  std::vector<double> scales;
  if (in.size() > 1 && in[1] != nullptr) {
    YQ_ASSIGN_OR_RETURN(scales, const_doubles(in[1], "scales (input 1)"));
  } else if (node.attrs.has("scales")) {
    for (float f : node.attrs.get_floats("scales")) scales.push_back(f);
  } else {
    return invalid_model("scales are missing (input 1)");
  }
  YQ_ASSIGN_OR_RETURN(Shape y, scaled_shape(x.shape, scales, nullptr));
  set_output(out[0], DType::kF32, std::move(y));
  return ok_status();
}

}  // namespace

void add_resize_schemas(SchemaMap& m) {
  add_schema(m, "Resize", 1, 4, 1, 1, infer_resize);
  add_schema(m, "Upsample", 1, 2, 1, 1, infer_upsample);
}

}  // namespace yq::ir
