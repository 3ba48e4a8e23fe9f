// SPDX-License-Identifier: Apache-2.0
// yoloq's own int8 data kernels (runtime/kernels/int8) at the sizes the shared models run them:
// the image quantize into the stem's NHWC input, and dense quantize / dequantize at island borders.
//
//   OMP_NUM_THREADS=2 build/bench/bench_int8_kernels --benchmark_repetitions=5 --benchmark_report_aggregates_only=true
//
// Arguments: channels, height = width.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <random>
#include <vector>

#include "runtime/kernels/int8/int8_kernels.h"

namespace {

using yq::runtime::int8::dequantize_dense;
using yq::runtime::int8::quantize_dense;
using yq::runtime::int8::quantize_nchw_to_nhwc;

std::vector<float> random_floats(int64_t n) {
  std::mt19937 rng(1);
  std::uniform_real_distribution<float> d(-4.f, 4.f);
  std::vector<float> x(n);
  for (float& v : x) v = d(rng);
  return x;
}

void ImageToNhwc(benchmark::State& state) {
  const int64_t c = state.range(0), hw = state.range(1) * state.range(1);
  const std::vector<float> x = random_floats(c * hw);
  std::vector<uint8_t> q(c * hw);
  for (auto _ : state) {
    quantize_nchw_to_nhwc(x.data(), q.data(), /*to_u8=*/true, 1, c, hw, 60.f);
    benchmark::DoNotOptimize(q.data());
  }
  state.SetBytesProcessed(state.iterations() * c * hw * 4);
}
BENCHMARK(ImageToNhwc)->Args({3, 416})->Args({3, 352})->Args({3, 640})->UseRealTime();

// The same image into a 3x3 stride-2 stem's patch rows (int8::quantize_nchw_to_im2col).
void ImageToIm2col(benchmark::State& state) {
  const int64_t c = state.range(0), h = state.range(1);
  const std::vector<float> x = random_floats(c * h * h);
  yq::runtime::int8::Im2col im;
  im.c = c;
  im.h = im.w = h;
  im.kh = im.kw = 3;
  im.stride_h = im.stride_w = 2;
  im.pad_t = im.pad_l = 1;
  im.oh = im.ow = (h + 2 - 3) / 2 + 1;
  im.k_pad = (c * 9 + 3) / 4 * 4;
  std::vector<uint8_t> q(im.oh * im.ow * im.k_pad);
  for (auto _ : state) {
    yq::runtime::int8::quantize_nchw_to_im2col(x.data(), q.data(), /*to_u8=*/true, im, 60.f, 0, im.oh);
    benchmark::DoNotOptimize(q.data());
  }
  state.SetBytesProcessed(state.iterations() * c * h * h * 4);
}
BENCHMARK(ImageToIm2col)->Args({3, 320})->Args({3, 416})->UseRealTime();

void Quantize(benchmark::State& state) {
  const int64_t n = state.range(0) * state.range(1) * state.range(1);
  const std::vector<float> x = random_floats(n);
  std::vector<uint8_t> q(n);
  for (auto _ : state) {
    quantize_dense(x.data(), q.data(), /*to_u8=*/false, n, 30.f);
    benchmark::DoNotOptimize(q.data());
  }
  state.SetBytesProcessed(state.iterations() * n * 4);
}
BENCHMARK(Quantize)->Args({12, 208})->Args({64, 52})->Args({24, 40})->UseRealTime();

void Dequantize(benchmark::State& state) {
  const int64_t n = state.range(0) * state.range(1) * state.range(1);
  std::vector<uint8_t> q(n, 7);
  std::vector<float> y(n);
  for (auto _ : state) {
    dequantize_dense(q.data(), /*from_u8=*/false, y.data(), n, 0.05f);
    benchmark::DoNotOptimize(y.data());
  }
  state.SetBytesProcessed(state.iterations() * n * 4);
}
BENCHMARK(Dequantize)->Args({12, 208})->Args({64, 52})->Args({24, 40})->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
