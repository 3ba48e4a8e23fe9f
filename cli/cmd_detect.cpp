// SPDX-License-Identifier: Apache-2.0
// `yoloq detect MODEL IMAGES... -o OUTDIR`: runs the detector and writes each image with labelled
// boxes (score >= --conf) to OUTDIR, plus one JSON line per image with --json.
#include <cstdio>
#include <filesystem>
#include <memory>
#include <opencv2/imgcodecs.hpp>

#include "base/file_io.h"
#include "base/log.h"
#include "base/threads.h"
#include "cli/commands.h"
#include "cli/common_options.h"
#include "eval/detector_session.h"
#include "detect/draw.h"
#include "detect/postprocess.h"

namespace yq::cli {
namespace {

struct DetectArgs {
  ModelOptions model;
  std::vector<std::string> images;
  std::string out_dir;
  std::string family;
  float conf = 0.25f;
  int threads = 0;
};

int run_detect(const DetectArgs& a) {
  set_num_threads(a.threads);
  auto load_opts = a.model.to_load_options();
  if (!load_opts.ok()) return report_error(load_opts.status());
  runtime::EngineOptions eo;
  eo.threads = a.threads;
  auto session = eval::open_detector(a.model.model, *load_opts, eo, a.family);
  if (!session.ok()) return report_error(session.status());
  if (Status s = ensure_folder(a.out_dir); !s.ok()) return report_error(s);

  nlohmann::json results = nlohmann::json::array();
  int failed = 0;
  std::vector<Tensor> outputs;
  for (const std::string& path : a.images) {
    cv::Mat image = cv::imread(path, cv::IMREAD_COLOR);
    if (image.empty()) {
      YQ_LOG(Warning) << path << ": cannot decode image; skipped";
      ++failed;
      continue;
    }
    detect::PreprocessedImage pre = detect::preprocess(image, session->spec.preprocess);
    if (Status s = session->run(pre.tensor, &outputs); !s.ok()) return report_error(s.with_context(path));
    auto dets = detect::detect_objects(session->spec, outputs, pre.transform);
    if (!dets.ok()) return report_error(dets.status().with_context(path));
    std::vector<detect::Detection> shown;
    for (const auto& d : *dets) {
      if (d.score >= a.conf) shown.push_back(d);
    }
    detect::draw_detections(image, shown);
    const std::string out = (std::filesystem::path(a.out_dir) / std::filesystem::path(path).filename()).string();
    if (Status s = detect::save_image(out, image); !s.ok()) return report_error(s);
    nlohmann::json boxes = nlohmann::json::array();
    for (const auto& d : shown) {
      boxes.push_back({{"class", detect::coco80_class_names().at(static_cast<size_t>(d.class_id))},
                       {"class_id", d.class_id},
                       {"score", d.score},
                       {"box", {d.box.x1, d.box.y1, d.box.x2, d.box.y2}}});
    }
    results.push_back({{"image", path}, {"output", out}, {"detections", boxes}});
    if (!a.model.json) std::printf("%s: %zu objects -> %s\n", path.c_str(), shown.size(), out.c_str());
  }
  if (a.model.json) print_json({{"model", a.model.model}, {"family", session->spec.family}, {"images", results}, {"skipped", failed}});
  return results.empty() ? report_error(invalid_argument("no image could be read")) : 0;
}

}  // namespace

Runner add_detect_command(CLI::App& app) {
  auto a = std::make_shared<DetectArgs>();
  CLI::App* cmd = app.add_subcommand("detect", "draw labelled boxes on images");
  a->model.add_to(*cmd);
  cmd->add_option("images", a->images, "image files")->required();
  cmd->add_option("-o,--out", a->out_dir, "output directory")->required();
  cmd->add_option("--family", a->family, "model family if it cannot be detected from the outputs");
  cmd->add_option("--conf", a->conf, "minimum score to draw")->check(CLI::Range(0.0, 1.0));
  cmd->add_option("--threads", a->threads, "threads (0: all cores)");
  return [a] { return run_detect(*a); };
}

}  // namespace yq::cli
