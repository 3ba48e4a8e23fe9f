// SPDX-License-Identifier: Apache-2.0
#include "eval/detector_session.h"

#include <filesystem>

namespace yq::eval {

Expected<DetectorSession> open_detector(const std::string& model_path, const runtime::LoadOptions& load,
                                        const runtime::EngineOptions& engine_opts, const std::string& family) {
  DetectorSession s;
  YQ_ASSIGN_OR_RETURN(s.model, runtime::load_model(model_path, load));
  const ir::Graph& g = s.model.graph;
  if (g.inputs().size() != 1) return invalid_argument(model_path + ": detectors must have one image input");
  const Shape& in = g.value(g.inputs()[0]).shape;
  if (in.size() != 4 || in[1] != 3) return invalid_argument(model_path + ": expected an input [N,3,H,W], found " + shape_str(in));
  std::vector<Shape> out_shapes;
  for (ir::ValueId v : g.outputs()) out_shapes.push_back(g.value(v).shape);
  auto spec = detect::resolve_model_spec(model_path, family, out_shapes, in);
  if (!spec.ok()) return spec.status().with_context(model_path);
  s.spec = *spec;
  auto engine = runtime::Engine::create(g, engine_opts);
  if (!engine.ok()) return engine.status().with_context(model_path);
  s.engine = std::move(engine).value();

  runtime::Engine* e = s.engine.get();  // owned by the session; stable across moves
  s.run = [e](const Tensor& input, std::vector<Tensor>* outputs) { return e->run({&input, 1}, outputs); };

  // YOLOX and 3-level YOLOv6 exports share one output shape. When the family was detected
  // rather than given, one inference on a blank input settles it: YOLOv6's column 4 is a
  // constant 1.0 whatever the image.
  if (family.empty() && !detect::find_spec_file(model_path)) {
    Tensor blank = Tensor::zeros(DType::kF32, in);
    std::vector<Tensor> outs;
    YQ_RETURN_IF_ERROR(s.run(blank, &outs).with_context(model_path));
    const std::string fam = detect::refine_family(s.spec.family, outs);
    if (fam != s.spec.family) {
      YQ_ASSIGN_OR_RETURN(s.spec, detect::model_spec_preset(fam, s.spec.preprocess.width, s.spec.preprocess.height));
    }
  }
  return s;
}

Expected<Dataset> load_dataset(const std::string& data, const std::string& split, const std::string& classes,
                                     const std::string& coco_json) {
  if (!coco_json.empty()) return load_coco_dataset(coco_json, data);
  namespace fs = std::filesystem;
  std::string class_map = classes;
  if (class_map.empty()) {
    // The class map usually sits at the dataset root, next to images/ and labels/.
    for (fs::path p = fs::path(data); !p.empty() && p != p.root_path(); p = p.parent_path()) {
      if (fs::exists(p / "coco80_classes.tsv")) {
        class_map = (p / "coco80_classes.tsv").string();
        break;
      }
    }
    if (class_map.empty()) return invalid_argument(data + ": no coco80_classes.tsv found; give --classes FILE");
  }
  return load_yolo_dataset(data, split, class_map);
}

}  // namespace yq::eval
