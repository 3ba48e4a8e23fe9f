// SPDX-License-Identifier: Apache-2.0
// Each decoder on a synthetic output with one planted box. The expected image-space box is
// computed here by hand from the $YOLOQ_DATA/README.md formulas, including the letterbox
// map-back and the clip, and compared with decode() + postprocess().
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <opencv2/core.hpp>

#include "detect/decoders/decode.h"
#include "detect/model_spec.h"
#include "detect/postprocess.h"
#include "detect/preprocess.h"

namespace yq::detect {
namespace {

ModelSpec preset(const std::string& family, int w, int h) {
  auto s = model_spec_preset(family, w, h);
  EXPECT_TRUE(s.ok()) << s.status().message();
  return *s;
}

// The transform preprocess() gives for an image of this size (content is irrelevant).
LetterboxTransform transform_for(const ModelSpec& spec, int image_w, int image_h) {
  cv::Mat img(image_h, image_w, CV_8UC3, cv::Scalar(10, 20, 30));
  return preprocess(img, spec.preprocess).transform;
}

void expect_box(const Box& got, float x1, float y1, float x2, float y2, float tol = 1e-3f) {
  EXPECT_NEAR(got.x1, x1, tol);
  EXPECT_NEAR(got.y1, y1, tol);
  EXPECT_NEAR(got.x2, x2, tol);
  EXPECT_NEAR(got.y2, y2, tol);
}

float logit(float p) { return std::log(p / (1.f - p)); }

TEST(DecodeYolox, PlantedBoxSingleLabelTopLeftLetterbox) {
  const ModelSpec spec = preset("yolox", 416, 416);
  EXPECT_EQ(spec.label_mode, LabelMode::kSingle);
  EXPECT_FLOAT_EQ(spec.nms_iou, 0.65f);
  // 640×480 landscape: r = min(416/480, 416/640) = 0.65, image pasted at (0,0).
  const LetterboxTransform tf = transform_for(spec, 640, 480);
  EXPECT_FLOAT_EQ(tf.scale_x, 0.65f);
  EXPECT_FLOAT_EQ(tf.pad_x, 0.f);
  EXPECT_FLOAT_EQ(tf.pad_y, 0.f);

  Tensor out = Tensor::zeros(DType::kF32, {1, 3549, 85});
  float* d = out.data<float>();
  // Stride 16 level starts after 52·52 rows; cell (gx 5, gy 3) -> row 2704 + 3·26 + 5.
  float* r = d + (2704 + 3 * 26 + 5) * 85;
  r[0] = 0.5f, r[1] = 0.25f, r[2] = std::log(2.f), r[3] = 0.f, r[4] = 0.9f;
  r[5 + 3] = 0.8f, r[5 + 7] = 0.5f;
  // Stride 32, cell (12, 9): a box running off the right/bottom edges, to test the clip.
  float* e = d + (2704 + 676 + 9 * 13 + 12) * 85;
  e[0] = 0.5f, e[1] = 0.5f, e[2] = std::log(4.f), e[3] = 0.f, e[4] = 0.5f, e[5 + 0] = 0.5f;

  auto cand = decode(spec, {&out, 1});
  ASSERT_TRUE(cand.ok()) << cand.status().message();
  ASSERT_EQ(cand->size(), 2u);  // single label: one candidate per planted box
  auto dets = postprocess(*cand, spec, tf);
  ASSERT_EQ(dets.size(), 2u);
  // cx = (0.5+5)·16 = 88, cy = (0.25+3)·16 = 52, w = 2·16, h = 16 -> (72,44,104,60) / 0.65.
  EXPECT_EQ(dets[0].class_id, 3);
  EXPECT_NEAR(dets[0].score, 0.9f * 0.8f, 1e-6);
  expect_box(dets[0].box, 72 / 0.65f, 44 / 0.65f, 104 / 0.65f, 60 / 0.65f);
  // cx = 12.5·32 = 400, cy = 9.5·32 = 304, w = 4·32 = 128, h = 32 -> (336,288,464,320) / 0.65,
  // x2 = 713.8 clipped to 640, y2 = 492.3 clipped to 480.
  EXPECT_EQ(dets[1].class_id, 0);
  expect_box(dets[1].box, 336 / 0.65f, 288 / 0.65f, 640.f, 480.f);
}

TEST(DecodeNanodet, DispatchByShapeDflMultiLabelClip) {
  const ModelSpec spec = preset("nanodet", 320, 320);
  EXPECT_EQ(spec.label_mode, LabelMode::kMulti);
  // 480×640 portrait: h > w -> newh = 320, neww = int(320 / (640/480)) = 240, left = 40.
  const LetterboxTransform tf = transform_for(spec, 480, 640);
  EXPECT_FLOAT_EQ(tf.pad_x, 40.f);
  EXPECT_FLOAT_EQ(tf.pad_y, 0.f);
  EXPECT_FLOAT_EQ(tf.scale_x, 240.f / 480.f);
  EXPECT_FLOAT_EQ(tf.scale_y, 320.f / 640.f);

  constexpr float kNegInf = -1e30f;  // exp() of this relative to 0 is exactly 0
  Tensor cls8 = Tensor::zeros(DType::kF32, {1600, 80}), cls16 = Tensor::zeros(DType::kF32, {400, 80}),
         cls32 = Tensor::zeros(DType::kF32, {100, 80});
  Tensor box8 = Tensor::zeros(DType::kF32, {1600, 32}), box16 = Tensor::zeros(DType::kF32, {400, 32}),
         box32 = Tensor::zeros(DType::kF32, {100, 32});
  // Stride 16, cell (3, 4): two classes on the same box.
  const int cell = 4 * 20 + 3;
  cls16.data<float>()[cell * 80 + 0] = 0.6f;
  cls16.data<float>()[cell * 80 + 5] = 0.3f;
  float* b = box16.data<float>() + cell * 32;  // [4 sides][8 bins]
  for (int i = 0; i < 32; ++i) b[i] = kNegInf;
  b[0 * 8 + 2] = b[0 * 8 + 3] = 0.f;  // l = 2.5 bins (half on 2, half on 3)
  b[1 * 8 + 1] = b[1 * 8 + 2] = 0.f;  // t = 1.5
  b[2 * 8 + 4] = 0.f;                 // r = 4
  b[3 * 8 + 0] = 0.f;                 // b = 0
  // Stride 32, cell (9, 9): reaches past the 320 input on the right and bottom.
  const int cell32 = 9 * 10 + 9;
  cls32.data<float>()[cell32 * 80 + 2] = 0.2f;
  float* b32 = box32.data<float>() + cell32 * 32;
  for (int i = 0; i < 32; ++i) b32[i] = kNegInf;
  b32[0 * 8 + 1] = b32[1 * 8 + 1] = b32[2 * 8 + 7] = b32[3 * 8 + 7] = 0.f;
  // Empty box distributions elsewhere are uniform, harmless: their class scores are 0.

  // Model order deliberately shuffled: the decoder must go by shape.
  const std::vector<Tensor> outs = {box32, cls8, box16, cls32, box8, cls16};
  auto cand = decode(spec, outs);
  ASSERT_TRUE(cand.ok()) << cand.status().message();
  ASSERT_EQ(cand->size(), 3u);
  // Centre ((3+0.5)·16, (4+0.5)·16) = (56, 72); box (56−40, 72−24, 56+64, 72+0).
  expect_box((*cand)[0].box, 16, 48, 120, 72);
  // Centre (304, 304), l = t = 32, r = b = 7·32 = 224: clipped to the 320 input first.
  expect_box((*cand)[2].box, 272, 272, 320, 320);

  auto dets = postprocess(*cand, spec, tf);
  ASSERT_EQ(dets.size(), 3u);
  EXPECT_EQ(dets[0].class_id, 0);
  EXPECT_FLOAT_EQ(dets[0].score, 0.6f);
  EXPECT_EQ(dets[1].class_id, 5);  // multi label keeps the same box for a second class
  // x = (x' − 40)·480/240, y = y'·640/320; x1 = −48 clipped to 0.
  expect_box(dets[0].box, 0, 96, 160, 144);
  expect_box(dets[1].box, 0, 96, 160, 144);
  // (272−40)·2 = 464, 320 -> (320−40)·2 = 560 clipped to 480; y 544..640.
  expect_box(dets[2].box, 464, 544, 480, 640);
}

TEST(DecodeNanodet, WrongShapesAreErrors) {
  const ModelSpec spec = preset("nanodet", 320, 320);
  std::vector<Tensor> outs(6, Tensor::zeros(DType::kF32, {1600, 80}));
  auto r = decode(spec, outs);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("nanodet"), std::string::npos);
}

TEST(DecodeFastestdet, PlantedBoxPowerScoreStretch) {
  const ModelSpec spec = preset("fastestdet", 352, 352);
  EXPECT_EQ(spec.label_mode, LabelMode::kSingle);
  // 704×528 stretched to 352×352.
  const LetterboxTransform tf = transform_for(spec, 704, 528);
  Tensor out = Tensor::zeros(DType::kF32, {1, 85, 22, 22});
  float* d = out.data<float>();
  const int plane = 22 * 22, gx = 10, gy = 6, o = gy * 22 + gx;
  d[0 * plane + o] = 0.81f;             // obj (sigmoid applied)
  d[1 * plane + o] = std::atanh(0.5f);  // tanh -> 0.5
  d[2 * plane + o] = 0.f;               // tanh -> 0
  d[3 * plane + o] = 0.f;               // sigmoid -> 0.5
  d[4 * plane + o] = logit(0.25f);      // sigmoid -> 0.25
  d[(5 + 2) * plane + o] = 0.7f;
  d[(5 + 4) * plane + o] = 0.2f;

  auto cand = decode(spec, {&out, 1});
  ASSERT_TRUE(cand.ok()) << cand.status().message();
  ASSERT_EQ(cand->size(), 1u);
  auto dets = postprocess(*cand, spec, tf);
  ASSERT_EQ(dets.size(), 1u);
  EXPECT_EQ(dets[0].class_id, 2);
  EXPECT_NEAR(dets[0].score, std::pow(0.81f, 0.6f) * std::pow(0.7f, 0.4f), 1e-6);
  // Normalised cx = (10 + 0.5)/22, cy = 6/22, w 0.5, h 0.25; times the image W, H.
  const float cx = 10.5f / 22.f, cy = 6.f / 22.f;
  expect_box(dets[0].box, (cx - 0.25f) * 704, (cy - 0.125f) * 528, (cx + 0.25f) * 704, (cy + 0.125f) * 528);
}

TEST(DecodeYolov5, DecodedOutputMultiLabelCentredLetterbox) {
  const ModelSpec spec = preset("yolov5", 640, 640);
  EXPECT_FLOAT_EQ(spec.nms_iou, 0.6f);
  // 960×1280 portrait: r = 0.5 -> 480×640, left = (640−480)/2 = 80.
  const LetterboxTransform tf = transform_for(spec, 960, 1280);
  EXPECT_FLOAT_EQ(tf.pad_x, 80.f);
  Tensor out = Tensor::zeros(DType::kF32, {1, 25200, 85});
  float* r = out.data<float>() + 100 * 85;
  r[0] = 300, r[1] = 200, r[2] = 100, r[3] = 50, r[4] = 0.9f, r[5 + 1] = 0.5f, r[5 + 2] = 0.4f;
  auto dets = detect_objects(spec, {&out, 1}, tf);
  ASSERT_TRUE(dets.ok()) << dets.status().message();
  ASSERT_EQ(dets->size(), 2u);
  EXPECT_EQ((*dets)[0].class_id, 1);
  EXPECT_NEAR((*dets)[0].score, 0.45f, 1e-6);
  EXPECT_EQ((*dets)[1].class_id, 2);
  EXPECT_NEAR((*dets)[1].score, 0.36f, 1e-6);
  // (250, 175, 350, 225) -> ((x − 80)/0.5, y/0.5).
  expect_box((*dets)[0].box, 340, 350, 540, 450);
}

TEST(DecodeYolov5, RawHeadsWithAnchors) {
  const ModelSpec spec = preset("yolov5-raw", 640, 640);
  ASSERT_FALSE(spec.decoded);
  // Heads given smallest grid first: the decoder sorts them by grid size.
  Tensor h32 = Tensor::zeros(DType::kF32, {1, 3, 20, 20, 85}), h16 = Tensor::zeros(DType::kF32, {1, 3, 40, 40, 85}),
         h8 = Tensor::zeros(DType::kF32, {1, 3, 80, 80, 85});
  for (Tensor* t : {&h32, &h16, &h8}) {
    float* d = t->data<float>();
    for (int64_t i = 0; i < t->numel(); ++i) d[i] = -20.f;  // obj ≈ 2e-9: below threshold
  }
  // Stride 16, anchor 1 (62, 45), cell (gx 7, gy 11).
  float* r = h16.data<float>() + ((1 * 40 + 11) * 40 + 7) * 85;
  r[0] = 0.f, r[1] = logit(0.75f), r[2] = 0.f, r[3] = logit(0.25f), r[4] = logit(0.9f), r[5 + 4] = logit(0.5f);
  const std::vector<Tensor> outs = {h32, h16, h8};
  auto cand = decode(spec, outs);
  ASSERT_TRUE(cand.ok()) << cand.status().message();
  ASSERT_EQ(cand->size(), 1u);
  // cx = (2·0.5 − 0.5 + 7)·16 = 120, cy = (2·0.75 − 0.5 + 11)·16 = 192,
  // w = (2·0.5)²·62 = 62, h = (2·0.25)²·45 = 11.25.
  expect_box((*cand)[0].box, 120 - 31, 192 - 5.625f, 120 + 31, 192 + 5.625f);
  EXPECT_NEAR((*cand)[0].score, 0.45f, 1e-5);
  EXPECT_EQ((*cand)[0].class_id, 4);
}

TEST(DecodeYolov6, ConstantColumnIgnoredScoreIsCls) {
  const ModelSpec spec = preset("yolov6", 320, 320);
  EXPECT_FLOAT_EQ(spec.nms_iou, 0.65f);
  // 640×480 landscape: r = 0.5 -> 320×240, top = 40.
  const LetterboxTransform tf = transform_for(spec, 640, 480);
  EXPECT_FLOAT_EQ(tf.pad_y, 40.f);
  Tensor out = Tensor::zeros(DType::kF32, {1, 2125, 85});
  float* d = out.data<float>();
  for (int i = 0; i < 2125; ++i) d[i * 85 + 4] = 1.f;
  float* r = d + 2000 * 85;
  r[0] = 100, r[1] = 100, r[2] = 40, r[3] = 20, r[5 + 7] = 0.6f;
  auto dets = detect_objects(spec, {&out, 1}, tf);
  ASSERT_TRUE(dets.ok()) << dets.status().message();
  ASSERT_EQ(dets->size(), 1u);
  EXPECT_EQ((*dets)[0].class_id, 7);
  EXPECT_FLOAT_EQ((*dets)[0].score, 0.6f);
  // (80, 90, 120, 110) -> (x/0.5, (y − 40)/0.5).
  expect_box((*dets)[0].box, 160, 100, 240, 140);
}

TEST(DecodeYolov8, ChannelsFirstDecoded) {
  const ModelSpec spec = preset("yolov8", 640, 640);
  const LetterboxTransform tf = transform_for(spec, 640, 640);  // identity
  Tensor out = Tensor::zeros(DType::kF32, {1, 84, 8400});
  float* d = out.data<float>();
  const int n = 5000;
  d[0 * 8400 + n] = 320, d[1 * 8400 + n] = 100, d[2 * 8400 + n] = 64, d[3 * 8400 + n] = 32;
  d[(4 + 9) * 8400 + n] = 0.7f;
  auto dets = detect_objects(spec, {&out, 1}, tf);
  ASSERT_TRUE(dets.ok()) << dets.status().message();
  ASSERT_EQ(dets->size(), 1u);
  EXPECT_EQ((*dets)[0].class_id, 9);
  expect_box((*dets)[0].box, 288, 84, 352, 116);
}

TEST(DecodeYolov8, RawDflHeads) {
  const ModelSpec spec = preset("yolov8-raw", 640, 640);
  Tensor h8 = Tensor::zeros(DType::kF32, {1, 144, 80, 80}), h16 = Tensor::zeros(DType::kF32, {1, 144, 40, 40}),
         h32 = Tensor::zeros(DType::kF32, {1, 144, 20, 20});
  for (Tensor* t : {&h8, &h16, &h32}) {
    float* d = t->data<float>();
    for (int64_t i = 64 * t->dim(2) * t->dim(3); i < t->numel(); ++i) d[i] = -20.f;  // class logits
  }
  // Stride 32, cell (4, 2): l = 1, t = 2, r = 3, b = 4 bins (one-hot), class 6 logit 0 -> 0.5.
  const int plane = 400, o = 2 * 20 + 4;
  float* d = h32.data<float>();
  const int sides[4] = {1, 2, 3, 4};
  for (int s = 0; s < 4; ++s) {
    for (int b = 0; b < 16; ++b) d[(s * 16 + b) * plane + o] = b == sides[s] ? 0.f : -1e30f;
  }
  d[(64 + 6) * plane + o] = 0.f;
  const std::vector<Tensor> outs = {h8, h16, h32};
  auto cand = decode(spec, outs);
  ASSERT_TRUE(cand.ok()) << cand.status().message();
  ASSERT_EQ(cand->size(), 1u);
  // Anchor (4.5, 2.5)·32 = (144, 80).
  expect_box((*cand)[0].box, 144 - 32, 80 - 64, 144 + 96, 80 + 128);
  EXPECT_NEAR((*cand)[0].score, 0.5f, 1e-6);
}

TEST(Postprocess, NmsRunsBeforeMapBackAndCapsAt300) {
  ModelSpec spec = preset("yolov5", 640, 640);
  LetterboxTransform tf;
  tf.image_width = 640, tf.image_height = 640;
  std::vector<Detection> cand;
  for (int i = 0; i < 400; ++i) {
    const float x = static_cast<float>(i % 20) * 30.f, y = static_cast<float>(i / 20) * 30.f;
    cand.push_back({{x, y, x + 20, y + 20}, 0.5f + 0.001f * static_cast<float>(i), 0});
  }
  EXPECT_EQ(postprocess(cand, spec, tf).size(), 300u);
  spec.pre_nms_topk = 10;
  const auto top = postprocess(cand, spec, tf);
  ASSERT_EQ(top.size(), 10u);
  EXPECT_NEAR(top[0].score, 0.5f + 0.399f, 1e-6);
}

}  // namespace
}  // namespace yq::detect
