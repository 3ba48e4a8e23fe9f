// SPDX-License-Identifier: Apache-2.0
#include "ir/passes/fuse_conv_add.h"

#include <optional>

#include "ir/passes/pattern_utils.h"

namespace yq::ir {

namespace {

struct AddMatch {
  NodeId conv = kNoNode;
  ValueId residual = kNoValue;
};

std::optional<AddMatch> find_match(const Graph& g, NodeId id) {
  const Node& add = g.node(id);
  if (add.op_type != "Add" || !add.domain.empty() || add.inputs().size() != 2) return std::nullopt;
  for (int ci = 0; ci < 2; ++ci) {
    const ValueId c = add.input(ci);
    const ValueId r = add.input(1 - ci);
    if (c == kNoValue || r == kNoValue || c == r) continue;
    const Node* conv = g.producer_of(c);
    if (conv == nullptr || conv->output(0) != c) continue;
    if (!is_onnx_conv(*conv) && !(is_fused_conv(*conv) && !has_residual(*conv))) continue;
    if (!only_consumer_is(g, c, id)) continue;
    const Value& cv = g.value(c);
    const Value& rv = g.value(r);
    // Shapes must be known and identical: a broadcast residual cannot be a sum post-op.
    if (!cv.shape_known || !rv.shape_known || cv.shape != rv.shape || cv.dtype != rv.dtype) continue;
    return AddMatch{conv->id, r};
  }
  return std::nullopt;
}

}  // namespace

bool FuseConvAdd::match(const Graph& g, NodeId n) const { return find_match(g, n).has_value(); }

Expected<bool> FuseConvAdd::apply(Graph& g, NodeId n) {
  const auto m = find_match(g, n);
  if (!m) return false;
  const ValueId y = g.node(n).output(0);
  make_fused_conv(g, m->conv);
  // R is input 3; an absent bias keeps its slot as kNoValue.
  while (g.node(m->conv).inputs().size() < kFusedConvResidualInput) {
    g.set_node_input(m->conv, g.node(m->conv).inputs().size(), kNoValue);
  }
  // Remove the Add first: r's consumer list then holds the conv instead of the Add.
  replace_output_with(g, m->conv, {n}, y);
  g.set_node_input(m->conv, kFusedConvResidualInput, m->residual);
  return true;
}

}  // namespace yq::ir
