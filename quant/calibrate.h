// SPDX-License-Identifier: Apache-2.0
// The calibration driver: runs the FP32 engine over calibration images and gathers TensorStats
// for the activation values a QuantPlan names (reading data, collecting ranges and choosing
// thresholds are separate pieces, as in ORT's calibrate.py: this file only reads and collects).
//
// Determinism: images are processed one at a time in the order given (list_images sorts by file
// name), the engine's outputs for an image do not depend on thread scheduling, and observe() runs
// on one thread, so the same images give bit-identical statistics and therefore scales.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "base/status.h"
#include "detect/preprocess.h"
#include "ir/graph.h"
#include "quant/calibrator.h"
#include "quant/policy.h"
#include "quant/tensor_stats.h"

namespace yq::quant {

// The images (*.jpg, *.jpeg, *.png, *.bmp, any case) directly inside `dir`, sorted by file name.
// A missing or unreadable folder, or one with no images, is an error naming the folder.
Expected<std::vector<std::string>> list_images(const std::string& dir);

struct CalibrateOptions {
  int max_images = 0;        // > 0: only the first N paths (--calib-images N); 0: all
  int threads = 0;           // engine threads; 0: all cores
  int num_bins = 2048;       // histogram bins per TensorStats
  bool progress = true;      // progress bar on stderr
};

struct CalibrateReport {
  int images_used = 0;
  int images_skipped = 0;                 // unreadable or corrupt images (each logged as a warning)
  std::vector<std::string> skipped;       // their paths
};

// `g` must have its shapes inferred (as runtime::load_model returns it). `values` are activation
// Values of `g` (non-constant ones are observed on every image; constants once). Errors: an empty
// image list, every image unreadable (naming the first one and why), an engine error (naming the
// image), an unknown value id.
Expected<std::map<ir::ValueId, TensorStats>> collect_stats(const ir::Graph& g, const std::vector<ir::ValueId>& values,
                                                           const std::vector<std::string>& image_paths,
                                                           const detect::PreprocessSpec& spec,
                                                           const CalibrateOptions& opts = {},
                                                           CalibrateReport* report = nullptr);

// The whole quantize flow on an optimized, shape-inferred graph: plan_quantization, collect_stats,
// the channel-loss rule (quant/channel_loss.h), apply_quantization, then ir::unify_scales (so groups that meet through shared values agree).
// Returns the plan that was applied.
Expected<QuantPlan> quantize_graph(ir::Graph& g, const QuantPolicy& policy, const std::vector<std::string>& image_paths,
                                   const detect::PreprocessSpec& spec, const CalibOptions& calib,
                                   const CalibrateOptions& opts = {}, CalibrateReport* report = nullptr);

}  // namespace yq::quant
