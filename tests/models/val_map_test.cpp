// SPDX-License-Identifier: Apache-2.0
// Golden end-to-end accuracy: every shared detector, run by yoloq's own FP32 engine with its
// family's preprocessing, decoding and NMS, scored by yoloq's COCO evaluator on all 128
// coco128 val2017 images, reproduces the pycocotools reference mAP published in
// $YOLOQ_DATA/README.md ("Reference accuracy") within ±0.5 AP — the bar that README sets for
// a correct C++ pipeline.
#include <gtest/gtest.h>

#include "eval/detector_session.h"
#include "tests/support/test_data.h"

namespace yq {
namespace {

struct Reference {
  const char* file;
  const char* family;  // expected result of family detection from the output shapes
  double ap, ap50, ap75;  // val2017 AP, AP50, AP75 from the README table (pycocotools)
};

const Reference kReferences[] = {
    {"yolox_nano_416_coco.onnx", "yolox", 33.92, 49.66, 37.21},
    {"nanodet_m_320_coco.onnx", "nanodet", 29.10, 43.09, 31.79},
    {"fastestdet_352_coco.onnx", "fastestdet", 20.67, 35.91, 20.07},
    {"yolov5n_640_coco.onnx", "yolov5", 33.93, 52.28, 37.03},
    {"yolov6lite_s_320_coco.onnx", "yolov6", 30.58, 43.75, 33.71},
};

class ValMap : public ::testing::TestWithParam<Reference> {};

TEST_P(ValMap, ReproducesReferenceMapOnCoco128Val) {
  const Reference& ref = GetParam();
  const std::string model = testing::model_path(ref.file);
  YQ_REQUIRE_FILE(model);
  const std::string data = testing::data_dir() + "/coco128";
  YQ_REQUIRE_FILE(data + "/images/val2017");

  auto session = eval::open_detector(model, {}, {}, /*family=*/"");
  ASSERT_TRUE(session.ok()) << session.status().message();
  EXPECT_EQ(session->spec.family, ref.family) << "family detection from output shapes";
  auto ds = eval::load_dataset(data, "val2017", "", "");
  ASSERT_TRUE(ds.ok()) << ds.status().message();
  ASSERT_EQ(ds->images.size(), 128u);
  eval::ValidateOptions vo;
  vo.progress = false;
  auto r = eval::validate(session->run, session->spec, *ds, vo);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->images, 128);
  EXPECT_NEAR(r->coco.stats[0] * 100, ref.ap, 0.5) << ref.file << " AP@[.50:.95]";
  EXPECT_NEAR(r->coco.stats[1] * 100, ref.ap50, 0.5) << ref.file << " AP50";
  EXPECT_NEAR(r->coco.stats[2] * 100, ref.ap75, 0.5) << ref.file << " AP75";
}

INSTANTIATE_TEST_SUITE_P(SharedModels, ValMap, ::testing::ValuesIn(kReferences),
                         [](const ::testing::TestParamInfo<Reference>& p) { return std::string(p.param.family); });

}  // namespace
}  // namespace yq
