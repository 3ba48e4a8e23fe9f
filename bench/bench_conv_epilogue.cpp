// SPDX-License-Identifier: Apache-2.0
// What a 1x1 convolution's activation costs in oneDNN 2.6, INT8 against FP32, on YOLOX-Nano's
// layer shapes. The INT8/FP32 latency of SiLU models is bounded by this: the convolution shrinks
// with int8, the swish epilogue (an exp and a divide per output) does not.
//
//   build/bench/bench_conv_epilogue --benchmark_repetitions=5 --benchmark_report_aggregates_only=true
//
// Arguments: input channels, output channels, spatial size (H = W), activation (0 none, 1 relu,
// 2 swish, 3 logistic, 4 table), 1 for u8 source / s8 weights / s8 destination (else all f32).
// "table" (INT8 only) is the alternative to a swish epilogue: the conv writes its pre-activation
// as 8-bit codes (no activation) and a second pass maps every code through a 256-entry table
// (AVX-512 VBMI byte permutes), e.g. code -> round(silu(dequantized code) / s_y).
// Threads: OMP_NUM_THREADS (2 in the measurements quoted in the README).
#include <benchmark/benchmark.h>
#include <immintrin.h>
#include <omp.h>

#include <dnnl.hpp>
#include <unordered_map>
#include <vector>

namespace {

using dnnl::memory;
using tag = memory::format_tag;
using dt = memory::data_type;

// p[i] = table[p[i]] over n bytes, 64 at a time: two 128-entry permutes, the top bit picks one.
__attribute__((target("avx512f,avx512bw,avx512vbmi"))) void table_pass(uint8_t* p, int64_t n, const uint8_t* table) {
  const __m512i t0 = _mm512_loadu_si512(table), t1 = _mm512_loadu_si512(table + 64);
  const __m512i t2 = _mm512_loadu_si512(table + 128), t3 = _mm512_loadu_si512(table + 192);
#pragma omp parallel for schedule(static)
  for (int64_t i = 0; i < n / 64 * 64; i += 64) {
    const __m512i x = _mm512_loadu_si512(p + i);
    const __m512i lo = _mm512_permutex2var_epi8(t0, x, t1), hi = _mm512_permutex2var_epi8(t2, x, t3);
    _mm512_storeu_si512(p + i, _mm512_mask_blend_epi8(_mm512_movepi8_mask(x), lo, hi));
  }
  for (int64_t i = n / 64 * 64; i < n; ++i) p[i] = table[p[i]];
}

void BM_Conv1x1(benchmark::State& state) {
  const int64_t ic = state.range(0), oc = state.range(1), hw = state.range(2);
  const int act = static_cast<int>(state.range(3));
  const bool int8 = state.range(4) != 0;
  const bool table = act == 4;
  if (table && (!int8 || !__builtin_cpu_supports("avx512vbmi"))) {
    state.SkipWithError("table: INT8 on a CPU with AVX-512 VBMI only");
    return;
  }
  dnnl::engine eng(dnnl::engine::kind::cpu, 0);
  dnnl::stream strm(eng);
  const memory::desc src({1, ic, hw, hw}, int8 ? dt::u8 : dt::f32, int8 ? tag::nhwc : tag::any);
  const memory::desc wei({oc, ic, 1, 1}, int8 ? dt::s8 : dt::f32, tag::any);
  const memory::desc bia({oc}, dt::f32, tag::a);
  const memory::desc dst({1, oc, hw, hw}, table ? dt::u8 : int8 ? dt::s8 : dt::f32, int8 ? tag::nhwc : tag::any);
  dnnl::convolution_forward::desc d(dnnl::prop_kind::forward_inference, dnnl::algorithm::convolution_direct, src,
                                    wei, bia, dst, {1, 1}, {0, 0}, {0, 0});
  dnnl::primitive_attr attr;
  dnnl::post_ops po;
  const dnnl::algorithm algs[] = {dnnl::algorithm::undef, dnnl::algorithm::eltwise_relu,
                                  dnnl::algorithm::eltwise_swish, dnnl::algorithm::eltwise_logistic};
  if (act > 0 && !table) po.append_eltwise(1.f, algs[act], act == 2 ? 1.f : 0.f, 0.f);
  if (int8) {
    attr.set_output_scales(1 << 1, std::vector<float>(oc, 0.01f));
    po.append_eltwise(1.f, dnnl::algorithm::eltwise_linear, 10.f, 0.f);  // 1 / s_y, as yoloq's int8 dst
  }
  attr.set_post_ops(po);
  dnnl::convolution_forward::primitive_desc pd(d, attr, eng);
  memory s(pd.src_desc(), eng), w(pd.weights_desc(), eng), b(bia, eng), y(pd.dst_desc(), eng);
  // Inputs of a plausible range (zeroed memory would make every exp the same).
  if (int8) {
    auto* p = static_cast<uint8_t*>(s.get_data_handle());
    for (size_t i = 0; i < pd.src_desc().get_size(); ++i) p[i] = static_cast<uint8_t>(i * 37);
    auto* q = static_cast<int8_t*>(w.get_data_handle());
    for (size_t i = 0; i < pd.weights_desc().get_size(); ++i) q[i] = static_cast<int8_t>(i * 13);
  } else {
    auto* p = static_cast<float*>(s.get_data_handle());
    for (size_t i = 0; i < pd.src_desc().get_size() / 4; ++i) p[i] = static_cast<float>(i % 37) / 37.f - 0.5f;
    auto* q = static_cast<float*>(w.get_data_handle());
    for (size_t i = 0; i < pd.weights_desc().get_size() / 4; ++i) q[i] = static_cast<float>(i % 13) / 13.f - 0.5f;
  }
  std::unordered_map<int, memory> args{{DNNL_ARG_SRC, s}, {DNNL_ARG_WEIGHTS, w}, {DNNL_ARG_BIAS, b}, {DNNL_ARG_DST, y}};
  dnnl::convolution_forward conv(pd);
  uint8_t lut[256];
  for (int i = 0; i < 256; ++i) lut[i] = static_cast<uint8_t>(255 - i);
  auto* y_bytes = static_cast<uint8_t*>(y.get_data_handle());
  const int64_t y_size = static_cast<int64_t>(pd.dst_desc().get_size());
  for (auto _ : state) {
    conv.execute(strm, args);
    strm.wait();
    if (table) table_pass(y_bytes, y_size, lut);
  }
  state.SetLabel(pd.impl_info_str());
  state.counters["GOPS"] = benchmark::Counter(2.0 * ic * oc * hw * hw, benchmark::Counter::kIsIterationInvariantRate,
                                              benchmark::Counter::kIs1000);
}

// YOLOX-Nano's most frequent 1x1 shapes (channels, channels, size): 64x64 at 26 (15 layers),
// 64x64 at 52 (7), 32x32 at 52 (8), 128x128 at 13 (5).
void Shapes(benchmark::internal::Benchmark* b) {
  for (auto s : std::vector<std::vector<int64_t>>{{64, 64, 26}, {64, 64, 52}, {32, 32, 52}, {128, 128, 13}})
    for (int64_t act : {0, 1, 2, 3, 4})
      for (int64_t int8 : {1, 0})
        if (act != 4 || int8) b->Args({s[0], s[1], s[2], act, int8});
}

BENCHMARK(BM_Conv1x1)->Apply(Shapes)->ArgNames({"ic", "oc", "hw", "act", "int8"})->Unit(benchmark::kMicrosecond);

}  // namespace

BENCHMARK_MAIN();
