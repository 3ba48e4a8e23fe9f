// SPDX-License-Identifier: Apache-2.0
// COCO evaluation speed on synthetic data shaped like a detector's output on COCO val2017:
// N images × ~7 GT boxes in 80 categories, 100 detections per image (a jittered hit per GT plus
// random false positives). Target: 5,000 images × 100 detections under 2 s on one core.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <random>
#include <vector>

#include "eval/coco_eval.h"

namespace {

using yq::eval::DtBox;
using yq::eval::GtBox;

struct Synthetic {
  std::vector<int64_t> image_ids;
  std::vector<int> category_ids;
  std::vector<GtBox> gts;
  std::vector<DtBox> dts;
};

Synthetic make_synthetic(int num_images, int dets_per_image, uint32_t seed) {
  Synthetic s;
  std::mt19937 rng(seed);
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  std::uniform_int_distribution<int> num_gt(0, 14);
  std::uniform_int_distribution<int> cat(0, 79);
  for (int k = 0; k < 80; ++k) s.category_ids.push_back(k + 1 + k / 10);  // sparse ids like COCO's
  for (int i = 0; i < num_images; ++i) {
    const int64_t img = 1000 + 7 * i;
    s.image_ids.push_back(img);
    const double width = 640.0;
    const double height = 480.0;
    int made = 0;
    const int n = num_gt(rng);
    for (int g = 0; g < n; ++g) {
      const double w = 4 + unit(rng) * unit(rng) * 400;  // skewed toward small, like COCO
      const double h = 4 + unit(rng) * unit(rng) * 300;
      const double x = unit(rng) * (width - w);
      const double y = unit(rng) * (height - h);
      const int c = s.category_ids[cat(rng)];
      s.gts.push_back({img, c, {x, y, w, h}, w * h, unit(rng) < 0.01});
      if (made < dets_per_image && unit(rng) < 0.8) {
        const double jx = (unit(rng) - 0.5) * 0.2 * w;
        const double jy = (unit(rng) - 0.5) * 0.2 * h;
        s.dts.push_back({img,
                         c,
                         {x + jx, y + jy, w * (0.9 + 0.2 * unit(rng)), h * (0.9 + 0.2 * unit(rng))},
                         0.3 + 0.7 * unit(rng)});
        ++made;
      }
    }
    for (; made < dets_per_image; ++made) {
      const double w = 4 + unit(rng) * 300;
      const double h = 4 + unit(rng) * 200;
      s.dts.push_back({img,
                       s.category_ids[cat(rng)],
                       {unit(rng) * (width - w), unit(rng) * (height - h), w, h},
                       0.001 + 0.5 * unit(rng) * unit(rng)});
    }
  }
  return s;
}

void BM_CocoEval(benchmark::State& state) {
  const Synthetic s = make_synthetic(static_cast<int>(state.range(0)), static_cast<int>(state.range(1)), 12345);
  for (auto _ : state) {
    auto r = yq::eval::evaluate_coco(s.image_ids, s.category_ids, s.gts, s.dts);
    if (!r.ok()) {
      state.SkipWithError(r.status().message().c_str());
      break;
    }
    benchmark::DoNotOptimize(r->stats[0]);
  }
  state.counters["images"] = static_cast<double>(state.range(0));
  state.counters["detections"] = static_cast<double>(s.dts.size());
  state.counters["gt"] = static_cast<double>(s.gts.size());
}
BENCHMARK(BM_CocoEval)->Args({500, 100})->Args({5000, 100})->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
