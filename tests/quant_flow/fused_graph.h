// SPDX-License-Identifier: Apache-2.0
// The small graph the quant_flow tests quantize: one FusedConv block feeding a plain Conv.
#pragma once

#include <string>

#include "ir/passes/pattern_utils.h"
#include "tests/ir_passes/pass_test_util.h"

namespace yq::quant::testing {

// x -> FusedConv(act [, residual x]) -> y -> Conv -> out
struct FusedGraph {
  ir::testing::GraphBuilder b{11};
  ir::ValueId x, y, out;
  ir::NodeId fused;
  explicit FusedGraph(const std::string& act, float alpha = 0.f, float beta = 0.f, bool residual = false) {
    x = b.input("x", {1, 4, 6, 6});
    y = b.conv(x, 4, 3, 1, 1);
    fused = b.last;
    ir::make_fused_conv(b.g, fused);
    ir::Node& n = b.g.node(fused);
    n.attrs.set("activation", act);
    n.attrs.set("activation_alpha", alpha);
    n.attrs.set("activation_beta", beta);
    if (residual) b.g.set_node_input(fused, ir::kFusedConvResidualInput, x);
    out = b.conv(y, 2, 1);
    b.output(out);
    b.g.opsets[""] = 13;
  }
};

}  // namespace yq::quant::testing
