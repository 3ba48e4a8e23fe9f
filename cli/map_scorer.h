// SPDX-License-Identifier: Apache-2.0
// COCO mAP (AP@[.5:.95], in percent) of an engine or of a graph on the first images of a
// validation set, quietly: the one scorer behind `yoloq quantize --max-drop` (calibrator choice,
// layer ranking, budget search) and `yoloq sensitivity --metric map`.
#pragma once

#include "base/status.h"
#include "detect/model_spec.h"
#include "eval/dataset.h"
#include "quant/sensitivity.h"
#include "runtime/engine.h"

namespace yq::cli {

// `max_images` 0: all images. `dataset` must outlive the call.
Expected<double> engine_map(runtime::Engine& engine, const detect::ModelSpec& spec, const eval::Dataset& dataset,
                            int max_images);

// A quant::GraphMapFn building an engine per graph (oneDNN INT8 kernels, or with int8_engine false
// the fake-quant reference kernels). `spec` is copied; `dataset` must outlive the function.
quant::GraphMapFn graph_map_fn(const detect::ModelSpec& spec, const eval::Dataset* dataset, int max_images,
                               int threads, bool int8_engine);

}  // namespace yq::cli
