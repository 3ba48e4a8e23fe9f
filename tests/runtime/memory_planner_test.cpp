// SPDX-License-Identifier: Apache-2.0
#include "runtime/memory_planner.h"

#include <gtest/gtest.h>

#include <random>

namespace yq::runtime {
namespace {

void expect_no_overlap(const std::vector<BufferRequest>& reqs, const MemoryPlan& plan) {
  ASSERT_EQ(plan.offsets.size(), reqs.size());
  for (size_t i = 0; i < reqs.size(); ++i) {
    EXPECT_EQ(plan.offsets[i] % kArenaAlignment, 0u);
    EXPECT_LE(plan.offsets[i] + reqs[i].bytes, plan.total_bytes);
    for (size_t j = i + 1; j < reqs.size(); ++j) {
      if (!lifetimes_overlap(reqs[i], reqs[j])) continue;
      bool disjoint = plan.offsets[i] + reqs[i].bytes <= plan.offsets[j] ||
                      plan.offsets[j] + reqs[j].bytes <= plan.offsets[i];
      EXPECT_TRUE(disjoint) << "buffers " << i << " and " << j << " are live together and overlap";
    }
  }
}

TEST(MemoryPlanner, ChainReusesMemory) {
  // A chain: buffer i is written at step i and read at step i+1.
  std::vector<BufferRequest> reqs;
  size_t sum = 0;
  for (int i = 0; i < 10; ++i) {
    reqs.push_back({static_cast<size_t>(1000 * (10 - i)), i, i + 1});
    sum += reqs.back().bytes;
  }
  MemoryPlan plan = plan_memory(reqs);
  expect_no_overlap(reqs, plan);
  EXPECT_LT(plan.total_bytes, sum);
  // Only two neighbours are ever live together: the two largest neighbours bound the peak.
  EXPECT_LE(plan.total_bytes, 10048u + 9024u + 64u);
}

TEST(MemoryPlanner, RandomLifetimesNeverOverlap) {
  std::mt19937 rng(123);
  for (int trial = 0; trial < 50; ++trial) {
    std::vector<BufferRequest> reqs;
    int n = 1 + static_cast<int>(rng() % 60);
    for (int i = 0; i < n; ++i) {
      int first = static_cast<int>(rng() % 40);
      int last = first + static_cast<int>(rng() % 10);
      reqs.push_back({1 + rng() % 5000, first, last});
    }
    expect_no_overlap(reqs, plan_memory(reqs));
  }
}

TEST(MemoryPlanner, AllLiveTogetherNeedsTheSum) {
  std::vector<BufferRequest> reqs = {{100, 0, 5}, {200, 1, 5}, {64, 2, 3}};
  MemoryPlan plan = plan_memory(reqs);
  expect_no_overlap(reqs, plan);
  EXPECT_EQ(plan.total_bytes, 128u + 256u + 64u);
}

}  // namespace
}  // namespace yq::runtime
