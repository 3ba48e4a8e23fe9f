// SPDX-License-Identifier: Apache-2.0
// The small graph the channel-loss and equalization tests quantize (a stem conv feeding a
// depthwise conv), and statistics with planted per-channel ranges.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "ir/passes/pattern_utils.h"
#include "quant/policy.h"
#include "quant/tensor_stats.h"
#include "tests/ir_passes/pass_test_util.h"

namespace yq::quant::testing {

// x -> stem conv (4 ch, optionally with an activation) -> s -> depthwise conv -> d -> conv -> y
struct StemDepthwise {
  ir::testing::GraphBuilder b{11};
  ir::ValueId x, s, d, y;
  ir::NodeId stem, dw, pw;
  explicit StemDepthwise(const char* act = "") {
    x = b.input("x", {1, 3, 8, 8});
    s = b.conv(x, 4, 3, 1, 1);
    stem = b.last;
    if (*act) {
      ir::make_fused_conv(b.g, stem);
      b.g.node(stem).attrs.set("activation", std::string(act));
    }
    d = b.conv(s, 4, 3, 1, 1, /*group=*/4);
    dw = b.last;
    y = b.conv(d, 2, 1);
    pw = b.last;
    b.output(y);
  }
  std::string name(ir::NodeId n) const { return b.g.node(n).name; }
};

// Stats for every planned value: [4 channels x 4 elements], channel c spanning +-cmax[c]
// ({1, 2, 3, 4} except for `planted`).
inline std::map<ir::ValueId, TensorStats> stats_with(const QuantPlan& plan, ir::ValueId planted,
                                                     std::vector<float> planted_max) {
  std::map<ir::ValueId, TensorStats> stats;
  for (ir::ValueId v : plan.activations) {
    std::vector<float> cmax = v == planted ? planted_max : std::vector<float>{1.f, 2.f, 3.f, 4.f};
    std::vector<float> xs;
    for (float m : cmax) xs.insert(xs.end(), {-m, 0.5f * m, m, 0.f});
    stats[v].observe_channels(xs, static_cast<int64_t>(cmax.size()), 4);
  }
  return stats;
}

}  // namespace yq::quant::testing
