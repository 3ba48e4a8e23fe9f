// SPDX-License-Identifier: Apache-2.0
// One knob for intra-op parallelism. oneDNN (Debian's build) and yoloq's own kernels both use
// OpenMP, so a single OpenMP thread count governs everything.
#pragma once

namespace yq {

void set_num_threads(int n);  // n <= 0: OMP_NUM_THREADS if set, else all cores
int num_threads();

}  // namespace yq
