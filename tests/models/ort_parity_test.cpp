// SPDX-License-Identifier: Apache-2.0
// Every shared detector, on real preprocessed COCO images: yoloq's outputs match ONNX Runtime's
// within max|Δ| <= 1e-4·max|ref| + 1e-5 per output, for the oneDNN engine and for the
// reference-kernel path.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <memory>

#include "base/npy.h"
#include "detect/presets.h"
#include "runtime/engine.h"
#include "runtime/load_model.h"
#include "tests/support/test_data.h"

namespace yq {
namespace {

struct ModelCase {
  const char* file;
  const char* family;
};

const ModelCase kModels[] = {
    {"yolox_nano_416_coco.onnx", "yolox"},     {"nanodet_m_320_coco.onnx", "nanodet"},
    {"fastestdet_352_coco.onnx", "fastestdet"}, {"yolov5n_640_coco.onnx", "yolov5"},
    {"yolov6lite_s_320_coco.onnx", "yolov6"},
};

// The ORT oracle (tools/ort_run.mjs) writes one .npy per output into `out_dir`.
bool run_ort(const std::string& model, const std::string& input_npy, const std::string& out_dir) {
  const std::string cmd = "node '" + testing::source_dir() + "/tools/ort_run.mjs' run '" + model + "' '" + input_npy +
                          "' '" + out_dir + "' --threads 1";
  return std::system(cmd.c_str()) == 0;
}

std::string safe_name(std::string n) {
  for (char& c : n) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '_' && c != '-') c = '_';
  }
  return n;
}

void expect_close(const Tensor& got, const Tensor& ref, const std::string& what) {
  ASSERT_EQ(got.shape(), ref.shape()) << what;
  const float* g = got.data<float>();
  const float* r = ref.data<float>();
  double max_ref = 0, max_diff = 0;
  int64_t worst = 0;
  for (int64_t i = 0; i < ref.numel(); ++i) {
    max_ref = std::max(max_ref, std::fabs(static_cast<double>(r[i])));
    const double d = std::fabs(static_cast<double>(g[i]) - r[i]);
    if (!(d <= max_diff)) {  // also catches NaN
      max_diff = d;
      worst = i;
    }
  }
  const double tol = 1e-4 * max_ref + 1e-5;
  EXPECT_LE(max_diff, tol) << what << ": max|diff| " << max_diff << " at " << worst << " (got " << g[worst]
                           << ", ort " << r[worst] << "), max|ref| " << max_ref;
}

class OrtParity : public ::testing::TestWithParam<ModelCase> {};

TEST_P(OrtParity, OutputsMatchOnnxRuntimeOnRealImages) {
  const ModelCase& mc = GetParam();
  const std::string model = testing::model_path(mc.file);
  YQ_REQUIRE_FILE(model);
  ASSERT_TRUE(testing::has_file(testing::source_dir() + "/.deps/ort/node_modules/onnxruntime-node"))
      << "onnxruntime-node missing: run scripts/install-deps.sh";

  auto loaded = runtime::load_model(model);
  ASSERT_TRUE(loaded.ok()) << loaded.status().message();
  const ir::Graph& g = loaded->graph;
  const Shape& in_shape = g.value(g.inputs()[0]).shape;
  auto spec = detect::preprocess_preset(mc.family, static_cast<int>(in_shape[3]), static_cast<int>(in_shape[2]));
  ASSERT_TRUE(spec.has_value());

  const std::filesystem::path tmp =
      std::filesystem::temp_directory_path() / ("yq_parity_" + std::to_string(::getpid()) + "_" + mc.family);
  std::filesystem::create_directories(tmp);

  runtime::EngineOptions fast, reference;
  reference.use_onednn = false;
  auto engine = runtime::Engine::create(g, fast);
  ASSERT_TRUE(engine.ok()) << engine.status().message();
  auto ref_engine = runtime::Engine::create(g, reference);
  ASSERT_TRUE(ref_engine.ok()) << ref_engine.status().message();

  // A portrait and a landscape image, so letterbox padding lands on both axes.
  const char* images[] = {"000000000139.jpg", "000000000724.jpg"};
  for (const char* image : images) {
    const std::string path = testing::data_dir() + "/coco128/images/val2017/" + image;
    YQ_REQUIRE_FILE(path);
    auto pre = detect::preprocess_file(path, *spec);
    ASSERT_TRUE(pre.ok()) << pre.status().message();
    const std::string in_npy = (tmp / "input.npy").string();
    ASSERT_TRUE(save_npy(in_npy, pre->tensor).ok());
    const std::string ort_dir = (tmp / (std::string("ort_") + image)).string();
    ASSERT_TRUE(run_ort(model, in_npy, ort_dir)) << "onnxruntime failed on " << model;

    std::vector<Tensor> outs, ref_outs;
    ASSERT_TRUE((*engine)->run({&pre->tensor, 1}, &outs).ok());
    ASSERT_EQ(outs.size(), g.outputs().size());
    const bool run_reference = std::string(image) == images[0];  // the scalar path is slow; one image
    if (run_reference) {
      ASSERT_TRUE((*ref_engine)->run({&pre->tensor, 1}, &ref_outs).ok());
    }
    for (size_t i = 0; i < outs.size(); ++i) {
      const std::string name = g.value(g.outputs()[i]).name;
      auto ort = load_npy(ort_dir + "/" + safe_name(name) + ".npy");
      ASSERT_TRUE(ort.ok()) << ort.status().message();
      expect_close(outs[i], *ort, std::string(mc.file) + " " + image + " output '" + name + "' (oneDNN engine)");
      if (run_reference) {
        expect_close(ref_outs[i], *ort, std::string(mc.file) + " " + image + " output '" + name + "' (reference kernels)");
      }
    }
  }
  std::filesystem::remove_all(tmp);
}

INSTANTIATE_TEST_SUITE_P(SharedModels, OrtParity, ::testing::ValuesIn(kModels),
                         [](const ::testing::TestParamInfo<ModelCase>& p) { return std::string(p.param.family); });

}  // namespace
}  // namespace yq
