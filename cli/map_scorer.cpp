// SPDX-License-Identifier: Apache-2.0
#include "cli/map_scorer.h"

#include "eval/validate.h"

namespace yq::cli {

Expected<double> engine_map(runtime::Engine& engine, const detect::ModelSpec& spec, const eval::Dataset& dataset,
                            int max_images) {
  runtime::Engine* e = &engine;
  eval::ModelFn fn = [e](const Tensor& in, std::vector<Tensor>* outs) { return e->run({&in, 1}, outs); };
  eval::ValidateOptions vo;
  vo.max_images = max_images;
  vo.progress = false;
  YQ_ASSIGN_OR_RETURN(eval::ValidateResult r, eval::validate(fn, spec, dataset, vo));
  return r.coco.stats[0] * 100.0;
}

quant::GraphMapFn graph_map_fn(const detect::ModelSpec& spec, const eval::Dataset* dataset, int max_images,
                               int threads, bool int8_engine) {
  return [spec, dataset, max_images, threads, int8_engine](const ir::Graph& g) -> Expected<double> {
    runtime::EngineOptions eo;
    eo.threads = threads;
    eo.use_onednn = int8_engine;
    YQ_ASSIGN_OR_RETURN(auto e, runtime::Engine::create(g, eo));
    return engine_map(*e, spec, *dataset, max_images);
  };
}

}  // namespace yq::cli
