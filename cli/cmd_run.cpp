// SPDX-License-Identifier: Apache-2.0
// `yoloq run MODEL --input IN.npy --out DIR`: one inference; writes DIR/<output>.npy per output.
// `--image IMG --preprocess FAMILY` builds the input from an image with a family's preprocessing.
#include <cstdio>
#include <filesystem>
#include <memory>

#include "base/file_io.h"
#include "base/npy.h"
#include "base/threads.h"
#include "cli/commands.h"
#include "cli/common_options.h"
#include "detect/presets.h"
#include "runtime/engine.h"

namespace yq::cli {
namespace {

struct RunArgs {
  ModelOptions model;
  std::vector<std::string> inputs;
  std::string image;
  std::string family;
  std::string out_dir;
  int threads = 0;
  bool reference = false;
  std::string save_input;
};

Expected<std::vector<Tensor>> gather_inputs(const RunArgs& a, const ir::Graph& g) {
  std::vector<Tensor> tensors;
  if (!a.image.empty()) {
    if (g.inputs().size() != 1) return invalid_argument("--image needs a single-input model");
    const Shape& s = g.value(g.inputs()[0]).shape;
    if (s.size() != 4 || s[1] != 3) return invalid_argument("--image needs an input of shape [1,3,H,W], model has " + shape_str(s));
    auto spec = detect::preprocess_preset(a.family, static_cast<int>(s[3]), static_cast<int>(s[2]));
    if (!spec) return invalid_argument("--preprocess: unknown family '" + a.family + "'");
    YQ_ASSIGN_OR_RETURN(auto pre, detect::preprocess_file(a.image, *spec));
    tensors.push_back(std::move(pre.tensor));
    return tensors;
  }
  if (a.inputs.size() != g.inputs().size()) {
    return invalid_argument("model has " + std::to_string(g.inputs().size()) + " inputs, got " + std::to_string(a.inputs.size()) + " --input files");
  }
  for (const std::string& path : a.inputs) {
    YQ_ASSIGN_OR_RETURN(Tensor t, load_npy(path));
    tensors.push_back(std::move(t));
  }
  return tensors;
}

int run_run(const RunArgs& a) {
  set_num_threads(a.threads);
  auto load_opts = a.model.to_load_options();
  if (!load_opts.ok()) return report_error(load_opts.status());
  auto loaded = runtime::load_model(a.model.model, *load_opts);
  if (!loaded.ok()) return report_error(loaded.status());
  const ir::Graph& g = loaded->graph;
  auto inputs = gather_inputs(a, g);
  if (!inputs.ok()) return report_error(inputs.status());
  runtime::EngineOptions eo;
  eo.threads = a.threads;
  eo.use_onednn = !a.reference;
  auto engine = runtime::Engine::create(g, eo);
  if (!engine.ok()) return report_error(engine.status().with_context(a.model.model));
  std::vector<Tensor> outputs;
  if (Status s = (*engine)->run(*inputs, &outputs); !s.ok()) return report_error(s);

  if (Status s = ensure_folder(a.out_dir); !s.ok()) return report_error(s);
  nlohmann::json files = nlohmann::json::array();
  if (!a.save_input.empty()) {
    if (Status s = save_npy(a.save_input, (*inputs)[0]); !s.ok()) return report_error(s);
  }
  for (size_t i = 0; i < outputs.size(); ++i) {
    const std::string& name = g.value(g.outputs()[i]).name;
    const std::string path = (std::filesystem::path(a.out_dir) / (safe_file_name(name) + ".npy")).string();
    if (Status s = save_npy(path, outputs[i]); !s.ok()) return report_error(s);
    files.push_back({{"name", name}, {"path", path}, {"shape", shape_json(outputs[i].shape())}});
  }
  if (a.model.json) {
    print_json({{"model", a.model.model}, {"outputs", files}});
  } else {
    for (const auto& f : files) std::printf("%s %s -> %s\n", f["name"].get<std::string>().c_str(), f["shape"].dump().c_str(), f["path"].get<std::string>().c_str());
  }
  return 0;
}

}  // namespace

Runner add_run_command(CLI::App& app) {
  auto a = std::make_shared<RunArgs>();
  CLI::App* cmd = app.add_subcommand("run", "run one inference and write every output as .npy");
  a->model.add_to(*cmd);
  cmd->add_option("--input", a->inputs, "input .npy file(s), in graph-input order");
  cmd->add_option("--image", a->image, "build the input from this image instead of --input");
  cmd->add_option("--preprocess", a->family, "preprocessing preset for --image: yolov5, yolov6, yolov8, yolox, nanodet, fastestdet")
      ->default_val("yolov5");
  cmd->add_option("--save-input", a->save_input, "also write the preprocessed input tensor to this .npy");
  cmd->add_option("--out", a->out_dir, "output directory")->required();
  cmd->add_option("--threads", a->threads, "threads (0: all cores)");
  cmd->add_flag("--reference", a->reference, "run every op on the scalar reference kernels");
  return [a] { return run_run(*a); };
}

}  // namespace yq::cli
