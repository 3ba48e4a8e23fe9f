// SPDX-License-Identifier: Apache-2.0
// unify_scales: makes the values a scale-preserving node ties together carry ONE QParams, so
// int8 paths through it need no re-quantization (ir/quantized_ir.md). The IR-pass form of the
// grouping rule of quant/policy.h; it also repairs imported QDQ graphs whose exporter gave a
// Concat's inputs different scales.
//
// Fires on a node whose op type is in the pass's scale-preserving set (Resize only with mode
// "nearest") when at least two of its tied values (a Concat: every input and the output; the
// others: input 0 and every output) carry per-tensor QParams that differ. Values without QParams
// are left alone (they were chosen to stay float). apply() sets every QParams-carrying tied value
// to the widest of them:
//   * same dtype, range and zero point: the largest scale (its range contains every other one);
//   * otherwise (asymmetric params): the union of the represented ranges
//     [(qmin - zp)·s, (qmax - zp)·s], re-expressed as scale = (hi - lo) / (qmax - qmin),
//     zp = clamp(round(qmin - lo / scale)).
// Mixing i8 and u8 QParams on one node is kUnsupported naming the node. Widening only grows
// ranges, so repeated application terminates; unify_scales() runs it to a fixpoint.
//
// Not in the default FP32 pipeline: the quantize flow (and the QDQ importer) call it.
#pragma once

#include <set>
#include <string>

#include "ir/passes/pass.h"

namespace yq::ir {

class UnifyScales final : public Pass {
 public:
  UnifyScales();
  explicit UnifyScales(std::set<std::string> scale_preserving_ops);
  const char* name() const override { return "unify_scales"; }
  bool match(const Graph& g, NodeId n) const override;
  Expected<bool> apply(Graph& g, NodeId n) override;

 private:
  std::set<std::string> ops_;
};

// Runs UnifyScales until nothing changes (shared values chain Concats together). Returns the
// number of applications.
Expected<int> unify_scales(Graph& g);

}  // namespace yq::ir
