// SPDX-License-Identifier: Apache-2.0
// `yoloq val MODEL --data DIR`: COCO mAP of a detector on a labelled dataset, in the spirit of
// Ultralytics' `yolo val`: progress bar, the 12-line COCO table, optional per-class AP, mean
// latency split into preprocess / inference / postprocess, COCO-format detections on request.
#include <cstdio>
#include <filesystem>
#include <memory>

#include "base/threads.h"
#include "cli/commands.h"
#include "cli/common_options.h"
#include "eval/detector_session.h"
#include "eval/dataset.h"

namespace yq::cli {
namespace {

struct ValArgs {
  ModelOptions model;
  std::string data;
  std::string split = "val2017";
  std::string classes;
  std::string coco_json;
  std::string family;
  std::string save_json;
  int threads = 0;
  int max_images = 0;
  bool per_class = false;
  bool reference = false;
};



nlohmann::json coco_json_stats(const eval::CocoResult& r) {
  nlohmann::json j;
  for (size_t i = 0; i < r.stats.size(); ++i) j[eval::kCocoStatNames[i]] = r.stats[i] * 100.0;
  return j;
}

int run_val(const ValArgs& a) {
  set_num_threads(a.threads);
  auto load_opts = a.model.to_load_options();
  if (!load_opts.ok()) return report_error(load_opts.status());
  runtime::EngineOptions eo;
  eo.threads = a.threads;
  eo.use_onednn = !a.reference;
  auto session = eval::open_detector(a.model.model, *load_opts, eo, a.family);
  if (!session.ok()) return report_error(session.status());
  auto ds = eval::load_dataset(a.data, a.split, a.classes, a.coco_json);
  if (!ds.ok()) return report_error(ds.status());
  eval::ValidateOptions vo;
  vo.max_images = a.max_images;
  vo.progress = !a.model.json;
  auto r = eval::validate(session->run, session->spec, *ds, vo);
  if (!r.ok()) return report_error(r.status());
  if (!a.save_json.empty()) {
    if (Status s = eval::write_coco_detections_json(a.save_json, r->detections); !s.ok()) return report_error(s);
  }
  if (a.model.json) {
    nlohmann::json j = {{"model", a.model.model},
                        {"family", session->spec.family},
                        {"data", a.data},
                        {"images", r->images},
                        {"skipped", r->skipped.size()},
                        {"detections", r->detections.size()},
                        {"coco", coco_json_stats(r->coco)},
                        {"latency_ms", {{"preprocess", r->preprocess_ms}, {"inference", r->inference_ms}, {"postprocess", r->postprocess_ms}}}};
    if (a.per_class) {
      nlohmann::json pc;
      for (const auto& c : ds->categories) {
        if (auto it = r->coco.per_class_ap.find(c.id); it != r->coco.per_class_ap.end()) pc[c.name] = it->second * 100.0;
      }
      j["per_class_ap"] = pc;
    }
    if (!a.save_json.empty()) j["saved_json"] = a.save_json;
    print_json(j);
    return 0;
  }
  std::printf("%s (%s): %lld images, %zu skipped, %zu detections\n", a.model.model.c_str(), session->spec.family.c_str(),
              static_cast<long long>(r->images), r->skipped.size(), r->detections.size());
  for (const auto& s : r->skipped) std::printf("  skipped %s: %s\n", s.path.c_str(), s.reason.c_str());
  std::printf("%s", eval::format_coco_summary(r->coco).c_str());
  if (a.per_class) {
    std::printf("per-class AP@[.50:.95]:\n");
    for (const auto& c : ds->categories) {
      if (auto it = r->coco.per_class_ap.find(c.id); it != r->coco.per_class_ap.end()) {
        std::printf("  %-16s %6.2f\n", c.name.c_str(), it->second * 100.0);
      }
    }
  }
  std::printf("speed: %.2f ms preprocess, %.2f ms inference, %.2f ms postprocess per image\n", r->preprocess_ms,
              r->inference_ms, r->postprocess_ms);
  return 0;
}

}  // namespace

Runner add_val_command(CLI::App& app) {
  auto a = std::make_shared<ValArgs>();
  CLI::App* cmd = app.add_subcommand("val", "COCO mAP of a detector on a labelled dataset");
  a->model.add_to(*cmd);
  cmd->add_option("--data", a->data, "dataset root (images/<split>, labels/<split>) or an images/<split> dir")->required();
  cmd->add_option("--split", a->split, "split under images/ and labels/")->default_val("val2017");
  cmd->add_option("--classes", a->classes, "class map TSV (default: coco80_classes.tsv found above --data)");
  cmd->add_option("--coco-json", a->coco_json, "COCO instances JSON instead of YOLO labels (--data is the image dir)");
  cmd->add_option("--family", a->family, "model family if it cannot be detected from the outputs");
  cmd->add_option("--save-json", a->save_json, "write COCO-format detections to this file");
  cmd->add_option("--threads", a->threads, "threads (0: all cores)");
  cmd->add_option("--max-images", a->max_images, "evaluate only the first N images");
  cmd->add_flag("--per-class", a->per_class, "print AP per class");
  cmd->add_flag("--reference", a->reference, "run every op on the scalar reference kernels");
  return [a] { return run_val(*a); };
}

}  // namespace yq::cli
