// SPDX-License-Identifier: Apache-2.0
#include "cli/quant_options.h"

namespace yq::cli {

void QuantOptions::add_to(CLI::App& cmd, const std::string& method_help) {
  method_option = cmd.add_option("--method", method, method_help)->default_val("entropy");
  cmd.add_option("--percentile", percentile, "percentile for --method percentile")->check(CLI::Range(50.0, 100.0));
  cmd.add_flag("--signed-only", signed_only,
               "s8 for every activation (TensorRT's convention); by default tensors never below 0 are u8");
  cmd.add_flag("--quantize-depthwise", quantize_depthwise,
               "quantize depthwise convs too (float by default: the most fragile, and no faster in INT8 here unless "
               "with --table-activations)");
  cmd.add_flag("--allow-channel-loss", allow_channel_loss,
               "quantize layers even when their input would round a whole channel to zero");
  cmd.add_flag("--table-activations", table_activations,
               "run SiLU/HardSwish after INT8 convs as a 256-entry table over the quantized pre-activation "
               "instead of in the conv's epilogue: faster, one more rounding (about 0.5 mAP on YOLOX-Nano)");
  cmd.add_flag("--zero-points", zero_points,
               "u8 with a zero point for tensors barely below 0 (SiLU outputs) and for table inputs: twice "
               "the resolution of s8 (not in TensorRT caches, which are symmetric)");
  cmd.add_option("--equalize-depthwise", equalize_depthwise,
                 "per-channel input ranges for INT8 depthwise convs (needs --quantize-depthwise), folded into the "
                 "producer conv: 'lossy' where a channel would round to zero (else the conv stays float), 'all' "
                 "wherever it applies, 'off'")
      ->check(CLI::IsMember({"off", "lossy", "all"}));
}

Expected<quant::CalibOptions> QuantOptions::calib_options() const {
  YQ_ASSIGN_OR_RETURN(quant::CalibMethod m, quant::parse_calib_method(method));
  if (zero_points && signed_only) return invalid_argument("--zero-points gives u8 codes, --signed-only forbids them");
  if (equalize_depthwise != "off" && !quantize_depthwise)
    return invalid_argument("--equalize-depthwise " + equalize_depthwise + " needs --quantize-depthwise");
  quant::CalibOptions c;
  c.method = m;
  c.percentile = percentile;
  c.unsigned_if_nonnegative = !signed_only;
  c.zero_points = zero_points;
  return c;
}

void QuantOptions::apply_to(quant::QuantPolicy& policy) const {
  policy.quantize_depthwise = quantize_depthwise;
  policy.float_on_channel_loss = !allow_channel_loss;
  if (table_activations) policy.table_activations = quant::kTableActivations;
  policy.equalize_depthwise = equalize_depthwise == "all"     ? quant::EqualizeDepthwise::kAll
                              : equalize_depthwise == "lossy" ? quant::EqualizeDepthwise::kLossy
                                                              : quant::EqualizeDepthwise::kOff;
}

}  // namespace yq::cli
