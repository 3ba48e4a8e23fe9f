// SPDX-License-Identifier: Apache-2.0
#include "base/threads.h"

#include <omp.h>

#include <cstdlib>

namespace yq {

void set_num_threads(int n) {
  if (n <= 0) {
    // "Default" honours OMP_NUM_THREADS (CI runs tests in parallel with one thread each, since
    // oversubscribed OpenMP barriers cost a scheduler time slice each), else every core.
    const char* env = std::getenv("OMP_NUM_THREADS");
    n = env && std::atoi(env) > 0 ? std::atoi(env) : omp_get_num_procs();
  }
  omp_set_num_threads(n);
}
int num_threads() { return omp_get_max_threads(); }

}  // namespace yq
