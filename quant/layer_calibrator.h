// SPDX-License-Identifier: Apache-2.0
// Per-layer calibrator choice: each sharing group gets the calibrator whose threshold gives the
// layers reading it the least output error, instead of one calibrator for the whole model.
//
// Why: the calibrators trade clipping against rounding differently, and which trade is right
// depends on the tensor (a SiLU output with rare large values wants clipping; a stem input whose
// extremes matter does not). The whole-model choice (quantize --max-drop) picks one by mAP; this
// picks per tensor by what the tensor's readers compute.
//
// How: for every candidate method, one one-quantized sensitivity sweep (quant/sensitivity.h,
// layer-output metrics, cached FP32 boundaries) gives each compute layer's output error when only
// it reads quantized inputs. A group's cost under a method is the sum over the layers reading it
// (input X or residual R) of the relative error 10^(-SQNR/10) (MSE over the FP32 output's power,
// so layers of different scales add up); the method with the least cost wins, ties to the first
// candidate. A layer's error also includes its weight rounding, which does not depend on the
// method and so does not change the choice.
// Cost: one sweep per candidate over `inputs`; YOLOX-Nano with 8 images takes about 5 s a sweep.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "base/status.h"
#include "base/tensor.h"
#include "ir/graph.h"
#include "quant/calibrator.h"
#include "quant/policy.h"
#include "quant/tensor_stats.h"

namespace yq::quant {

struct LayerCalibratorChoice {
  // For QuantPolicy::calib_methods: the first member of each planned group -> its method.
  std::map<std::string, CalibMethod> methods;
  // How many groups each method won (method name -> count), for the report.
  std::map<std::string, int> wins;
};

// `policy` and `stats` as for analyze_sensitivity (stats cover plan_quantization(g, policy));
// `calib` supplies the percentile and symmetric settings; `candidates` the methods to try.
Expected<LayerCalibratorChoice> choose_layer_calibrators(const ir::Graph& float_graph, const QuantPolicy& policy,
                                                         const std::map<ir::ValueId, TensorStats>& stats,
                                                         const CalibOptions& calib,
                                                         const std::vector<CalibMethod>& candidates,
                                                         const std::vector<std::vector<Tensor>>& inputs, int threads,
                                                         bool progress);

}  // namespace yq::quant
