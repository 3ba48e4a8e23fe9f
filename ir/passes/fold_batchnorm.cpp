// SPDX-License-Identifier: Apache-2.0
#include "ir/passes/fold_batchnorm.h"

#include <cmath>

#include "ir/passes/pattern_utils.h"

namespace yq::ir {

std::optional<BatchnormAffine> batchnorm_affine(const Graph& g, const Node& bn, int64_t channels) {
  if (bn.op_type != "BatchNormalization" || !bn.domain.empty()) return std::nullopt;
  if (bn.attrs.get_int("training_mode", 0) != 0) return std::nullopt;
  const Tensor* params[4];
  for (int i = 0; i < 4; ++i) {
    params[i] = constant_f32(g, bn.input(1 + i));
    if (params[i] == nullptr || params[i]->numel() != channels) return std::nullopt;
  }
  const double eps = bn.attrs.get_float("epsilon", 1e-5f);
  const float* gamma = params[0]->data<float>();
  const float* beta = params[1]->data<float>();
  const float* mean = params[2]->data<float>();
  const float* var = params[3]->data<float>();
  BatchnormAffine a;
  a.scale.resize(channels);
  a.shift.resize(channels);
  for (int64_t c = 0; c < channels; ++c) {
    // BN(x) = gamma * (x - mean) / sqrt(var + eps) + beta = s*x + (beta - mean*s).
    const double s = gamma[c] / std::sqrt(static_cast<double>(var[c]) + eps);
    a.scale[c] = s;
    a.shift[c] = beta[c] - mean[c] * s;
  }
  return a;
}

namespace {

// Only output 0 (Y) of the BN may be in use; the running-stat outputs exist in training only.
bool only_y_used(const Graph& g, const Node& bn) {
  for (size_t i = 1; i < bn.outputs().size(); ++i) {
    const ValueId o = bn.output(i);
    if (o != kNoValue && (!g.value(o).consumers().empty() || g.is_graph_output(o))) return false;
  }
  return bn.output(0) != kNoValue;
}

}  // namespace

bool FoldBatchnorm::match(const Graph& g, NodeId id) const {
  const Node& bn = g.node(id);
  if (bn.op_type != "BatchNormalization" || !bn.domain.empty() || !only_y_used(g, bn)) return false;
  const ValueId x = bn.input(0);
  if (x == kNoValue || !only_consumer_is(g, x, id)) return false;
  const Node* conv = g.producer_of(x);
  if (conv == nullptr || !is_onnx_conv(*conv) || !has_constant_conv_params(g, *conv)) return false;
  const int64_t co = constant_f32(g, conv->input(1))->dim(0);
  return batchnorm_affine(g, bn, co).has_value();
}

Expected<bool> FoldBatchnorm::apply(Graph& g, NodeId id) {
  if (!match(g, id)) return false;
  const Node& bn = g.node(id);
  const NodeId conv_id = g.value(bn.input(0)).producer();
  const Node& conv = g.node(conv_id);
  const Tensor& w = *constant_f32(g, conv.input(1));
  const Tensor* b = constant_f32(g, conv.input(2));
  const int64_t co = w.dim(0);
  const int64_t per_oc = w.numel() / co;
  const BatchnormAffine a = *batchnorm_affine(g, bn, co);

  // BN(conv(x)) = s * (W*x + b) + t  =>  W' = W * s (per output channel), b' = b*s + t
  //            = (b - mean) * gamma / sqrt(var + eps) + beta.
  std::vector<double> w_new(w.numel());
  std::vector<double> b_new(co);
  const float* wp = w.data<float>();
  for (int64_t o = 0; o < co; ++o) {
    for (int64_t k = 0; k < per_oc; ++k) w_new[o * per_oc + k] = wp[o * per_oc + k] * a.scale[o];
    const double bias = b != nullptr ? b->data<float>()[o] : 0.0;
    b_new[o] = bias * a.scale[o] + a.shift[o];
  }
  const std::string conv_name = conv.name;
  const ValueId y = bn.output(0);
  const ValueId w_id = add_f32_constant(g, conv_name + "_W_bn", w_new, w.shape());
  const ValueId b_id = add_f32_constant(g, conv_name + "_B_bn", b_new, {co});
  g.set_node_input(conv_id, 1, w_id);
  g.set_node_input(conv_id, 2, b_id);  // appends the bias slot when the conv had none
  replace_output_with(g, conv_id, {id}, y);
  return true;
}

}  // namespace yq::ir
