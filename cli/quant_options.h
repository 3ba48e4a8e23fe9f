// SPDX-License-Identifier: Apache-2.0
// The quantization options `yoloq quantize` and `yoloq sensitivity` share (calibrator, the
// policy's float rules, activation signedness), registered and interpreted in one place so that
// a sensitivity ranking is computed under the same rules the quantizer then applies.
#pragma once

#include <CLI/CLI.hpp>
#include <string>

#include "base/status.h"
#include "quant/calibrator.h"
#include "quant/policy.h"

namespace yq::cli {

struct QuantOptions {
  std::string method = "entropy";
  double percentile = 99.99;
  bool signed_only = false;
  bool quantize_depthwise = false;
  bool allow_channel_loss = false;
  bool table_activations = false;
  bool zero_points = false;
  std::string equalize_depthwise = "off";  // off | lossy | all
  CLI::Option* method_option = nullptr;  // set by add_to: was --method given?

  // --method (with `method_help`), --percentile, --signed-only, --quantize-depthwise,
  // --allow-channel-loss, --table-activations, --zero-points, --equalize-depthwise.
  void add_to(CLI::App& cmd, const std::string& method_help);
  bool method_given() const { return method_option && method_option->count() > 0; }
  // The calibrator options; an unknown --method is an error naming it, and so is an unknown
  // --equalize-depthwise mode or one without --quantize-depthwise (checked here, before calibrating).
  Expected<quant::CalibOptions> calib_options() const;
  // Sets the policy's depthwise, channel-loss and table-activation switches.
  void apply_to(quant::QuantPolicy& policy) const;
};

}  // namespace yq::cli
