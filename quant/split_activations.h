// SPDX-License-Identifier: Apache-2.0
// Moves costly activations out of quantized convolutions, so the INT8 engine can run them as a
// table over 8-bit codes instead of as oneDNN's float epilogue (QuantPolicy::table_activations
// says which, and why).
//
//   FusedConv(X, W, B; act) -> y        becomes        FusedConv(X, W, B) -> t -> Activation(act) -> y
//
// The pre-activation `t` is a new value named after y ("<y>_preact"); y keeps its name, shape
// and consumers. plan_quantization() then gives `t` its own QParams (quant/policy.h), so SiLU's
// Sigmoid and Mul still read one quantized tensor and are never quantized apart.
//
// A conv with a residual (y = act(conv) + R, ir/fused_ops.md) splits one step further:
//
//   FusedConv(X, W, B, R; act) -> y    becomes    FusedConv(X, W, B) -> t -> Activation(act) -> a -> Add(a, R) -> y
//
// with `a` left float: the INT8 engine runs the table and the add as one pass over the codes of
// t and R (int8::TableAdd), instead of oneDNN's swish + sum epilogue, which costs 3-4x the conv
// (YOLOX-Nano: its 7 residual convs 0.36 -> 0.19 ms in profiles, conv plus pass; the whole
// model 3% faster in an A/B of 6 rounds; mAP 33.02 -> 33.03).
//
// Only convs the policy quantizes, with an activation in table_activations (and no channel
// scale), whose output the policy quantizes: an activation feeding float (the head) gains
// nothing from a table and would only add a rounding.
//
// Run split_activations() on the FP32 graph before calibration (so `t` is observed); after a
// stricter policy (layers kept float) has been applied, refuse_float_activations() folds each
// Activation whose input stayed float back into its conv (and a residual Add after it), so float
// layers keep one fused kernel.
#pragma once

#include "base/status.h"
#include "ir/graph.h"
#include <map>
#include <string>
#include <vector>

#include "quant/policy.h"

namespace yq::quant {

// Returns how many convs were split. Errors: planning errors (e.g. an unknown keep_float name).
Expected<int> split_activations(ir::Graph& g, const QuantPolicy& policy);

// Returns how many Activation nodes were folded back.
Expected<int> refuse_float_activations(ir::Graph& g);

// The block output of a conv: its output, or, when that is a pre-activation split off by
// split_activations() (read only by one Activation), the Activation's output, or the residual
// Add's after a split residual conv (ir::residual_add_after): the value that exists in every
// configuration (a float layer's conv writes it again after refusing; the Activation's own output
// does not survive the refusing of a residual conv, whose sum follows it in the epilogue).
ir::ValueId block_output(const ir::Graph& g, const ir::Node& conv);

// The convs whose table activation `policy` (table_activations set) plans, most damaging first:
// the table's extra error after the activation per value (calib::activation_mse_error at the
// pre-activation's calibrated threshold) over the rounding noise the block output has anyway
// (s_y^2 / 12). Computed from the statistics alone, no inference: the ranking the --max-drop
// search keeps fused first when every table does not fit the budget. Ties keep the plan's order.
Expected<std::vector<std::string>> rank_table_damage(const ir::Graph& g, const QuantPolicy& policy,
                                                     const std::map<ir::ValueId, TensorStats>& stats,
                                                     const CalibOptions& calib, GroupQParamsCache* cache = nullptr);

}  // namespace yq::quant
