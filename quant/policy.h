// SPDX-License-Identifier: Apache-2.0
// The detector-aware quantization policy: which values of a (BN-folded, fused) graph get QParams,
// following ir/quantized_ir.md ("Where qparams go").
//
// Selecting is kept apart from rewriting (ORT qdq_selectors style):
//   plan_quantization()  reads the graph and returns a QuantPlan (what to calibrate, which values
//                        must share one QParams, which weights to quantize per channel);
//   apply_quantization() turns gathered statistics into QParams and sets Value::qparams.
//
// Rules (a node is "quantized" when its op type is in compute_ops and its name is not in
// keep_float, it is not a depthwise conv (unless quantize_depthwise), and its weight is a
// constant f32 tensor):
//  * the activation input X (input 0) of every quantized compute node, and its residual R
//    (FusedConv input 3), are read quantized; its weight (input 1) is quantized per output channel
//    (axis 0; ConvTranspose's weight [Cin, Cout/g, kh, kw] on axis 1); the bias stays f32;
//  * scale-preserving nodes (MaxPool, Resize with mode "nearest", Slice, Split, Reshape, Flatten,
//    Transpose, Squeeze, Unsqueeze, Concat, Gather) tie their data input and outputs into one group that
//    shares one QParams (a Concat ties all of its inputs and its output);
//  * a group gets QParams when some member is read quantized by a quantized compute node; so a
//    compute node's output is quantized exactly when, after propagation, some consumer reads it
//    quantized;
//  * a yq Activation node (quant/split_activations.h) with an activation in table_activations,
//    whose output is quantized (or read only by a residual Add whose output is: then the Add's
//    other input is read quantized too), reads its input quantized when that input is written by
//    a quantized compute node not in fused_activation_layers (its own group);
//  * the head decode is every non-compute node from which no path reaches a compute op (it lies
//    after the last compute op on all paths to the outputs). With keep_head_float its nodes tie
//    nothing, so the values they read and write stay float (YOLOX's final Concat, score sigmoids).
//  * with equalize_depthwise, a quantized depthwise conv whose input qualifies
//    (quant/equalize_depthwise.h: equalization_site) and that the mode selects has that input
//    equalized; a table Activation writing it then reads its input float (it folds back).
// keep_float limits: keep_float only stops a node from asking for quantized inputs; a value it
// reads that another quantized node also reads still carries QParams (one representation: every
// consumer of a Value with qparams reads its fake-quantized form).
//
// Errors: a keep_float name that matches no live node is kInvalidArgument naming it (a typo must
// not silently quantize the layer); apply_quantization without statistics for a planned value is
// kInvalidArgument naming the value.
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "base/status.h"
#include "ir/graph.h"
#include "quant/calibrator.h"
#include "quant/tensor_stats.h"
#include "runtime/kernels/ref/activation.h"

namespace yq::quant {

// The activations worth a table: their oneDNN epilogues cost as much as the int8 conv.
inline const std::set<std::string> kTableActivations = {"silu", "hardswish"};

// Depthwise-input equalization (quant/equalize_depthwise.h): which quantized depthwise convs get
// per-channel input scales through their producer's channel scale.
enum class EqualizeDepthwise {
  kOff,
  kLossy,  // those the channel-loss rule would keep float (keep_channel_loss_float fills equalized_layers)
  kAll,    // every eligible one
};

struct QuantPolicy {
  std::set<std::string> compute_ops = {"Conv", "FusedConv", "ConvTranspose"};
  std::set<std::string> scale_preserving_ops = {"MaxPool", "Resize",  "Slice",     "Split",     "Reshape",
                                                "Flatten", "Transpose", "Squeeze", "Unsqueeze", "Concat",
                                                "Gather"};
  bool keep_head_float = true;
  std::set<std::string> keep_float;  // node names left in float (sensitivity analysis fills it)
  bool asymmetric_u8 = false;        // activations as asymmetric u8 over [min, max] instead of symmetric i8
  // The channel-loss rule (quant/channel_loss.h): after calibration, a layer whose quantized input
  // would round a whole channel to zero stays float. Read by keep_channel_loss_float(), which
  // needs statistics and so cannot run inside plan_quantization().
  bool float_on_channel_loss = true;
  // Depthwise convolutions (group > 1, one input channel per group) stay float unless this is set.
  // Why: (1) accuracy: a depthwise output channel sees one input channel, so the per-tensor scale
  // of its input (set by the widest channel) is the whole error budget of the narrow channels;
  // on the shared models keeping them float takes YOLOv6Lite-S's full-INT8 drop from 19.1 to 0.07
  // mAP (MSE calibrator, 128 val images); (2) speed: oneDNN 2.6's int8 depthwise kernel runs no
  // faster than its FP32 one on this CPU with a swish epilogue (YOLOX-Nano profile: 0.042 vs
  // 0.044 ms on its largest), so the cost is only the f32 boundary around them. Without the
  // epilogue (table_activations) it is 3x faster (Conv_44: 0.16 ms f32 -> 0.05 ms int8), and with
  // u8 zero points (CalibOptions::zero_points) YOLOX-Nano keeps its accuracy: --max-drop tries
  // that combination first. TensorRT users who want them INT8 set it.
  bool quantize_depthwise = false;
  // Per-group calibrator: a group with a member named here is calibrated with that method instead
  // of the run's CalibOptions::method (quant/layer_calibrator.h fills it: least layer-output error).
  std::map<std::string, CalibMethod> calib_methods;
  // FusedConv activations that split_activations() moves out of the conv into a yq Activation node
  // over a quantized pre-activation, which the INT8 engine runs as a 256-entry table. Why: oneDNN
  // 2.6's swish/hardswish epilogue costs as much as the int8 conv itself (bench_conv_epilogue:
  // 64->64 1x1 at 52x52, int8 15.1 us plain, 35.0 us with swish, 19.7 us conv + table pass).
  // The price is one more rounding, of the pre-activation: measured 0.4-0.7 mAP on coco128
  // (YOLOX-Nano per-layer calibrators 0.11 -> 0.52 drop, YOLOv5n minmax -0.20 -> 0.49), for
  // YOLOX-Nano INT8/FP32 0.78 -> 0.70 (depthwise float). So it is opt-in (--table-activations,
  // kTableActivations); empty: every activation stays fused.
  std::set<std::string> table_activations;
  // Convs whose activation stays in the conv's epilogue although table_activations names it: the
  // layers where the table's extra rounding hurts most (the --max-drop search fills it from
  // rank_table_damage(), quant/split_activations.h).
  std::set<std::string> fused_activation_layers;
  // Depthwise-input equalization: off by default (the --max-drop search's fastest configuration
  // turns it on). equalized_layers names depthwise convs equalized whatever the mode (but kOff).
  EqualizeDepthwise equalize_depthwise = EqualizeDepthwise::kOff;
  std::set<std::string> equalized_layers;
};

// A Conv whose weight [O, 1, kh, kw] with group > 1: one input channel per output group.
bool is_depthwise_conv(const ir::Graph& g, const ir::Node& n);

struct WeightPlan {
  ir::ValueId value = ir::kNoValue;  // a constant f32 weight
  int axis = 0;                      // per-channel axis (output channels)
};

struct QuantPlan {
  // Activation groups: every member of a group gets the same QParams. Members sorted by id, groups
  // sorted by their first member, so the plan is deterministic.
  std::vector<std::vector<ir::ValueId>> groups;
  std::vector<ir::ValueId> activations;  // all group members, sorted: the values to calibrate
  std::vector<WeightPlan> weights;       // sorted by value id
  std::vector<ir::NodeId> compute_nodes; // the quantized compute nodes, in id order
  std::set<ir::NodeId> head_nodes;       // head decode nodes kept float (empty unless keep_head_float)
  bool asymmetric_u8 = false;
  // Per group (same order as `groups`): the calibrator QuantPolicy::calib_methods names for it.
  std::vector<std::optional<CalibMethod>> group_methods;
  // Per group: the activation of the yq Activation node that reads it as a table input (then
  // calibrated activation-aware, CalibOptions::activation), with its name; nullopt otherwise.
  std::vector<std::optional<std::pair<std::string, runtime::ref::Activation>>> group_activations;
  // Per group: the depthwise conv whose input (the group's only member, or that and the pieces of
  // its Concat) is equalized, calibrated symmetric s8 and rewritten by apply_quantization
  // (quant/equalize_depthwise.h); kNoNode otherwise.
  std::vector<ir::NodeId> group_equalized;
};

Expected<QuantPlan> plan_quantization(const ir::Graph& g, const QuantPolicy& policy);

// A memo of activation QParams per sharing group, for one statistics map: the same group
// (members) under the same CalibOptions always calibrates to the same QParams, so sweeps that
// rebuild many plans from one calibration (sensitivity, the --max-drop search, the calibrator
// choice) calibrate each group once. Entropy calibration of a group costs milliseconds, times
// ~100 groups, times every configuration tried. Use one cache with one statistics map only.
class GroupQParamsCache {
 public:
  const ir::QParams* find(const std::vector<ir::ValueId>& group, const CalibOptions& opts) const;
  void insert(const std::vector<ir::ValueId>& group, const CalibOptions& opts, ir::QParams qp);
  size_t size() const { return memo_.size(); }

 private:
  using Key = std::tuple<std::vector<ir::ValueId>, int, double, bool, bool, bool, std::string>;
  static Key key(const std::vector<ir::ValueId>& group, const CalibOptions& opts);
  std::map<Key, ir::QParams> memo_;
};

// The QParams apply_quantization gives `group` (its members' merged statistics, calibrated with
// `opts`), through `cache` when given. Errors: a member without statistics (named), calibration.
Expected<ir::QParams> calibrate_group(const ir::Graph& g, const std::vector<ir::ValueId>& group,
                                      const std::map<ir::ValueId, TensorStats>& stats, const CalibOptions& opts,
                                      GroupQParamsCache* cache = nullptr);

// The CalibOptions group `i` of `plan` is calibrated with: `base`, asymmetric when the plan says so,
// with the group's own method when it has one.
CalibOptions group_calib_options(const QuantPlan& plan, size_t i, const CalibOptions& base);
// Per group: merges the members' statistics (so the range covers all of them), calibrates once
// and sets the same QParams on every member; per-channel weight QParams via qmath. With
// plan.asymmetric_u8 the activations are calibrated with symmetric = false. Then equalizes the
// planned depthwise inputs (plan.group_equalized; rewrites producer and depthwise weights).
Status apply_quantization(ir::Graph& g, const QuantPlan& plan, const std::map<ir::ValueId, TensorStats>& stats,
                          const CalibOptions& opts, GroupQParamsCache* cache = nullptr);

}  // namespace yq::quant
