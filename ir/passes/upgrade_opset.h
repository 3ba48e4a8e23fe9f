// SPDX-License-Identifier: Apache-2.0
// upgrade_opset: rewrites the ops of an opset 11/12 graph whose signature or meaning changed at
// opset 13, so the graph can be written as opset 13 (needed for per-axis DequantizeLinear).
//
//   Split(split=[..])            -> Split(x, split) with an i64 constant input
//   Squeeze/Unsqueeze(axes=[..]) -> Squeeze/Unsqueeze(x, axes) with an i64 constant input
//   Softmax (pre-13: flatten to 2-D at `axis`, default 1, softmax over the flattened tail)
//       axis is the last dim  -> the same Softmax with axis = -1 (identical meaning at 13)
//       otherwise             -> Reshape to [prod(d[:axis]), prod(d[axis:])] -> Softmax(axis=1)
//                                -> Reshape back (needs a known input shape)
// Clip (input-based since 11), Pad, Slice, Resize need nothing. The importer marks pre-13 Softmax
// nodes with the internal attribute yq_opset_lt13; match() looks for it.
//
// upgrade_opset_to_13() runs the pass and sets the default-domain opset to 13; graphs already at
// >= 13 are left alone; < 11 (or an Upsample, which opset 13 no longer has) is kUnsupported.
#pragma once

#include "ir/passes/pass.h"

namespace yq::ir {

class UpgradeOpset final : public Pass {
 public:
  const char* name() const override { return "upgrade_opset"; }
  bool match(const Graph& g, NodeId n) const override;
  Expected<bool> apply(Graph& g, NodeId n) override;
};

Status upgrade_opset_to_13(Graph& g);

}  // namespace yq::ir
