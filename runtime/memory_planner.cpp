// SPDX-License-Identifier: Apache-2.0
#include "runtime/memory_planner.h"

#include <algorithm>
#include <numeric>

namespace yq::runtime {

namespace {
size_t align_up(size_t v, size_t a) { return (v + a - 1) / a * a; }
}  // namespace

MemoryPlan plan_memory(std::span<const BufferRequest> buffers, size_t alignment) {
  MemoryPlan plan;
  plan.offsets.assign(buffers.size(), 0);
  std::vector<size_t> order(buffers.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return buffers[a].bytes > buffers[b].bytes; });
  std::vector<size_t> placed;
  std::vector<std::pair<size_t, size_t>> busy;  // [offset, end) of placed buffers live at the same time
  for (size_t i : order) {
    const BufferRequest& r = buffers[i];
    const size_t size = align_up(std::max<size_t>(r.bytes, 1), alignment);
    busy.clear();
    for (size_t j : placed)
      if (lifetimes_overlap(r, buffers[j]))
        busy.push_back({plan.offsets[j], plan.offsets[j] + align_up(std::max<size_t>(buffers[j].bytes, 1), alignment)});
    std::sort(busy.begin(), busy.end());
    size_t offset = 0;
    for (const auto& [lo, hi] : busy) {
      if (lo >= offset + size) break;  // the gap before this busy range fits
      offset = std::max(offset, hi);
    }
    plan.offsets[i] = offset;
    plan.total_bytes = std::max(plan.total_bytes, offset + size);
    placed.push_back(i);
  }
  return plan;
}

}  // namespace yq::runtime
