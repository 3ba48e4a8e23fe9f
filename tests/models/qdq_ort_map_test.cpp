// SPDX-License-Identifier: Apache-2.0
// The QDQ ONNX that `yoloq quantize` writes is a standard model that ONNX Runtime runs with the
// meaning yoloq gives it. Three executions of the same file on the same 128 val2017 images:
//   reference  yoloq's fake-quant reference kernels (the exact semantics, ir/quantized_ir.md)
//   int8       yoloq's INT8 engine (oneDNN VNNI kernels)
//   ort        ONNX Runtime
// ORT must be within 0.3 mAP of the INT8 engine (the criterion), and each within 0.3 of
// the reference. Both engines round a few values differently from the double-precision
// reference at .5 ties and the quantized network amplifies such 1-LSB flips, so the gaps are not
// zero. Measured on NanoDet-m with the default policy (depthwise convs float): reference 28.52,
// int8 28.49, ORT 28.29 (with depthwise convs INT8 the engines sat on opposite sides: 28.02 / 28.39).
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "base/npy.h"
#include "detect/postprocess.h"
#include "eval/detector_session.h"
#include "quant/calibrate.h"
#include "quant/qdq_export.h"
#include "tests/support/test_data.h"

namespace yq {
namespace {

namespace fs = std::filesystem;

TEST(QdqExport, OnnxRuntimeAndInt8EngineMatchTheReferenceMap) {
  const std::string model = testing::model_path("nanodet_m_320_coco.onnx");
  YQ_REQUIRE_FILE(model);
  const std::string data = testing::data_dir() + "/coco128";
  YQ_REQUIRE_FILE(data + "/images/train2017");
  ASSERT_TRUE(testing::has_file(testing::source_dir() + "/.deps/ort/node_modules/onnxruntime-node"))
      << "onnxruntime-node missing: run scripts/install-deps.sh";
  const fs::path tmp = fs::temp_directory_path() / ("yq_qdq_ort_" + std::to_string(::getpid()));
  fs::create_directories(tmp);

  // PTQ as `yoloq quantize` does it: percentile calibration on 16 train2017 images.
  auto fp32 = eval::open_detector(model, {}, {}, "");
  ASSERT_TRUE(fp32.ok()) << fp32.status().message();
  ir::Graph q = fp32->model.graph;
  auto images = quant::list_images(data + "/images/train2017");
  ASSERT_TRUE(images.ok());
  quant::CalibOptions calib;
  calib.method = quant::CalibMethod::kPercentile;
  quant::CalibrateOptions co;
  co.max_images = 16;
  co.progress = false;
  auto plan = quant::quantize_graph(q, {}, *images, fp32->spec.preprocess, calib, co);
  ASSERT_TRUE(plan.ok()) << plan.status().message();
  const std::string qdq = (tmp / "nanodet_int8.onnx").string();
  ASSERT_TRUE(quant::export_qdq_onnx_file(q, qdq).ok());

  // yoloq's INT8 engine on the exported file, as a user would load it.
  auto int8 = eval::open_detector(qdq, {}, {}, "nanodet");
  ASSERT_TRUE(int8.ok()) << int8.status().message();
  ASSERT_GT(int8->engine->stats().int8_kernels, 0);
  auto ds = eval::load_dataset(data, "val2017", "", "");
  ASSERT_TRUE(ds.ok()) << ds.status().message();
  eval::ValidateOptions vo;
  vo.max_images = 128;
  vo.progress = false;
  auto ours = eval::validate(int8->run, int8->spec, *ds, vo);
  ASSERT_TRUE(ours.ok()) << ours.status().message();
  runtime::EngineOptions ref_opts;
  ref_opts.use_onednn = false;
  auto ref = eval::open_detector(qdq, {}, ref_opts, "nanodet");
  ASSERT_TRUE(ref.ok()) << ref.status().message();
  auto reference = eval::validate(ref->run, ref->spec, *ds, vo);
  ASSERT_TRUE(reference.ok()) << reference.status().message();

  // ONNX Runtime on the same file: preprocess the same images, run them in one ORT session, and
  // feed its outputs through the same decode/NMS/evaluation as a "model".
  std::ofstream list(tmp / "list.txt");
  for (int i = 0; i < vo.max_images; ++i) {
    auto pre = detect::preprocess_file(ds->images[i].path, int8->spec.preprocess);
    ASSERT_TRUE(pre.ok());
    const fs::path in = tmp / ("in" + std::to_string(i) + ".npy");
    ASSERT_TRUE(save_npy(in.string(), pre->tensor).ok());
    list << in.string() << " " << (tmp / ("out" + std::to_string(i))).string() << "\n";
  }
  list.close();
  const std::string cmd = "node '" + testing::source_dir() + "/tools/ort_run.mjs' runmany '" + qdq + "' '" +
                          (tmp / "list.txt").string() + "' --threads 1";
  ASSERT_EQ(std::system(cmd.c_str()), 0) << "onnxruntime failed on the QDQ export";
  std::vector<std::string> out_names;
  for (ir::ValueId v : int8->model.graph.outputs()) {
    std::string n = int8->model.graph.value(v).name;
    for (char& c : n) {
      if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '_' && c != '-') c = '_';
    }
    out_names.push_back(n);
  }
  int next = 0;
  eval::ModelFn ort = [&](const Tensor&, std::vector<Tensor>* outs) -> Status {
    outs->clear();
    const fs::path dir = tmp / ("out" + std::to_string(next++));
    for (const std::string& n : out_names) {
      YQ_ASSIGN_OR_RETURN(Tensor t, load_npy((dir / (n + ".npy")).string()));
      outs->push_back(std::move(t));
    }
    return ok_status();
  };
  auto theirs = eval::validate(ort, int8->spec, *ds, vo);
  ASSERT_TRUE(theirs.ok()) << theirs.status().message();
  EXPECT_EQ(next, vo.max_images);
  const double ref_map = reference->coco.stats[0] * 100;
  EXPECT_NEAR(theirs->coco.stats[0] * 100, ours->coco.stats[0] * 100, 0.3) << "ORT vs the yoloq INT8 engine";
  EXPECT_NEAR(theirs->coco.stats[0] * 100, ref_map, 0.3) << "ORT vs the fake-quant reference";
  EXPECT_NEAR(ours->coco.stats[0] * 100, ref_map, 0.3) << "yoloq INT8 engine vs the fake-quant reference";
  std::printf("QDQ mAP on %d images: reference %.2f, yoloq int8 %.2f, onnxruntime %.2f\n", vo.max_images, ref_map,
              ours->coco.stats[0] * 100, theirs->coco.stats[0] * 100);
  // And the quantized model is still a working detector (FP32 on the full split is 29.10).
  EXPECT_GT(ours->coco.stats[0] * 100, 20.0);
  fs::remove_all(tmp);
}

}  // namespace
}  // namespace yq
