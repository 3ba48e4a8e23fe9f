// SPDX-License-Identifier: Apache-2.0
#include "cli/model_runner.h"

namespace yq::cli {

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

  // YOLOX and YOLOv6 (3-level) exports share one output shape; the first inference settles it
  // when the family was detected rather than given.
  runtime::Engine* e = s.engine.get();
  auto refined = std::make_shared<bool>(!family.empty() || detect::find_spec_file(model_path).has_value());
  detect::ModelSpec* spec_ptr = &s.spec;
  s.run = [e, refined, spec_ptr](const Tensor& input, std::vector<Tensor>* outputs) -> Status {
    YQ_RETURN_IF_ERROR(e->run({&input, 1}, outputs));
    if (!*refined) {
      *refined = true;
      const std::string fam = detect::refine_family(spec_ptr->family, *outputs);
      if (fam != spec_ptr->family) {
        YQ_ASSIGN_OR_RETURN(*spec_ptr, detect::model_spec_preset(fam, spec_ptr->preprocess.width, spec_ptr->preprocess.height));
      }
    }
    return ok_status();
  };
  return s;
}

}  // namespace yq::cli
