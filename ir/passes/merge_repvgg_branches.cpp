// SPDX-License-Identifier: Apache-2.0
#include "ir/passes/merge_repvgg_branches.h"

#include <algorithm>
#include <optional>
#include <vector>

#include "ir/passes/fold_batchnorm.h"
#include "ir/passes/pattern_utils.h"

namespace yq::ir {

namespace {

struct Term {
  ValueId value = kNoValue;
  NodeId reader = kNoNode;  // the Add that reads it
};

struct RepvggMatch {
  std::vector<NodeId> adds;  // outer first
  NodeId conv3 = kNoNode;
  NodeId conv1 = kNoNode;     // kNoNode when absent
  bool has_identity = false;
  NodeId identity_bn = kNoNode;  // kNoNode when the identity is X itself
};

bool is_binary_add(const Node& n) { return n.op_type == "Add" && n.domain.empty() && n.inputs().size() == 2; }

bool all_equal(const std::vector<int64_t>& v, int64_t x) {
  for (int64_t e : v) {
    if (e != x) return false;
  }
  return true;
}

// A branch conv: plain ONNX Conv with constant params, explicit padding, no dilation, read only
// by its Add. Returns its kernel size (1 or 3) when the padding matches (0 or 1), else 0.
int branch_kernel(const Graph& g, const Node& conv, const Term& t) {
  if (!is_onnx_conv(conv) || conv.output(0) != t.value || !only_consumer_is(g, t.value, t.reader)) return 0;
  if (!has_constant_conv_params(g, conv)) return 0;
  const std::string auto_pad = conv.attrs.get_string("auto_pad", "NOTSET");
  if (auto_pad != "NOTSET" && !auto_pad.empty()) return 0;
  if (!all_equal(conv.attrs.get_ints("dilations", {1, 1}), 1)) return 0;
  const Tensor& w = *constant_f32(g, conv.input(1));
  const std::vector<int64_t> pads = conv.attrs.get_ints("pads", {0, 0, 0, 0});
  if (pads.size() != 4) return 0;
  if (w.dim(2) == 3 && w.dim(3) == 3 && all_equal(pads, 1)) return 3;
  if (w.dim(2) == 1 && w.dim(3) == 1 && all_equal(pads, 0)) return 1;
  return 0;
}

std::vector<int64_t> strides_of(const Node& conv) { return conv.attrs.get_ints("strides", {1, 1}); }

std::optional<RepvggMatch> match_here(const Graph& g, NodeId id) {
  const Node& add = g.node(id);
  if (!is_binary_add(add)) return std::nullopt;
  RepvggMatch m;
  m.adds.push_back(id);
  std::vector<Term> terms;
  for (ValueId in : add.inputs()) {
    const Node* p = in == kNoValue ? nullptr : g.producer_of(in);
    if (p != nullptr && is_binary_add(*p) && only_consumer_is(g, in, id) && m.adds.size() == 1) {
      m.adds.push_back(p->id);
      for (ValueId in2 : p->inputs()) terms.push_back({in2, p->id});
    } else {
      terms.push_back({in, id});
    }
  }
  // Classify: the convs first (they define X), then the identity among the rest.
  std::vector<Term> rest;
  for (const Term& t : terms) {
    if (t.value == kNoValue) return std::nullopt;
    const Node* p = g.producer_of(t.value);
    const int k = p == nullptr ? 0 : branch_kernel(g, *p, t);
    if (k == 3 && m.conv3 == kNoNode) {
      m.conv3 = p->id;
    } else if (k == 1 && m.conv1 == kNoNode) {
      m.conv1 = p->id;
    } else {
      rest.push_back(t);
    }
  }
  if (m.conv3 == kNoNode || rest.size() > 1) return std::nullopt;
  const Node& c3 = g.node(m.conv3);
  const ValueId x = c3.input(0);
  const Tensor& w3 = *constant_f32(g, c3.input(1));
  const int64_t group = c3.attrs.get_int("group", 1);
  const int64_t co = w3.dim(0);
  if (m.conv1 != kNoNode) {
    const Node& c1 = g.node(m.conv1);
    const Tensor& w1 = *constant_f32(g, c1.input(1));
    if (c1.input(0) != x || c1.attrs.get_int("group", 1) != group || strides_of(c1) != strides_of(c3) ||
        w1.dim(0) != co || w1.dim(1) != w3.dim(1)) {
      return std::nullopt;
    }
  }
  if (!rest.empty()) {
    const Term& t = rest[0];
    // The identity maps channel c to channel c: needs Ci == Co and stride 1.
    if (w3.dim(1) * group != co || !all_equal(strides_of(c3), 1)) return std::nullopt;
    if (t.value != x) {
      const Node* bn = g.producer_of(t.value);
      if (bn == nullptr || bn->input(0) != x || bn->output(0) != t.value || !only_consumer_is(g, t.value, t.reader) ||
          !batchnorm_affine(g, *bn, co).has_value()) {
        return std::nullopt;
      }
      for (size_t i = 1; i < bn->outputs().size(); ++i) {
        const ValueId o = bn->output(i);
        if (o != kNoValue && (!g.value(o).consumers().empty() || g.is_graph_output(o))) return std::nullopt;
      }
      m.identity_bn = bn->id;
    }
    m.has_identity = true;
  }
  if ((m.conv1 != kNoNode ? 1 : 0) + (m.has_identity ? 1 : 0) == 0) return std::nullopt;
  return m;
}

// The inner Add of a chain merges with the outer one in a single step (one rounding to f32, one
// rewrite), so it declines when the outer Add matches a pattern that includes it.
std::optional<RepvggMatch> find_match(const Graph& g, NodeId id) {
  const ValueId out = g.node(id).output(0);
  if (out != kNoValue && g.value(out).consumers().size() == 1) {
    const NodeId outer = g.value(out).consumers()[0];
    if (outer != id && is_binary_add(g.node(outer))) {
      const auto om = match_here(g, outer);
      if (om && std::find(om->adds.begin(), om->adds.end(), id) != om->adds.end()) return std::nullopt;
    }
  }
  return match_here(g, id);
}

}  // namespace

bool MergeRepvggBranches::match(const Graph& g, NodeId n) const { return find_match(g, n).has_value(); }

Expected<bool> MergeRepvggBranches::apply(Graph& g, NodeId n) {
  const auto m = find_match(g, n);
  if (!m) return false;
  const Node& c3 = g.node(m->conv3);
  const Tensor& w3 = *constant_f32(g, c3.input(1));
  const int64_t co = w3.dim(0);
  const int64_t cig = w3.dim(1);  // input channels per group
  constexpr int64_t kTaps = 9;    // 3x3
  constexpr int64_t kCentre = 4;  // tap (1, 1)

  // conv3(x) + conv1(x) + id(x) = conv3'(x) with, per output channel o:
  //   W'[o, i, :, :] = W3[o, i, :, :] + W1[o, i] * delta(centre) + s_o * [i == o mod cig] * delta(centre)
  //   b'[o]          = b3[o] + b1[o] + t_o
  // Padding the 1x1 kernel to 3x3 at the centre is exact because the 3x3 conv pads by 1 and the
  // 1x1 by 0, with the same stride: both read x at the same centre pixel. The identity is a
  // grouped 1x1 "copy channel o" kernel; output channel o lives in group o / cig (Co == Ci, so
  // channels per group match) at local input index o % cig. A BN on the identity makes it
  // s_o * x + t_o (s = gamma/sqrt(var+eps), t = beta - mean*s); a bare identity is s=1, t=0.
  std::vector<double> w(w3.numel());
  std::vector<double> b(co, 0.0);
  const float* w3p = w3.data<float>();
  for (int64_t i = 0; i < w3.numel(); ++i) w[i] = w3p[i];
  if (const Tensor* b3 = constant_f32(g, c3.input(2))) {
    for (int64_t o = 0; o < co; ++o) b[o] += b3->data<float>()[o];
  }
  if (m->conv1 != kNoNode) {
    const Node& c1 = g.node(m->conv1);
    const float* w1p = constant_f32(g, c1.input(1))->data<float>();
    for (int64_t o = 0; o < co; ++o) {
      for (int64_t i = 0; i < cig; ++i) w[(o * cig + i) * kTaps + kCentre] += w1p[o * cig + i];
    }
    if (const Tensor* b1 = constant_f32(g, c1.input(2))) {
      for (int64_t o = 0; o < co; ++o) b[o] += b1->data<float>()[o];
    }
  }
  if (m->has_identity) {
    std::vector<double> s(co, 1.0);
    std::vector<double> t(co, 0.0);
    if (m->identity_bn != kNoNode) {
      const BatchnormAffine a = *batchnorm_affine(g, g.node(m->identity_bn), co);
      s = a.scale;
      t = a.shift;
    }
    for (int64_t o = 0; o < co; ++o) {
      w[(o * cig + o % cig) * kTaps + kCentre] += s[o];
      b[o] += t[o];
    }
  }

  const std::string base = c3.name;
  const Shape w_shape = w3.shape();
  const ValueId y = g.node(n).output(0);
  const ValueId w_id = add_f32_constant(g, base + "_W_rep", w, w_shape);
  const ValueId b_id = add_f32_constant(g, base + "_B_rep", b, {co});
  g.set_node_input(m->conv3, 1, w_id);
  g.set_node_input(m->conv3, 2, b_id);
  std::vector<NodeId> doomed = m->adds;
  if (m->conv1 != kNoNode) doomed.push_back(m->conv1);
  if (m->identity_bn != kNoNode) doomed.push_back(m->identity_bn);
  replace_output_with(g, m->conv3, doomed, y);
  return true;
}

}  // namespace yq::ir
