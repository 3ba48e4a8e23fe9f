// SPDX-License-Identifier: Apache-2.0
// `yoloq compare FLOAT.onnx INT8.onnx --images DIR`: per-tensor SQNR / cosine / MSE between a
// float model and its quantized version, in graph order, flagging where the error jumps.
#include <cstdio>
#include <memory>

#include "base/threads.h"
#include "cli/commands.h"
#include "cli/common_options.h"
#include "detect/preprocess.h"
#include "eval/detector_session.h"
#include "quant/calibrate.h"
#include "quant/layerwise_compare.h"

namespace yq::cli {
namespace {

struct CompareArgs {
  ModelOptions model;  // the float model
  std::string quant_model;
  std::string images_dir;
  int max_images = 4;
  std::string family;
  bool reference = false;
  bool jumps_only = false;
  int threads = 0;
};

int run_compare(const CompareArgs& a) {
  set_num_threads(a.threads);
  auto load_opts = a.model.to_load_options();
  if (!load_opts.ok()) return report_error(load_opts.status());
  runtime::EngineOptions eo;
  eo.threads = a.threads;
  auto f = eval::open_detector(a.model.model, *load_opts, eo, a.family);
  if (!f.ok()) return report_error(f.status());
  auto q = runtime::load_model(a.quant_model, *load_opts);
  if (!q.ok()) return report_error(q.status());
  auto paths = quant::list_images(a.images_dir);
  if (!paths.ok()) return report_error(paths.status());
  std::vector<std::vector<Tensor>> samples;
  for (const std::string& p : *paths) {
    if (a.max_images > 0 && static_cast<int>(samples.size()) >= a.max_images) break;
    auto pre = detect::preprocess_file(p, f->spec.preprocess);
    if (!pre.ok()) return report_error(pre.status());
    samples.push_back({pre->tensor});
  }
  quant::CompareOptions co;
  co.use_int8_engine = !a.reference;
  co.threads = a.threads;
  auto rows = quant::compare_layerwise(f->model.graph, q->graph, samples, co);
  if (!rows.ok()) return report_error(rows.status());

  if (a.model.json) {
    nlohmann::json arr = nlohmann::json::array();
    for (const auto& r : *rows) {
      if (a.jumps_only && !r.jump) continue;
      arr.push_back({{"tensor", r.name}, {"op", r.producer_op}, {"quantized", r.quantized}, {"sqnr_db", r.metrics.sqnr_db},
                     {"cosine", r.metrics.cosine}, {"mse", r.metrics.mse}, {"max_abs", r.metrics.max_abs}, {"jump", r.jump}});
    }
    print_json({{"float_model", a.model.model}, {"quant_model", a.quant_model}, {"images", samples.size()},
                {"engine", a.reference ? "fake-quant reference" : "int8"}, {"tensors", arr}});
    return 0;
  }
  std::printf("%-48s %-10s %2s %9s %9s %11s\n", "tensor", "op", "q", "SQNR dB", "cosine", "MSE");
  for (const auto& r : *rows) {
    if (a.jumps_only && !r.jump) continue;
    std::printf("%-48s %-10s %2s %9.2f %9.5f %11.4g%s\n", r.name.substr(0, 48).c_str(), r.producer_op.c_str(),
                r.quantized ? "q" : "", r.metrics.sqnr_db, r.metrics.cosine, r.metrics.mse, r.jump ? "  <-- jump" : "");
  }
  return 0;
}

}  // namespace

Runner add_compare_command(CLI::App& app) {
  auto a = std::make_shared<CompareArgs>();
  CLI::App* cmd = app.add_subcommand("compare", "layer-wise error between a float model and its quantized version");
  a->model.add_to(*cmd);
  cmd->add_option("quant_model", a->quant_model, "quantized (QDQ) ONNX model")->required();
  cmd->add_option("--images", a->images_dir, "folder of images to run")->required();
  cmd->add_option("--max-images", a->max_images, "use the first N images (0: all)");
  cmd->add_option("--family", a->family, "model family if it cannot be detected from the outputs");
  cmd->add_flag("--reference", a->reference, "run the quantized model as fake-quant on reference kernels");
  cmd->add_flag("--jumps", a->jumps_only, "print only the tensors where the error jumps");
  cmd->add_option("--threads", a->threads, "threads (0: all cores)");
  return [a] { return run_compare(*a); };
}

}  // namespace yq::cli
