// SPDX-License-Identifier: Apache-2.0
// fold_batchnorm: folds an inference BatchNormalization into the Conv that feeds it.
//
// Fires on a BatchNormalization (training_mode 0, only output 0 used) whose input is the output
// of an ONNX Conv (any group, 2-d) that is read by nothing else and is not a graph output, when
// the conv weight and bias (if any) and the BN scale, bias, mean and var are all f32 constants
// of the expected sizes. The Conv gets new weight and bias constants and takes over the BN's
// output Value (downstream names stay); the BN is removed. A BN after anything else (or with a
// non-constant parameter) is left alone: the runtime executes BatchNormalization itself.
#pragma once

#include "ir/passes/pass.h"

namespace yq::ir {

class FoldBatchnorm final : public Pass {
 public:
  const char* name() const override { return "fold_batchnorm"; }
  bool match(const Graph& g, NodeId n) const override;
  Expected<bool> apply(Graph& g, NodeId n) override;
};

// Per-channel scale s = gamma / sqrt(var + eps) and shift t = beta - mean * s of an inference
// BatchNormalization with constant parameters, in double: BN(x) = s*x + t. nullopt when a
// parameter is not a constant f32 [channels] tensor. Shared with merge_repvgg_branches, whose
// identity branch may be a BN.
struct BatchnormAffine {
  std::vector<double> scale;
  std::vector<double> shift;
};
std::optional<BatchnormAffine> batchnorm_affine(const Graph& g, const Node& bn, int64_t channels);

}  // namespace yq::ir
