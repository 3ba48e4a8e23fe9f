// SPDX-License-Identifier: Apache-2.0
// ModelSpec: everything yoloq needs to turn a detector's raw outputs into detections, declared
// as data: preprocessing, decoder family and parameters, label mode, thresholds, NMS, caps.
//
// Where a spec comes from, in priority order (resolve_model_spec):
//   1. a JSON file beside the model: "<model>.onnx.json", else "<model stem>.json";
//   2. an explicit family (the CLI's --family);
//   3. detect_family() on the model's input/output shapes.
// A JSON file may be partial: fields it omits come from the preset of its "family".
//
// Built-in presets (model_spec_preset), matching $YOLOQ_DATA/README.md for the shared models:
//   yolox       [1,N,5+nc], raw boxes, sigmoid obj/cls, single label, IoU 0.65
//   nanodet     six rank-2 outputs (cls + DFL per stride 8/16/32), multi label, IoU 0.6
//   fastestdet  [1,5+nc,H/16,W/16], obj^0.6·cls^0.4, single label, IoU 0.45
//   yolov5      [1,N,5+nc] decoded cx,cy,w,h,obj,cls, multi label, IoU 0.6
//   yolov5-raw  three raw heads [1,na,H,W,5+nc] or [1,na·(5+nc),H,W] with anchors
//   yolov6      [1,N,5+nc] decoded, column 4 is a constant 1 (ignored), multi label, IoU 0.65
//   yolov8      [1,4+nc,N] decoded cx,cy,w,h, no objectness, multi label, IoU 0.7
//   yolov8-raw  three raw heads [1,4·16+nc,H,W] (DFL reg_max 15, cls logits)
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "base/status.h"
#include "base/tensor.h"
#include "detect/preprocess.h"

namespace yq::detect {

enum class LabelMode {
  kSingle,  // each box keeps only its best class (YOLOX, FastestDet)
  kMulti,   // one candidate per (box, class) above the threshold (NanoDet, YOLOv5/v6/v8)
};

struct ModelSpec {
  std::string family;  // decoder: yolox, nanodet, fastestdet, yolov5, yolov6, yolov8
  PreprocessSpec preprocess;

  // Decoder parameters.
  std::vector<int> strides;                 // per output level, ascending
  std::vector<std::vector<float>> anchors;  // per level: w0,h0,w1,h1,... in input pixels (raw YOLOv5)
  int reg_max = 0;                          // DFL bins per side = reg_max + 1; 0 = no DFL
  bool decoded = false;                     // boxes already decoded to input pixels by the graph
  bool scores_sigmoid = true;               // objectness / class scores already went through sigmoid
  bool has_objectness = true;               // a column of objectness multiplies the class scores
  bool channels_first = false;              // decoded output is [1, C, N] rather than [1, N, C]
  float obj_power = 1.f;                    // score = obj^obj_power · cls^cls_power (FastestDet 0.6 / 0.4)
  float cls_power = 1.f;
  bool clip_to_input = false;  // clip decoded boxes to the network input before NMS (NanoDet)
  // Model output index feeding each decoder input (e.g. NanoDet: cls8, cls16, cls32, box8,
  // box16, box32). Empty: the decoder assigns outputs by shape.
  std::vector<int> output_order;

  // Post-processing (README "Reference accuracy" protocol).
  LabelMode label_mode = LabelMode::kMulti;
  float score_threshold = 0.001f;  // candidates need score > this
  float nms_iou = 0.6f;            // IoU > this suppresses (same class only)
  int pre_nms_topk = 0;            // keep the k best candidates before NMS; 0 = all
  int max_detections = 300;
  int num_classes = 80;
};

const char* label_mode_name(LabelMode m);

// The preset for a family at the given network input size; an unknown family is an error
// listing the known ones.
Expected<ModelSpec> model_spec_preset(const std::string& family, int width, int height);
std::vector<std::string> model_spec_families();

// JSON (nlohmann). to_json writes every field. from_json accepts a partial object: it starts
// from the preset of its "family" (required) at its preprocess width/height (default: the
// given width/height, else 640) and overrides what is present. Unknown keys are errors, so a
// typo does not silently fall back to a default.
std::string model_spec_to_json(const ModelSpec& spec);
Expected<ModelSpec> model_spec_from_json(const std::string& text, int width = 0, int height = 0);
Expected<ModelSpec> load_model_spec(const std::string& path, int width = 0, int height = 0);
Status save_model_spec(const std::string& path, const ModelSpec& spec);
// "<model>.json" beside "<model>" (e.g. yolo.onnx.json), else "<stem>.json" when it is a JSON
// object with a "family" and no "model" (not, say, a saved `quantize --json` report); else nullopt.
std::optional<std::string> find_spec_file(const std::string& model_path);

// Picks the family from shapes. `input` is [1,3,H,W]; outputs are in model order.
// Rules (the whole N must match a stride set exactly at this input size):
//   * 6 outputs of rank 2 (or [1,r,c]) whose rows are (H/s)(W/s) for s = 8,16,32 -> nanodet
//   * one [1,C,H/16,W/16] output -> fastestdet
//   * one [1,N,C]: N = 3·Σ(H/s)(W/s) over 8..32 or 8..64 -> yolov5 (three anchors per cell);
//     N = Σ over 8..64 (four levels, one per cell) -> yolov6 (YOLOv6Lite);
//     N = Σ over 8..32 -> yolox. YOLOv6-N/S/M/L (three levels) exports have the very same
//     shape; they cannot be told apart by shape, so yolox is the default and refine_family()
//     can correct it from the first output values (YOLOv6's column 4 is exactly 1.0).
//   * one [1,C,N] with N = Σ over 8..32 and C < N -> yolov8 (ultralytics, channels first)
//   * three rank-5 [1,3,H/s,W/s,C] -> yolov5-raw; three [1,64+nc,H/s,W/s] -> yolov8-raw
// Anything else is an InvalidArgument error naming the shapes and asking for --family (or a
// spec JSON).
Expected<std::string> detect_family(const std::vector<Shape>& outputs, const Shape& input);
// Value-based tie-break for the one shape ambiguity above: returns "yolov6" when family is
// "yolox" and column 4 of the single [1,N,C] output is exactly 1.0 in every row, else family.
std::string refine_family(const std::string& family, const std::vector<Tensor>& outputs);

// The priority chain described at the top. `family` may be empty (auto-detect).
Expected<ModelSpec> resolve_model_spec(const std::string& model_path, const std::string& family,
                                       const std::vector<Shape>& outputs, const Shape& input);

}  // namespace yq::detect
