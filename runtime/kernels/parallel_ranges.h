// SPDX-License-Identifier: Apache-2.0
// Internal to yoloq_runtime's kernels (int8, and the fp32 SiLU pass): one contiguous piece of a 1-d
// range per OpenMP thread.
#pragma once

#include <omp.h>

#include <algorithm>
#include <cstdint>

namespace yq::runtime {

// Runs fn(begin, end) over [0, n) in one piece per thread, each piece starting at a multiple of
// `align` (whole SIMD blocks); on one thread when `parallel` is false (too little work to pay for
// waking the team) or there are fewer items than threads.
template <class Fn>
void parallel_ranges(int64_t n, bool parallel, int64_t align, Fn fn) {
  const int threads = parallel ? omp_get_max_threads() : 1;
  if (threads <= 1 || n < threads || omp_in_parallel()) {
    fn(int64_t{0}, n);
    return;
  }
  const int64_t per = ((n + threads - 1) / threads + align - 1) / align * align;
#pragma omp parallel for schedule(static) num_threads(threads)
  for (int t = 0; t < threads; ++t) {
    const int64_t b = std::min<int64_t>(n, t * per), e = std::min<int64_t>(n, b + per);
    if (b < e) fn(b, e);
  }
}

}  // namespace yq::runtime
