// SPDX-License-Identifier: Apache-2.0
// `yoloq bench MODEL`: latency distribution (median, min, p90), throughput and memory of the
// engine on a synthetic input. Timing is wall clock around Engine::run, after warm-up. With
// --against OTHER: both models in one process, alternating, and the latency ratio.
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <memory>
#include <random>

#include "base/threads.h"
#include "cli/commands.h"
#include "cli/common_options.h"
#include "cli/latency.h"
#include "runtime/engine.h"

namespace yq::cli {
namespace {

struct BenchArgs {
  ModelOptions model;
  int threads = 0;
  int iters = 50;
  int warmup = 5;
  bool profile = false;
  bool reference = false;
  bool no_row_chains = false;
  std::string against;
  int rounds = 10;
};

// A model planned on an engine, with its synthetic input: values in [0, 1) (latency does not
// depend on them for these models).
struct Bench {
  runtime::LoadedModel loaded;
  std::unique_ptr<runtime::Engine> engine;
  std::vector<Tensor> inputs;
  std::vector<Tensor> outputs;

  Expected<double> run_ms() {
    const auto t0 = std::chrono::steady_clock::now();
    YQ_RETURN_IF_ERROR(engine->run(inputs, &outputs));
    return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  }
};

Expected<Bench> make_bench(const BenchArgs& a, const std::string& path) {
  YQ_ASSIGN_OR_RETURN(runtime::LoadOptions load_opts, a.model.to_load_options());
  Bench b;
  YQ_ASSIGN_OR_RETURN(b.loaded, runtime::load_model(path, load_opts));
  const ir::Graph& g = b.loaded.graph;
  runtime::EngineOptions eo;
  eo.threads = a.threads;
  eo.profile = a.profile;
  eo.use_onednn = !a.reference;
  eo.row_chains = !a.no_row_chains;
  auto engine = runtime::Engine::create(g, eo);
  if (!engine.ok()) return engine.status().with_context(path);
  b.engine = std::move(*engine);
  std::mt19937 rng(0);
  std::uniform_real_distribution<float> dist(0.f, 1.f);
  for (ir::ValueId v : g.inputs()) {
    Tensor t = Tensor::empty(g.value(v).dtype, g.value(v).shape);
    if (t.dtype() == DType::kF32) {
      for (float& x : std::span<float>(t.data<float>(), t.numel())) x = dist(rng);
    }
    b.inputs.push_back(std::move(t));
  }
  return b;
}

// `yoloq bench MODEL --against OTHER`: both engines in one process, timed by compare_latency.
int run_against(const BenchArgs& a, Bench& self) {
  auto other = make_bench(a, a.against);
  if (!other.ok()) return report_error(other.status());
  auto c = compare_latency([&] { return self.run_ms(); }, [&] { return other->run_ms(); }, a.rounds, a.iters,
                           a.warmup);
  if (!c.ok()) return report_error(c.status());
  nlohmann::json j = {{"model", a.model.model},
                      {"threads", num_threads()},
                      {"rounds", a.rounds},
                      {"iters", a.iters},
                      {"median_ms", c->a_ms},
                      {"min_ms", c->a_min_ms},
                      {"against", {{"model", a.against}, {"median_ms", c->b_ms}, {"min_ms", c->b_min_ms}}},
                      {"ratio", c->ratio},
                      {"ratio_p10", c->ratio_p10},
                      {"ratio_p90", c->ratio_p90}};
  if (a.model.json) {
    print_json(j);
    return 0;
  }
  std::printf("%s against %s: %d threads, %d rounds of 4 x %d runs\n", a.model.model.c_str(), a.against.c_str(),
              num_threads(), a.rounds, a.iters);
  std::printf("latency    median %.3f ms against %.3f ms\n", c->a_ms, c->b_ms);
  std::printf("ratio      %.3f (rounds p10 %.3f, p90 %.3f)\n", c->ratio, c->ratio_p10, c->ratio_p90);
  return 0;
}

int run_bench(const BenchArgs& a) {
  set_num_threads(a.threads);
  auto bench = make_bench(a, a.model.model);
  if (!bench.ok()) return report_error(bench.status());
  if (!a.against.empty()) return run_against(a, *bench);
  const ir::Graph& g = bench->loaded.graph;
  for (int i = 0; i < a.warmup; ++i)
    if (auto ms = bench->run_ms(); !ms.ok()) return report_error(ms.status());
  std::vector<double> ms;
  for (int i = 0; i < a.iters; ++i) {
    auto t = bench->run_ms();
    if (!t.ok()) return report_error(t.status());
    ms.push_back(*t);
  }
  const int64_t batch = g.inputs().empty() || g.value(g.inputs()[0]).shape.empty() ? 1 : g.value(g.inputs()[0]).shape[0];
  const double median = quantile(ms, 0.5);
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  const runtime::EngineStats& es = bench->engine->stats();

  nlohmann::json j = {{"model", a.model.model},
                      {"runtime", a.reference ? "yoloq-reference" : "yoloq"},
                      {"threads", num_threads()},
                      {"batch", batch},
                      {"iters", a.iters},
                      {"median_ms", median},
                      {"min_ms", *std::min_element(ms.begin(), ms.end())},
                      {"p90_ms", quantile(ms, 0.9)},
                      {"throughput_ips", 1000.0 * static_cast<double>(batch) / median},
                      {"peak_activation_bytes", es.peak_activation_bytes},
                      {"weight_bytes", es.weight_bytes},
                      {"max_rss_bytes", static_cast<int64_t>(ru.ru_maxrss) * 1024},
                      {"reorders", es.reorders}};
  if (a.profile) {
    std::vector<runtime::KernelInfo> k = es.kernels;
    std::sort(k.begin(), k.end(), [](const auto& x, const auto& y) { return x.total_ms > y.total_ms; });
    nlohmann::json prof = nlohmann::json::array();
    for (const auto& ki : k)
      prof.push_back({{"node", ki.node},
                      {"op", ki.op},
                      {"impl", ki.impl},
                      {"row_chain", ki.row_chain},
                      {"ms_per_run", ki.calls ? ki.total_ms / ki.calls : 0.0}});
    j["profile"] = prof;
  }
  if (a.model.json) {
    print_json(j);
    return 0;
  }
  std::printf("%s: batch %lld, %d threads, %d iters\n", a.model.model.c_str(), static_cast<long long>(batch), num_threads(), a.iters);
  std::printf("latency    median %.3f ms  min %.3f ms  p90 %.3f ms\n", median, j["min_ms"].get<double>(), j["p90_ms"].get<double>());
  std::printf("throughput %.1f images/s\n", j["throughput_ips"].get<double>());
  std::printf("memory     peak activations %.2f MiB, weights %.2f MiB, max RSS %.1f MiB, %d reorders\n",
              es.peak_activation_bytes / 1048576.0, es.weight_bytes / 1048576.0, ru.ru_maxrss / 1024.0, es.reorders);
  if (a.profile) {
    std::printf("top kernels (ms per run):\n");
    for (size_t i = 0; i < std::min<size_t>(15, j["profile"].size()); ++i) {
      const auto& p = j["profile"][i];
      std::printf("  %8.3f  %-14s %-22s %s\n", p["ms_per_run"].get<double>(), p["op"].get<std::string>().c_str(),
                  p["impl"].get<std::string>().c_str(), p["node"].get<std::string>().c_str());
    }
  }
  return 0;
}

}  // namespace

Runner add_bench_command(CLI::App& app) {
  auto a = std::make_shared<BenchArgs>();
  CLI::App* cmd = app.add_subcommand("bench", "measure latency, throughput and memory");
  a->model.add_to(*cmd);
  cmd->add_option("--threads", a->threads, "threads (0: all cores)");
  cmd->add_option("--iters", a->iters, "timed iterations")->check(CLI::Range(1, 100000));
  cmd->add_option("--warmup", a->warmup, "untimed warm-up iterations")->check(CLI::Range(0, 10000));
  cmd->add_flag("--profile", a->profile, "per-kernel times");
  cmd->add_flag("--reference", a->reference, "run every op on the scalar reference kernels");
  cmd->add_flag("--no-row-chains", a->no_row_chains,
                "INT8: run every step over all threads, none in row chains (for A/B timing)");
  cmd->add_option("--against", a->against,
                  "a second model to time in the same process, alternating blocks of --iters runs; "
                  "reports both medians and this model's over it (e.g. INT8 over FP32)");
  cmd->add_option("--rounds", a->rounds, "--against: rounds of 4 blocks")->check(CLI::Range(1, 10000));
  return [a] { return run_bench(*a); };
}

}  // namespace yq::cli
