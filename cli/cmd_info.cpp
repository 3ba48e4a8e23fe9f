// SPDX-License-Identifier: Apache-2.0
// `yoloq info MODEL`: inputs, outputs, op histogram, parameters, GFLOPs, and what the optimiser
// and the engine make of it (fused nodes, kernels, reorders, activation memory).
#include <cstdio>
#include <memory>

#include "cli/commands.h"
#include "cli/common_options.h"
#include "runtime/engine.h"

namespace yq::cli {
namespace {

struct InfoArgs {
  ModelOptions model;
  bool compiled = false;
};

// Conversions the planner inserted: where the compiled graph leaves its preferred layout or
// leaves/re-enters int8.
bool is_conversion(const runtime::KernelInfo& k) {
  return k.op == "Reorder" || k.op == "Quantize" || k.op == "Dequantize" || k.op == "Requantize" || k.op == "FakeQuant";
}

nlohmann::json values_json(const ir::Graph& g, const std::vector<ir::ValueId>& ids) {
  nlohmann::json arr = nlohmann::json::array();
  for (ir::ValueId v : ids) {
    arr.push_back({{"name", g.value(v).name}, {"shape", shape_json(g.value(v).shape)}, {"dtype", dtype_name(g.value(v).dtype)}});
  }
  return arr;
}

int run_info(const InfoArgs& a) {
  auto load_opts = a.model.to_load_options();
  if (!load_opts.ok()) return report_error(load_opts.status());
  auto loaded = runtime::load_model(a.model.model, *load_opts);
  if (!loaded.ok()) return report_error(loaded.status());
  const ir::Graph& g = loaded->graph;
  const ir::GraphStats optimized = ir::compute_graph_stats(g);
  auto engine = runtime::Engine::create(g);
  if (!engine.ok()) return report_error(engine.status().with_context(a.model.model));
  const runtime::EngineStats& es = (*engine)->stats();

  nlohmann::json j;
  j["model"] = a.model.model;
  j["producer"] = g.producer_name;
  j["opset"] = g.opsets.count("") ? g.opsets.at("") : 0;
  j["inputs"] = values_json(g, g.inputs());
  j["outputs"] = values_json(g, g.outputs());
  j["op_histogram"] = loaded->original.op_histogram;
  j["parameters"] = loaded->original.parameters;
  j["gflops"] = loaded->original.gflops();
  j["unsupported_ops"] = nlohmann::json::array();  // loading refuses a model with any
  j["optimized"] = {{"nodes", g.live_node_count()},
                    {"op_histogram", optimized.op_histogram},
                    {"onednn_kernels", es.onednn_kernels},
                    {"ref_kernels", es.ref_kernels},
                    {"reorders", es.reorders},
                    {"peak_activation_bytes", es.peak_activation_bytes},
                    {"weight_bytes", es.weight_bytes},
                    {"int8_kernels", es.int8_kernels},
                    {"quantize_ops", es.quantize_ops},
                    {"dequantize_ops", es.dequantize_ops},
                    {"requantize_ops", es.requantize_ops}};
  if (a.compiled) {
    nlohmann::json kernels = nlohmann::json::array();
    for (const auto& k : es.kernels) {
      kernels.push_back({{"node", k.node},
                         {"op", k.op},
                         {"impl", k.impl},
                         {"conversion", is_conversion(k)},
                         {"row_chain", k.row_chain}});
    }
    j["compiled"] = kernels;
  }
  if (a.model.json) {
    print_json(j);
    return 0;
  }
  std::printf("model       %s (%s, opset %d)\n", a.model.model.c_str(), g.producer_name.c_str(), j["opset"].get<int>());
  for (ir::ValueId v : g.inputs()) {
    std::printf("input       %s %s %s\n", g.value(v).name.c_str(), shape_str(g.value(v).shape).c_str(), dtype_name(g.value(v).dtype));
  }
  for (ir::ValueId v : g.outputs()) {
    std::printf("output      %s %s %s\n", g.value(v).name.c_str(), shape_str(g.value(v).shape).c_str(), dtype_name(g.value(v).dtype));
  }
  std::printf("parameters  %lld (%.2f M)\n", static_cast<long long>(loaded->original.parameters), loaded->original.parameters * 1e-6);
  std::printf("compute     %.3f GFLOPs\n", loaded->original.gflops());
  std::printf("ops         ");
  for (const auto& [op, n] : loaded->original.op_histogram) std::printf("%s %d  ", op.c_str(), n);
  std::printf("\noptimized   %zu nodes: ", g.live_node_count());
  for (const auto& [op, n] : optimized.op_histogram) std::printf("%s %d  ", op.c_str(), n);
  std::printf("\nengine      %d oneDNN kernels, %d reference kernels, %d reorders, peak activations %.2f MiB, weights %.2f MiB\n",
              es.onednn_kernels, es.ref_kernels, es.reorders, es.peak_activation_bytes / 1048576.0, es.weight_bytes / 1048576.0);
  if (es.int8_kernels > 0 || es.quantize_ops > 0) {
    std::printf("int8        %d int8 kernels, %d quantize, %d dequantize, %d requantize\n", es.int8_kernels,
                es.quantize_ops, es.dequantize_ops, es.requantize_ops);
  }
  std::printf("unsupported none\n");
  if (a.compiled) {
    std::printf("compiled graph (conversions marked *, row chains numbered):\n");
    for (const auto& k : es.kernels) {
      const std::string chain = k.row_chain >= 0 ? std::to_string(k.row_chain) : "";
      std::printf("  %s %3s %-12s %-40s %s\n", is_conversion(k) ? "*" : " ", chain.c_str(), k.op.c_str(),
                  k.impl.c_str(), k.node.c_str());
    }
  }
  return 0;
}

}  // namespace

Runner add_info_command(CLI::App& app) {
  auto args = std::make_shared<InfoArgs>();
  CLI::App* cmd = app.add_subcommand("info", "describe a model: inputs, outputs, ops, parameters, GFLOPs");
  args->model.add_to(*cmd);
  cmd->add_flag("--compiled", args->compiled, "list every planned kernel and the reorders/(de|re)quantizations left");
  return [args] { return run_info(*args); };
}

}  // namespace yq::cli
