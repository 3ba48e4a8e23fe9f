// SPDX-License-Identifier: Apache-2.0
// Activation memory planning: place buffers with known lifetimes in one arena so that buffers
// whose lifetimes overlap never share bytes, and buffers that are never live together may.
//
// Lifetimes are inclusive step ranges [first, last] over the execution order. Placement is
// greedy by size (largest first, each at the lowest aligned offset that does not collide with an
// already placed buffer live at the same time), the TFLite "greedy by size" strategy: simple and
// within a few percent of optimal on CNN chains.
#pragma once

#include <cstddef>
#include <span>
#include <vector>

namespace yq::runtime {

struct BufferRequest {
  size_t bytes = 0;
  int first = 0;  // first step that writes (or reads) the buffer
  int last = 0;   // last step that reads it; >= first
};

struct MemoryPlan {
  std::vector<size_t> offsets;  // one per request, each a multiple of the alignment
  size_t total_bytes = 0;       // arena size: max over buffers of offset + bytes (aligned)
};

constexpr size_t kArenaAlignment = 64;

MemoryPlan plan_memory(std::span<const BufferRequest> buffers, size_t alignment = kArenaAlignment);

// True when two requests are live at a common step.
inline bool lifetimes_overlap(const BufferRequest& a, const BufferRequest& b) {
  return a.first <= b.last && b.first <= a.last;
}

}  // namespace yq::runtime
