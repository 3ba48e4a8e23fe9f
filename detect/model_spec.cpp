// SPDX-License-Identifier: Apache-2.0
#include "detect/model_spec.h"

#include <algorithm>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "base/file_io.h"
#include "detect/presets.h"

namespace yq::detect {
namespace {

using nlohmann::json;

const char* resize_name(ResizeMode m) {
  switch (m) {
    case ResizeMode::kStretch:
      return "stretch";
    case ResizeMode::kLetterboxCenter:
      return "letterbox_center";
    case ResizeMode::kLetterboxTopLeft:
      return "letterbox_top_left";
  }
  return "?";
}
const char* rounding_name(SizeRounding r) {
  switch (r) {
    case SizeRounding::kFloor:
      return "floor";
    case SizeRounding::kRound:
      return "round";
    case SizeRounding::kAspectTrunc:
      return "aspect_trunc";
  }
  return "?";
}
const char* interp_name(Interp i) {
  switch (i) {
    case Interp::kLinear:
      return "linear";
    case Interp::kArea:
      return "area";
    case Interp::kNearest:
      return "nearest";
  }
  return "?";
}

template <typename E, size_t N>
Expected<E> parse_enum(const std::string& key, const std::string& v, const std::pair<const char*, E> (&table)[N]) {
  std::string known;
  for (const auto& [name, e] : table) {
    if (v == name) return e;
    known += std::string(known.empty() ? "" : ", ") + name;
  }
  return invalid_argument("model spec: \"" + key + "\" is \"" + v + "\", expected one of: " + known);
}

const std::pair<const char*, ResizeMode> kResizeNames[] = {{"stretch", ResizeMode::kStretch},
                                                           {"letterbox_center", ResizeMode::kLetterboxCenter},
                                                           {"letterbox_top_left", ResizeMode::kLetterboxTopLeft}};
const std::pair<const char*, SizeRounding> kRoundingNames[] = {
    {"floor", SizeRounding::kFloor}, {"round", SizeRounding::kRound}, {"aspect_trunc", SizeRounding::kAspectTrunc}};
const std::pair<const char*, Interp> kInterpNames[] = {
    {"linear", Interp::kLinear}, {"area", Interp::kArea}, {"nearest", Interp::kNearest}};
const std::pair<const char*, LabelMode> kLabelNames[] = {{"single", LabelMode::kSingle}, {"multi", LabelMode::kMulti}};

// Cells of one level: feature maps come from stride-2 convs with padding, hence ceil.
int64_t cells(int64_t h, int64_t w, int64_t s) { return ((h + s - 1) / s) * ((w + s - 1) / s); }
int64_t sum_cells(int64_t h, int64_t w, std::initializer_list<int64_t> strides) {
  int64_t n = 0;
  for (int64_t s : strides) n += cells(h, w, s);
  return n;
}

std::string shapes_str(const std::vector<Shape>& shapes) {
  std::string s;
  for (const Shape& sh : shapes) s += (s.empty() ? "" : ", ") + shape_str(sh);
  return s;
}

// Reads `j[key]` into `out` when present, with a message naming the key on a type mismatch.
template <typename T>
Status read_field(const json& j, const char* key, T* out) {
  auto it = j.find(key);
  if (it == j.end()) return ok_status();
  try {
    *out = it->get<T>();
  } catch (const json::exception& e) {
    return invalid_argument(std::string("model spec: field \"") + key + "\": " + e.what());
  }
  return ok_status();
}

Status check_keys(const json& j, const std::set<std::string>& allowed, const std::string& where) {
  for (auto it = j.begin(); it != j.end(); ++it) {
    if (!allowed.count(it.key())) return invalid_argument("model spec: unknown key \"" + it.key() + "\" in " + where);
  }
  return ok_status();
}

Status preprocess_from_json(const json& j, PreprocessSpec* p) {
  if (!j.is_object()) return invalid_argument("model spec: \"preprocess\" must be an object");
  YQ_RETURN_IF_ERROR(check_keys(
      j, {"width", "height", "resize", "rounding", "interp", "pad_value", "rgb", "mean", "std", "map_back_per_axis"},
      "\"preprocess\""));
  YQ_RETURN_IF_ERROR(read_field(j, "width", &p->width));
  YQ_RETURN_IF_ERROR(read_field(j, "height", &p->height));
  std::string s;
  if (j.contains("resize")) {
    YQ_RETURN_IF_ERROR(read_field(j, "resize", &s));
    YQ_ASSIGN_OR_RETURN(p->resize, parse_enum("preprocess.resize", s, kResizeNames));
  }
  if (j.contains("rounding")) {
    YQ_RETURN_IF_ERROR(read_field(j, "rounding", &s));
    YQ_ASSIGN_OR_RETURN(p->rounding, parse_enum("preprocess.rounding", s, kRoundingNames));
  }
  if (j.contains("interp")) {
    YQ_RETURN_IF_ERROR(read_field(j, "interp", &s));
    YQ_ASSIGN_OR_RETURN(p->interp, parse_enum("preprocess.interp", s, kInterpNames));
  }
  YQ_RETURN_IF_ERROR(read_field(j, "pad_value", &p->pad_value));
  YQ_RETURN_IF_ERROR(read_field(j, "rgb", &p->rgb));
  YQ_RETURN_IF_ERROR(read_field(j, "mean", &p->mean));
  YQ_RETURN_IF_ERROR(read_field(j, "std", &p->std));
  YQ_RETURN_IF_ERROR(read_field(j, "map_back_per_axis", &p->map_back_per_axis));
  return ok_status();
}

Status validate(const ModelSpec& s) {
  if (s.preprocess.width <= 0 || s.preprocess.height <= 0)
    return invalid_argument("model spec: input size must be > 0");
  for (float v : s.preprocess.std) {
    if (!(v != 0.f)) return invalid_argument("model spec: preprocess.std has a zero");
  }
  if (s.num_classes <= 0) return invalid_argument("model spec: num_classes must be > 0");
  if (s.reg_max < 0 || s.reg_max > 64) return invalid_argument("model spec: reg_max must be in 0..64");
  for (int st : s.strides) {
    if (st <= 0) return invalid_argument("model spec: strides must be > 0");
  }
  if (!s.anchors.empty() && s.anchors.size() != s.strides.size()) {
    return invalid_argument("model spec: " + std::to_string(s.anchors.size()) + " anchor sets for " +
                            std::to_string(s.strides.size()) + " strides");
  }
  for (const auto& a : s.anchors) {
    if (a.empty() || a.size() % 2 != 0) return invalid_argument("model spec: each anchor set is w,h pairs");
  }
  if (!(s.nms_iou >= 0.f && s.nms_iou <= 1.f)) return invalid_argument("model spec: nms_iou must be in [0,1]");
  if (s.max_detections < 0 || s.pre_nms_topk < 0) return invalid_argument("model spec: caps must be >= 0");
  return ok_status();
}

}  // namespace

const char* label_mode_name(LabelMode m) { return m == LabelMode::kSingle ? "single" : "multi"; }

std::vector<std::string> model_spec_families() {
  return {"yolox", "nanodet", "fastestdet", "yolov5", "yolov5-raw", "yolov6", "yolov8", "yolov8-raw"};
}

Expected<ModelSpec> model_spec_preset(const std::string& family, int width, int height) {
  const bool raw = family.ends_with("-raw");
  const std::string base = raw ? family.substr(0, family.size() - 4) : family;
  auto pre = preprocess_preset(base, width, height);
  const auto known = model_spec_families();
  if (!pre || std::find(known.begin(), known.end(), family) == known.end()) {
    std::string list;
    for (const auto& f : known) list += (list.empty() ? "" : ", ") + f;
    return invalid_argument("unknown detector family \"" + family + "\"; known: " + list);
  }
  ModelSpec s;
  s.family = base;
  s.preprocess = *pre;
  if (base == "yolox") {
    s.strides = {8, 16, 32};
    s.label_mode = LabelMode::kSingle;
    s.nms_iou = 0.65f;  // exp nmsthre
  } else if (base == "nanodet") {
    s.strides = {8, 16, 32};
    s.reg_max = 7;
    s.has_objectness = false;
    s.clip_to_input = true;
    s.nms_iou = 0.6f;  // multiclass_nms
  } else if (base == "fastestdet") {
    s.strides = {16};
    s.label_mode = LabelMode::kSingle;
    s.obj_power = 0.6f;  // handle_preds: obj^0.6 · max_cls^0.4
    s.cls_power = 0.4f;
    s.nms_iou = 0.45f;
  } else if (base == "yolov5") {
    s.strides = {8, 16, 32};
    s.anchors = {{10, 13, 16, 30, 33, 23}, {30, 61, 62, 45, 59, 119}, {116, 90, 156, 198, 373, 326}};
    s.decoded = !raw;
    s.scores_sigmoid = !raw;
    s.nms_iou = 0.6f;  // val.py v7.0
  } else if (base == "yolov6") {
    s.strides = {8, 16, 32, 64};
    s.decoded = true;
    s.has_objectness = false;  // column 4 is a constant 1.0 kept for the YOLOv5 layout
    s.nms_iou = 0.65f;         // tools/eval.py
  } else if (base == "yolov8") {
    s.strides = {8, 16, 32};
    s.decoded = !raw;
    s.scores_sigmoid = !raw;
    s.has_objectness = false;
    s.channels_first = !raw;
    s.reg_max = raw ? 15 : 0;
    s.nms_iou = 0.7f;  // ultralytics val default
  }
  return s;
}

std::string model_spec_to_json(const ModelSpec& s) {
  const PreprocessSpec& p = s.preprocess;
  json pj = {{"width", p.width},
             {"height", p.height},
             {"resize", resize_name(p.resize)},
             {"rounding", rounding_name(p.rounding)},
             {"interp", interp_name(p.interp)},
             {"pad_value", p.pad_value},
             {"rgb", p.rgb},
             {"mean", p.mean},
             {"std", p.std},
             {"map_back_per_axis", p.map_back_per_axis}};
  json j = {{"family", s.family},
            {"preprocess", pj},
            {"strides", s.strides},
            {"anchors", s.anchors},
            {"reg_max", s.reg_max},
            {"decoded", s.decoded},
            {"scores_sigmoid", s.scores_sigmoid},
            {"has_objectness", s.has_objectness},
            {"channels_first", s.channels_first},
            {"obj_power", s.obj_power},
            {"cls_power", s.cls_power},
            {"clip_to_input", s.clip_to_input},
            {"output_order", s.output_order},
            {"label_mode", label_mode_name(s.label_mode)},
            {"score_threshold", s.score_threshold},
            {"nms_iou", s.nms_iou},
            {"pre_nms_topk", s.pre_nms_topk},
            {"max_detections", s.max_detections},
            {"num_classes", s.num_classes}};
  return j.dump(2) + "\n";
}

Expected<ModelSpec> model_spec_from_json(const std::string& text, int width, int height) {
  json j;
  try {
    j = json::parse(text);
  } catch (const json::exception& e) {
    return invalid_argument(std::string("model spec: not valid JSON: ") + e.what());
  }
  if (!j.is_object()) return invalid_argument("model spec: top level must be a JSON object");
  YQ_RETURN_IF_ERROR(
      check_keys(j,
                 {"family", "preprocess", "strides", "anchors", "reg_max", "decoded", "scores_sigmoid",
                  "has_objectness", "channels_first", "obj_power", "cls_power", "clip_to_input", "output_order",
                  "label_mode", "score_threshold", "nms_iou", "pre_nms_topk", "max_detections", "num_classes"},
                 "the top level"));
  std::string family;
  YQ_RETURN_IF_ERROR(read_field(j, "family", &family));
  if (family.empty()) return invalid_argument("model spec: \"family\" is required");
  // The preset is sized from the JSON's own width/height if present.
  int w = width > 0 ? width : 640, h = height > 0 ? height : 640;
  if (j.contains("preprocess") && j["preprocess"].is_object()) {
    YQ_RETURN_IF_ERROR(read_field(j["preprocess"], "width", &w));
    YQ_RETURN_IF_ERROR(read_field(j["preprocess"], "height", &h));
  }
  // A spec may name a decoder family that has a preset (including the -raw variants).
  YQ_ASSIGN_OR_RETURN(ModelSpec s, model_spec_preset(family, w, h));
  if (j.contains("preprocess")) YQ_RETURN_IF_ERROR(preprocess_from_json(j["preprocess"], &s.preprocess));
  YQ_RETURN_IF_ERROR(read_field(j, "strides", &s.strides));
  YQ_RETURN_IF_ERROR(read_field(j, "anchors", &s.anchors));
  YQ_RETURN_IF_ERROR(read_field(j, "reg_max", &s.reg_max));
  YQ_RETURN_IF_ERROR(read_field(j, "decoded", &s.decoded));
  YQ_RETURN_IF_ERROR(read_field(j, "scores_sigmoid", &s.scores_sigmoid));
  YQ_RETURN_IF_ERROR(read_field(j, "has_objectness", &s.has_objectness));
  YQ_RETURN_IF_ERROR(read_field(j, "channels_first", &s.channels_first));
  YQ_RETURN_IF_ERROR(read_field(j, "obj_power", &s.obj_power));
  YQ_RETURN_IF_ERROR(read_field(j, "cls_power", &s.cls_power));
  YQ_RETURN_IF_ERROR(read_field(j, "clip_to_input", &s.clip_to_input));
  YQ_RETURN_IF_ERROR(read_field(j, "output_order", &s.output_order));
  if (j.contains("label_mode")) {
    std::string m;
    YQ_RETURN_IF_ERROR(read_field(j, "label_mode", &m));
    YQ_ASSIGN_OR_RETURN(s.label_mode, parse_enum("label_mode", m, kLabelNames));
  }
  YQ_RETURN_IF_ERROR(read_field(j, "score_threshold", &s.score_threshold));
  YQ_RETURN_IF_ERROR(read_field(j, "nms_iou", &s.nms_iou));
  YQ_RETURN_IF_ERROR(read_field(j, "pre_nms_topk", &s.pre_nms_topk));
  YQ_RETURN_IF_ERROR(read_field(j, "max_detections", &s.max_detections));
  YQ_RETURN_IF_ERROR(read_field(j, "num_classes", &s.num_classes));
  YQ_RETURN_IF_ERROR(validate(s));
  return s;
}

Expected<ModelSpec> load_model_spec(const std::string& path, int width, int height) {
  YQ_ASSIGN_OR_RETURN(std::string text, read_file(path, size_t{1} << 20));
  auto spec = model_spec_from_json(text, width, height);
  if (!spec.ok()) return spec.status().with_context(path);
  return spec;
}

Status save_model_spec(const std::string& path, const ModelSpec& spec) {
  return write_file_atomic(path, model_spec_to_json(spec));
}

std::optional<std::string> find_spec_file(const std::string& model_path) {
  std::error_code ec;
  const std::string beside = model_path + ".json";
  if (std::filesystem::is_regular_file(beside, ec)) return beside;
  std::filesystem::path stem = model_path;
  stem.replace_extension(".json");
  if (stem.string() == model_path || !std::filesystem::is_regular_file(stem, ec)) return std::nullopt;
  // "<stem>.json" is a natural name for other files too (`yoloq quantize --out m.onnx --json >
  // m.json` writes the report there): it is taken for a spec only as a JSON object with a "family"
  // and without the "model" key that every yoloq report has (a spec never does).
  auto text = read_file(stem.string(), size_t{1} << 20);
  if (!text.ok()) return std::nullopt;
  const nlohmann::json j = nlohmann::json::parse(*text, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object() || !j.contains("family") || j.contains("model")) return std::nullopt;
  return stem.string();
}

Expected<std::string> detect_family(const std::vector<Shape>& outputs, const Shape& input) {
  auto ambiguous = [&](const std::string& why) -> Status {
    return invalid_argument("cannot tell the detector family from input " + shape_str(input) + " and outputs [" +
                            shapes_str(outputs) + "]: " + why +
                            "; pass --family (yolox, nanodet, fastestdet, yolov5, yolov5-raw, yolov6, yolov8, "
                            "yolov8-raw) or put a spec JSON beside the model (<model>.onnx.json)");
  };
  if (input.size() != 4 || input[2] <= 0 || input[3] <= 0) return ambiguous("input is not [1,3,H,W]");
  const int64_t H = input[2], W = input[3];
  const int64_t n3 = sum_cells(H, W, {8, 16, 32}), n4 = sum_cells(H, W, {8, 16, 32, 64});

  if (outputs.size() == 6) {
    // NanoDet: three class maps and three DFL maps, one per stride, in any order.
    std::multiset<int64_t> rows;
    std::set<int64_t> cols;
    for (const Shape& s : outputs) {
      const bool rank2 = s.size() == 2, rank3 = s.size() == 3 && s[0] == 1;
      if (!rank2 && !rank3) return ambiguous("six outputs, but not all of rank 2");
      rows.insert(s[s.size() - 2]);
      cols.insert(s.back());
    }
    const std::multiset<int64_t> want = {cells(H, W, 8),  cells(H, W, 8),  cells(H, W, 16),
                                         cells(H, W, 16), cells(H, W, 32), cells(H, W, 32)};
    if (rows == want && cols.size() == 2) return std::string("nanodet");
    return ambiguous("six outputs whose rows are not two sets of the stride 8/16/32 cell counts");
  }
  if (outputs.size() == 3) {
    bool v5raw = true, v8raw = true;
    std::multiset<int64_t> hw;
    for (const Shape& s : outputs) {
      v5raw = v5raw && s.size() == 5 && s[0] == 1 && s[1] == 3 && s[4] > 5;
      v8raw = v8raw && s.size() == 4 && s[0] == 1 && s[1] > 64;
      if (s.size() >= 4) hw.insert(s[2] * s[3]);
    }
    const std::multiset<int64_t> want = {cells(H, W, 8), cells(H, W, 16), cells(H, W, 32)};
    if (hw == want && v5raw) return std::string("yolov5-raw");
    if (hw == want && v8raw) return std::string("yolov8-raw");
    return ambiguous(
        "three outputs that are neither YOLOv5 raw heads [1,3,h,w,5+nc] nor YOLOv8 raw heads "
        "[1,64+nc,h,w]");
  }
  if (outputs.size() != 1) return ambiguous(std::to_string(outputs.size()) + " outputs");
  const Shape& o = outputs[0];
  if (o.size() == 4 && o[0] == 1 && o[1] > 5 && o[2] == (H + 15) / 16 && o[3] == (W + 15) / 16) {
    return std::string("fastestdet");
  }
  if (o.size() == 3 && o[0] == 1) {
    const int64_t n = o[1], c = o[2];
    if (c > 5) {
      if (n == 3 * n3 || n == 3 * n4) return std::string("yolov5");
      if (n == n4) return std::string("yolov6");
      if (n == n3) return std::string("yolox");  // or a three-level YOLOv6: see refine_family
    }
    // ultralytics YOLOv8 keeps channels first: [1, 4+nc, N].
    if (c == n3 && n > 4 && n < c) return std::string("yolov8");
    return ambiguous("the row count matches no stride set (expected " + std::to_string(n3) + " for YOLOX, " +
                     std::to_string(3 * n3) + " for YOLOv5, " + std::to_string(n4) + " for YOLOv6Lite)");
  }
  return ambiguous("unrecognised output layout");
}

std::string refine_family(const std::string& family, const std::vector<Tensor>& outputs) {
  if (family != "yolox" || outputs.size() != 1) return family;
  const Tensor& t = outputs[0];
  if (t.rank() != 3 || t.dtype() != DType::kF32 || t.dim(2) <= 5 || t.dim(1) == 0) return family;
  // YOLOX's column 4 is a sigmoid objectness; it is never exactly 1.0 on every row, while
  // YOLOv6 writes the constant 1.0 there.
  const float* d = t.data<float>();
  const int64_t n = t.dim(1), c = t.dim(2);
  for (int64_t i = 0; i < n; ++i) {
    if (d[i * c + 4] != 1.f) return family;
  }
  return "yolov6";
}

Expected<ModelSpec> resolve_model_spec(const std::string& model_path, const std::string& family,
                                       const std::vector<Shape>& outputs, const Shape& input) {
  const int w = input.size() == 4 ? static_cast<int>(input[3]) : 0;
  const int h = input.size() == 4 ? static_cast<int>(input[2]) : 0;
  if (auto file = find_spec_file(model_path)) return load_model_spec(*file, w, h);
  if (w <= 0 || h <= 0) return invalid_argument(model_path + ": input " + shape_str(input) + " is not [1,3,H,W]");
  if (!family.empty()) return model_spec_preset(family, w, h);
  YQ_ASSIGN_OR_RETURN(std::string detected, detect_family(outputs, input));
  return model_spec_preset(detected, w, h);
}

}  // namespace yq::detect
