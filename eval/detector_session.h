// SPDX-License-Identifier: Apache-2.0
// The glue every detection workflow (val, detect, quantize reports) shares: load the model, build the engine, and resolve the
// model spec (spec JSON beside the model, --family, or detection from output shapes).
#pragma once

#include <memory>
#include <string>

#include "base/status.h"
#include "detect/model_spec.h"
#include "eval/validate.h"
#include "runtime/engine.h"
#include "runtime/load_model.h"

namespace yq::eval {

struct DetectorSession {
  runtime::LoadedModel model;
  std::unique_ptr<runtime::Engine> engine;
  detect::ModelSpec spec;
  ModelFn run;  // calls engine->run
};

Expected<DetectorSession> open_detector(const std::string& model_path, const runtime::LoadOptions& load,
                                        const runtime::EngineOptions& engine_opts, const std::string& family);

// A YOLO-layout dataset (DIR/images/<split>, DIR/labels/<split>, class map found above DIR unless
// given), or a COCO instances JSON with DIR as the image folder.
Expected<Dataset> load_dataset(const std::string& data, const std::string& split, const std::string& classes,
                                     const std::string& coco_json);

}  // namespace yq::eval
