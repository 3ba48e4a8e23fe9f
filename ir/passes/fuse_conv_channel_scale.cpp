// SPDX-License-Identifier: Apache-2.0
#include "ir/passes/fuse_conv_channel_scale.h"

#include <optional>

#include "ir/passes/pattern_utils.h"

namespace yq::ir {

namespace {

struct ScaleMatch {
  NodeId conv = kNoNode;
  ValueId scale = kNoValue;  // the f32 constant, any per-channel shape
};

// A constant that broadcasts onto a rank-`rank` output as one factor per channel (dim 1):
// [1, m, 1, ...] or [m, 1, ...] (numpy broadcasting aligns the trailing dims).
bool is_channel_vector(const Tensor& t, int64_t m, size_t rank) {
  const size_t r = static_cast<size_t>(t.rank());
  if (t.numel() != m || r + 1 < rank || r > rank) return false;
  for (size_t i = 0; i < r; ++i) {
    const size_t out_dim = i + rank - r;
    if (t.shape()[i] != (out_dim == 1 ? m : 1)) return false;
  }
  return true;
}

std::optional<ScaleMatch> find_match(const Graph& g, NodeId id) {
  const Node& mul = g.node(id);
  if (mul.op_type != "Mul" || !mul.domain.empty() || mul.inputs().size() != 2) return std::nullopt;
  for (int ci = 0; ci < 2; ++ci) {
    const ValueId c = mul.input(ci), s = mul.input(1 - ci);
    const Node* conv = g.producer_of(c);
    if (conv == nullptr || conv->output(0) != c || !only_consumer_is(g, c, id)) continue;
    if (!is_onnx_conv(*conv) && !(is_fused_conv(*conv) && !has_residual(*conv) && !has_channel_scale(*conv))) continue;
    const Value& cv = g.value(c);
    const Tensor* st = constant_f32(g, s);
    if (!cv.shape_known || cv.shape.size() < 3 || st == nullptr || has_qparams(g, s)) continue;
    if (!is_channel_vector(*st, cv.shape[1], cv.shape.size())) continue;
    return ScaleMatch{conv->id, s};
  }
  return std::nullopt;
}

}  // namespace

bool FuseConvChannelScale::match(const Graph& g, NodeId n) const { return find_match(g, n).has_value(); }

Expected<bool> FuseConvChannelScale::apply(Graph& g, NodeId n) {
  const auto m = find_match(g, n);
  if (!m) return false;
  const ValueId y = g.node(n).output(0);
  // A copy: adding constants below may move the Value holding the tensor.
  const Tensor* sp = constant_f32(g, m->scale);
  const std::vector<float> factors(sp->data<float>(), sp->data<float>() + sp->numel());
  const int64_t channels = static_cast<int64_t>(factors.size());
  const Node& conv = g.node(m->conv);
  const bool linear = is_onnx_conv(conv) || conv.attrs.get_string("activation", "").empty();
  if (linear && has_constant_conv_params(g, conv)) {
    // W[o] *= s[o], B[o] *= s[o]: new constants, the old ones may have other readers.
    Tensor w = constant_f32(g, conv.input(1))->clone();
    const int64_t per = w.numel() / channels;
    for (int64_t o = 0; o < channels; ++o)
      for (int64_t i = 0; i < per; ++i) w.data<float>()[o * per + i] *= factors[static_cast<size_t>(o)];
    const Shape ws = w.shape();
    const ValueId wv = g.add_constant(g.unique_name(conv.name + "_w_scaled"), std::move(w));
    g.value(wv).shape = ws;
    g.value(wv).shape_known = true;
    g.set_node_input(m->conv, 1, wv);
    if (conv.input(2) != kNoValue) {
      Tensor b = constant_f32(g, conv.input(2))->clone();
      for (int64_t o = 0; o < channels; ++o) b.data<float>()[o] *= factors[static_cast<size_t>(o)];
      const ValueId bv = g.add_constant(g.unique_name(conv.name + "_b_scaled"), std::move(b));
      g.value(bv).shape = {channels};
      g.value(bv).shape_known = true;
      g.set_node_input(m->conv, 2, bv);
    }
    replace_output_with(g, m->conv, {n}, y);
    return true;
  }
  replace_output_with(g, m->conv, {n}, y);
  set_channel_scale(g, m->conv, g.node(m->conv).name + "_channel_scale",
                    std::vector<double>(factors.begin(), factors.end()));
  return true;
}

}  // namespace yq::ir
