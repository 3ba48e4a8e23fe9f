// SPDX-License-Identifier: Apache-2.0
#include "ir/passes/pipeline.h"

#include <iostream>
#include <memory>
#include <sstream>

#include "ir/passes/absorb_qdq.h"
#include "ir/passes/eliminate_dead_nodes.h"
#include "ir/passes/fold_batchnorm.h"
#include "ir/passes/fold_channel_shuffle.h"
#include "ir/passes/fold_constants.h"
#include "ir/passes/fold_pad_into_pool.h"
#include "ir/passes/fold_space_to_depth_conv.h"
#include "ir/passes/fuse_conv_act.h"
#include "ir/passes/fuse_conv_add.h"
#include "ir/passes/fuse_conv_channel_scale.h"
#include "ir/passes/hoist_activation_to_conv.h"
#include "ir/passes/merge_repvgg_branches.h"
#include "ir/passes/pass.h"
#include "ir/passes/push_transpose_through_concat.h"
#include "ir/passes/remove_identity.h"
#include "ir/printer.h"

namespace yq::ir {

namespace {

// The order matters:
//  * absorb_qdq first: constant folding would evaluate DQ(initializer) and drop its scale, and a
//    fusion across a Q/DQ pair would change the quantized semantics (ir/quantized_ir.md);
//  * constants and dead code go first, so later matchers see the real dataflow (and
//    fold_channel_shuffle sees constant Reshape shapes);
//  * fold_space_to_depth_conv after fold_batchnorm (the stem conv's BN must be in its weights)
//    and before fuse_conv_act, which would turn the Conv into a FusedConv it does not match;
//  * fold_batchnorm before merge_repvgg_branches, whose branches must be plain Convs with bias;
//  * merge_repvgg_branches before fuse_conv_add, which would otherwise take the 1x1 branch's Add
//    as a residual;
//  * hoist_activation_to_conv right before fuse_conv_act, which then fuses the hoisted activation;
//  * fuse_conv_act before fuse_conv_add: FusedConv applies its activation before R, so the Add
//    of `x + act(conv)` can fuse only once the activation is inside the conv;
//  * fuse_conv_channel_scale after fuse_conv_act (S comes after the activation) and before
//    fuse_conv_add (R after S).
std::vector<std::unique_ptr<Pass>> make_passes(const PipelineOptions& opts) {
  std::vector<std::unique_ptr<Pass>> p;
  p.push_back(std::make_unique<AbsorbQdq>());
  p.push_back(std::make_unique<FoldConstants>());
  p.push_back(std::make_unique<EliminateDeadNodes>());
  p.push_back(std::make_unique<RemoveIdentity>());
  p.push_back(std::make_unique<PushTransposeThroughConcat>());
  p.push_back(std::make_unique<FoldPadIntoPool>());
  p.push_back(std::make_unique<FoldChannelShuffle>());
  p.push_back(std::make_unique<FoldBatchnorm>());
  p.push_back(std::make_unique<FoldSpaceToDepthConv>());
  p.push_back(std::make_unique<MergeRepvggBranches>());
  if (opts.fuse_activations) {
    p.push_back(std::make_unique<HoistActivationToConv>());
    p.push_back(std::make_unique<FuseConvAct>());
    p.push_back(std::make_unique<FuseConvChannelScale>());
  }
  if (opts.fuse_residual_add) p.push_back(std::make_unique<FuseConvAdd>());
  return p;
}

void dump(const Graph& g, const char* pass_name) {
  std::cerr << "=== after " << pass_name << ": " << g.live_node_count() << " nodes ===\n" << print_graph(g);
}

}  // namespace

int PipelineReport::applied(const std::string& pass) const {
  for (const PassStats& s : passes) {
    if (s.pass == pass) return s.applied;
  }
  return 0;
}

std::string PipelineReport::summary() const {
  std::ostringstream os;
  os << "optimize_graph: " << nodes_before << " -> " << nodes_after << " nodes in " << iterations << " round(s)"
     << (converged ? "" : " (stopped at max_iterations)") << "\n";
  for (const PassStats& s : passes) os << "  " << s.pass << ": " << s.applied << "\n";
  return os.str();
}

Expected<PipelineReport> optimize_graph(Graph& g, const PipelineOptions& opts) {
  if (opts.max_iterations < 1) {
    return invalid_argument("optimize_graph: max_iterations must be >= 1, got " + std::to_string(opts.max_iterations));
  }
  auto passes = make_passes(opts);
  PipelineReport report;
  report.nodes_before = g.live_node_count();
  for (const auto& p : passes) report.passes.push_back({p->name(), 0});

  while (report.iterations < opts.max_iterations) {
    ++report.iterations;
    bool changed = false;
    for (size_t i = 0; i < passes.size(); ++i) {
      YQ_ASSIGN_OR_RETURN(const int count, run_pass_once(g, *passes[i]));
      report.passes[i].applied += count;
      changed |= count > 0;
      if (opts.verify_each) {
        Status s = g.verify();
        if (!s.ok()) return s.with_context(std::string("after pass ") + passes[i]->name());
      }
      if (opts.dump_ir && count > 0) dump(g, passes[i]->name());
    }
    if (!changed) {
      report.converged = true;
      break;
    }
  }
  report.values_swept = g.sweep_values();
  report.nodes_after = g.live_node_count();
  return report;
}

}  // namespace yq::ir
