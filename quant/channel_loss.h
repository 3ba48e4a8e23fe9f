// SPDX-License-Identifier: Apache-2.0
// The channel-loss rule: a compute layer whose quantized activation input would lose a whole
// channel stays float.
//
// Why: activations are quantized per tensor (the TensorRT convention), so one scale s (T/127 for
// s8, T/255 for u8) serves every channel. A channel whose values all satisfy |x| < s/2 rounds to
// exactly zero (the zero point): the layer no longer sees it at all. That matters when the
// layer's weights make the channel count: a channel c is lost when 0 < max|x_c| < s/2 and, for
// some output o, max|x_c| * sum_k |W[o,c,k]| (the most the channel adds to o) exceeds
// (s / sqrt(12)) * ||W[o,:,:,:]||_2, the standard deviation of the error that rounding every
// input (uniform, variance s^2/12) puts on o anyway. So a near-dead ReLU channel (max 1e-6 LSB) is
// not lost, a depthwise conv (o sees only its own channel) loses any channel with a real signal,
// and a dense conv loses a narrow channel only when BN folding gave it outsized weights.
// Measured: YOLOX-Nano's stem output spans channel maxima from 0.15 to 120; with depthwise convs
// INT8 (--quantize-depthwise) the first one turned the narrow channels into constants and full
// INT8 lost 7 to 33 mAP depending on the calibrator, and keeping that conv float (what this rule
// does) took the percentile drop from 24.2 to 0.8. The statistic is the per-channel max |x|
// gathered in calibration (TensorStats::channel_abs_max); the rule needs no validation data and
// no sweep, so plain PTQ applies it.
//
// A channel that is exactly zero everywhere (max |x| == 0) is not lost (zero is representable).
// Values without per-channel statistics (observed through TensorStats::observe), ConvTranspose
// layers and weights that are not constant 4-D f32 tensors are not judged.
#pragma once
#include <map>
#include <string>
#include <vector>

#include "base/status.h"
#include "ir/graph.h"
#include "quant/calibrator.h"
#include "quant/policy.h"
#include "quant/tensor_stats.h"

namespace yq::quant {

// The evidence for one layer kept float: the narrowest lost channel of its input.
struct ChannelLoss {
  std::string layer;        // compute node name
  std::string value;        // its activation input X
  int64_t channel = 0;      // the widest lost channel (the clearest evidence)
  int64_t lost_channels = 0;  // how many channels are lost
  int64_t channels = 0;
  float channel_abs_max = 0.f;
  float scale = 0.f;        // the per-tensor scale X would get
  bool equalized = false;   // its input equalized instead (EqualizeDepthwise::kLossy), not kept float
};

// "Conv_44: input 'input.7' channel 14 of 16 (max |x| 0.153) rounds to zero at scale 0.524 (2 such channels)".
std::string describe_channel_loss(const ChannelLoss& loss);

// `policy` with the layers the rule keeps float added to keep_float, or, with
// EqualizeDepthwise::kLossy, the depthwise convs whose input can be equalized
// (quant/equalize_depthwise.h) added to equalized_layers instead (unchanged when
// policy.float_on_channel_loss is false). Plans like plan_quantization and calibrates each
// sharing group like apply_quantization (nothing is written to `g`); repeats with the new float
// layers until none is added, since a float layer can shrink a sharing group and change its scale.
// `found` (optional) receives the evidence, sorted by layer name; `cache` (optional) memoizes
// group calibrations (quant/policy.h). Errors: those of
// plan_quantization and calibrate_activation, a planned value without statistics.
Expected<QuantPolicy> keep_channel_loss_float(const ir::Graph& g, const QuantPolicy& policy,
                                              const std::map<ir::ValueId, TensorStats>& stats,
                                              const CalibOptions& calib, std::vector<ChannelLoss>* found = nullptr,
                                              GroupQParamsCache* cache = nullptr);

}  // namespace yq::quant
