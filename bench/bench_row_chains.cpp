// SPDX-License-Identifier: Apache-2.0
// Row chains on against off (EngineOptions::row_chains) on one model, run by run: two engines in
// one process, alternating A B B A, so a slow moment of a shared machine hits both alike. Prints
// the median latency of each and the median of the per-round ratios. A plain main rather than
// Google Benchmark, whose fixtures run one configuration to the end before the next.
//
//   build/bench/bench_row_chains MODEL.onnx [rounds=400] [threads=2]
//
// With PROFILE=1 in the environment both engines profile their steps and each chain's time is
// printed against its steps' time alone (profiling adds a little to every step). FEATURE=name
// turns another EngineOptions switch off and on instead (row chains stay on): im2col_stems,
// fuse_pointwise_tables, fuse_gate_quantize.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "base/threads.h"
#include "runtime/engine.h"
#include "runtime/load_model.h"

namespace {

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  using namespace yq;
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s MODEL.onnx [rounds=400] [threads=2]\n", argv[0]);
    return 2;
  }
  const int rounds = argc > 2 ? std::atoi(argv[2]) : 400;
  const int threads = argc > 3 ? std::atoi(argv[3]) : 2;
  set_num_threads(threads);
  auto loaded = runtime::load_model(argv[1]);
  if (!loaded.ok()) {
    std::fprintf(stderr, "%s\n", loaded.status().message().c_str());
    return 2;
  }
  const std::string feature = std::getenv("FEATURE") ? std::getenv("FEATURE") : "row_chains";
  std::unique_ptr<runtime::Engine> engines[2];
  for (int k = 0; k < 2; ++k) {
    runtime::EngineOptions eo;
    eo.threads = threads;
    bool* flag = feature == "row_chains"              ? &eo.row_chains
                 : feature == "im2col_stems"          ? &eo.im2col_stems
                 : feature == "fuse_pointwise_tables" ? &eo.fuse_pointwise_tables
                 : feature == "fuse_gate_quantize"    ? &eo.fuse_gate_quantize
                                                      : nullptr;
    if (flag == nullptr) {
      std::fprintf(stderr, "FEATURE=%s: not an option this bench switches\n", feature.c_str());
      return 2;
    }
    *flag = k == 1;
    eo.profile = std::getenv("PROFILE") != nullptr;
    auto e = runtime::Engine::create(loaded->graph, eo);
    if (!e.ok()) {
      std::fprintf(stderr, "%s\n", e.status().message().c_str());
      return 2;
    }
    engines[k] = std::move(*e);
  }
  std::mt19937 rng(0);
  std::uniform_real_distribution<float> dist(0.f, 1.f);
  std::vector<Tensor> inputs;
  for (ir::ValueId v : loaded->graph.inputs()) {
    Tensor t = Tensor::empty(loaded->graph.value(v).dtype, loaded->graph.value(v).shape);
    if (t.dtype() == DType::kF32)
      for (int64_t i = 0; i < t.numel(); ++i) t.data<float>()[i] = dist(rng);
    inputs.push_back(std::move(t));
  }
  std::vector<Tensor> outputs;
  auto run = [&](int k) {
    const auto t0 = std::chrono::steady_clock::now();
    if (Status s = engines[k]->run(inputs, &outputs); !s.ok()) {
      std::fprintf(stderr, "%s\n", s.message().c_str());
      std::exit(2);
    }
    return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  };
  for (int i = 0; i < 20; ++i) run(i % 2);
  std::vector<double> off, on, ratio;
  for (int r = 0; r < rounds; ++r) {
    const double a1 = run(0), b1 = run(1), b2 = run(1), a2 = run(0);
    off.push_back((a1 + a2) / 2);
    on.push_back((b1 + b2) / 2);
    ratio.push_back((b1 + b2) / (a1 + a2));
  }
  std::printf("%s, %d threads, %d rounds: %s off %.3f ms, on %.3f ms, on/off per-round median %.3f\n", argv[1],
              threads, rounds, feature.c_str(), median(off), median(on), median(ratio));
  if (std::getenv("PROFILE")) {  // per chain: its steps' time alone (off) against the chain's (on)
    const auto& off_k = engines[0]->stats().kernels;
    const auto& on_k = engines[1]->stats().kernels;
    std::vector<double> alone, chained;
    for (size_t i = 0; i < on_k.size() && i < off_k.size(); ++i) {
      const int c = on_k[i].row_chain;
      if (c < 0) continue;
      if (static_cast<int>(alone.size()) <= c) alone.resize(c + 1), chained.resize(c + 1);
      alone[c] += off_k[i].total_ms / std::max<int64_t>(off_k[i].calls, 1);
      chained[c] += on_k[i].total_ms / std::max<int64_t>(on_k[i].calls, 1);
    }
    for (size_t c = 0; c < alone.size(); ++c)
      std::printf("chain %2zu: alone %7.1f us, chained %7.1f us, %.2f\n", c, alone[c] * 1e3, chained[c] * 1e3,
                  chained[c] / alone[c]);
  }
  return 0;
}
