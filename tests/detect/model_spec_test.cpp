// SPDX-License-Identifier: Apache-2.0
#include "detect/model_spec.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "detect/presets.h"

namespace yq::detect {
namespace {

// Shapes of the five shared models ($YOLOQ_DATA/README.md), in ONNX output order.
TEST(DetectFamily, SharedModels) {
  EXPECT_EQ(*detect_family({{1, 3549, 85}}, {1, 3, 416, 416}), "yolox");
  // NanoDet's outputs in the model's (misleadingly named) order.
  EXPECT_EQ(*detect_family({{1600, 80}, {400, 80}, {100, 80}, {1600, 32}, {400, 32}, {100, 32}}, {1, 3, 320, 320}),
            "nanodet");
  EXPECT_EQ(*detect_family({{1, 85, 22, 22}}, {1, 3, 352, 352}), "fastestdet");
  EXPECT_EQ(*detect_family({{1, 25200, 85}}, {1, 3, 640, 640}), "yolov5");
  EXPECT_EQ(*detect_family({{1, 2125, 85}}, {1, 3, 320, 320}), "yolov6");
}

TEST(DetectFamily, OtherLayouts) {
  EXPECT_EQ(*detect_family({{1, 84, 8400}}, {1, 3, 640, 640}), "yolov8");
  EXPECT_EQ(*detect_family({{1, 3, 80, 80, 85}, {1, 3, 40, 40, 85}, {1, 3, 20, 20, 85}}, {1, 3, 640, 640}),
            "yolov5-raw");
  EXPECT_EQ(*detect_family({{1, 144, 80, 80}, {1, 144, 40, 40}, {1, 144, 20, 20}}, {1, 3, 640, 640}), "yolov8-raw");
  // YOLOv5 P6 (four strides, three anchors) at 640: 3·(6400+1600+400+100).
  EXPECT_EQ(*detect_family({{1, 25500, 85}}, {1, 3, 640, 640}), "yolov5");
}

TEST(DetectFamily, AmbiguousOrUnknownAsksForFamily) {
  // YOLOX rows at the wrong input size.
  auto r = detect_family({{1, 3549, 85}}, {1, 3, 640, 640});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("--family"), std::string::npos);
  EXPECT_NE(r.status().message().find("[1,3549,85]"), std::string::npos);
  EXPECT_FALSE(detect_family({{1, 10}, {1, 10}}, {1, 3, 320, 320}).ok());
  EXPECT_FALSE(detect_family({{1, 3549, 85}}, {1, 3}).ok());
}

TEST(DetectFamily, RefineYoloxToYolov6ByConstantColumn) {
  Tensor t = Tensor::zeros(DType::kF32, {1, 3, 6});
  const std::vector<Tensor> outs = {t};
  EXPECT_EQ(refine_family("yolox", outs), "yolox");
  for (int i = 0; i < 3; ++i) t.data<float>()[i * 6 + 4] = 1.f;
  EXPECT_EQ(refine_family("yolox", outs), "yolov6");
  EXPECT_EQ(refine_family("yolov5", outs), "yolov5");
}

TEST(ModelSpecPreset, ReadmeLabelModesAndIou) {
  struct Want {
    const char* family;
    LabelMode mode;
    float iou;
  };
  for (const Want& w : {Want{"yolox", LabelMode::kSingle, 0.65f}, Want{"nanodet", LabelMode::kMulti, 0.6f},
                        Want{"fastestdet", LabelMode::kSingle, 0.45f}, Want{"yolov5", LabelMode::kMulti, 0.6f},
                        Want{"yolov6", LabelMode::kMulti, 0.65f}}) {
    auto s = model_spec_preset(w.family, 320, 320);
    ASSERT_TRUE(s.ok()) << w.family;
    EXPECT_EQ(s->label_mode, w.mode) << w.family;
    EXPECT_FLOAT_EQ(s->nms_iou, w.iou) << w.family;
    EXPECT_FLOAT_EQ(s->score_threshold, 0.001f);
    EXPECT_EQ(s->max_detections, 300);
    EXPECT_EQ(s->pre_nms_topk, 0);
  }
  auto bad = model_spec_preset("yolov9", 640, 640);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("yolox"), std::string::npos);
}

TEST(ModelSpecJson, RoundTripEveryPreset) {
  for (const std::string& f : model_spec_families()) {
    auto s = model_spec_preset(f, 416, 320);
    ASSERT_TRUE(s.ok()) << f;
    s->output_order = {0};
    const std::string text = model_spec_to_json(*s);
    auto back = model_spec_from_json(text);
    ASSERT_TRUE(back.ok()) << f << ": " << back.status().message();
    EXPECT_EQ(model_spec_to_json(*back), text) << f;
    EXPECT_EQ(back->preprocess.width, 416);
    EXPECT_EQ(back->preprocess.height, 320);
  }
}

TEST(ModelSpecJson, PartialOverridesPreset) {
  auto s = model_spec_from_json(R"({"family": "yolov6", "nms_iou": 0.5, "label_mode": "single",
                                    "preprocess": {"width": 416, "height": 416, "interp": "area"}})");
  ASSERT_TRUE(s.ok()) << s.status().message();
  EXPECT_EQ(s->family, "yolov6");
  EXPECT_FLOAT_EQ(s->nms_iou, 0.5f);
  EXPECT_EQ(s->label_mode, LabelMode::kSingle);
  EXPECT_EQ(s->preprocess.width, 416);
  EXPECT_EQ(s->preprocess.interp, Interp::kArea);
  EXPECT_TRUE(s->preprocess.rgb);  // from the preset
  EXPECT_FALSE(s->has_objectness);
}

TEST(ModelSpecJson, Errors) {
  EXPECT_FALSE(model_spec_from_json("{").ok());
  EXPECT_FALSE(model_spec_from_json(R"({"nms_iou": 0.5})").ok());  // no family
  auto typo = model_spec_from_json(R"({"family": "yolox", "nms_iuo": 0.5})");
  ASSERT_FALSE(typo.ok());
  EXPECT_NE(typo.status().message().find("nms_iuo"), std::string::npos);
  EXPECT_FALSE(model_spec_from_json(R"({"family": "yolox", "label_mode": "both"})").ok());
  EXPECT_FALSE(model_spec_from_json(R"({"family": "yolox", "nms_iou": "high"})").ok());
  EXPECT_FALSE(model_spec_from_json(R"({"family": "yolox", "anchors": [[1, 2]]})").ok());  // 1 set, 3 strides
}

TEST(ModelSpecJson, FileBesideModelOverrides) {
  const auto dir = std::filesystem::temp_directory_path() / ("yq_spec_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const std::string model = (dir / "m.onnx").string();
  std::ofstream(model) << "x";
  EXPECT_FALSE(find_spec_file(model).has_value());
  // Without a file: the flag, then detection.
  auto by_shape = resolve_model_spec(model, "", {{1, 2125, 85}}, {1, 3, 320, 320});
  ASSERT_TRUE(by_shape.ok());
  EXPECT_EQ(by_shape->family, "yolov6");
  auto by_flag = resolve_model_spec(model, "yolox", {{1, 2125, 85}}, {1, 3, 320, 320});
  ASSERT_TRUE(by_flag.ok());
  EXPECT_EQ(by_flag->family, "yolox");
  // "<stem>.json" only when it is a spec (a quantize report saved as m.json is not), then
  // "<model>.onnx.json" which takes priority.
  std::ofstream((dir / "m.json").string()) << R"({"model": "m.onnx", "family": "yolox", "budget": {"met": true}})";
  EXPECT_FALSE(find_spec_file(model).has_value());
  std::ofstream((dir / "m.json").string()) << R"({"family": "fastestdet"})";
  EXPECT_EQ(*find_spec_file(model), (dir / "m.json").string());
  ASSERT_TRUE(save_model_spec(model + ".json", *model_spec_preset("nanodet", 320, 320)).ok());
  EXPECT_EQ(*find_spec_file(model), model + ".json");
  auto from_file = resolve_model_spec(model, "yolox", {{1, 2125, 85}}, {1, 3, 320, 320});
  ASSERT_TRUE(from_file.ok()) << from_file.status().message();
  EXPECT_EQ(from_file->family, "nanodet");
  std::filesystem::remove_all(dir);
}

TEST(Presets, PreprocessPresetStillServesCli) {
  for (const std::string& f : preset_families()) EXPECT_TRUE(preprocess_preset(f, 640, 640).has_value()) << f;
  EXPECT_FALSE(preprocess_preset("nope", 640, 640).has_value());
}

}  // namespace
}  // namespace yq::detect
