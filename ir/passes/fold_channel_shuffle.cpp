// SPDX-License-Identifier: Apache-2.0
#include "ir/passes/fold_channel_shuffle.h"

#include <algorithm>
#include <map>
#include <numeric>
#include <optional>
#include <set>

#include "ir/passes/pattern_utils.h"

namespace yq::ir {
namespace {

constexpr size_t kMaxRegionNodes = 32;
constexpr int64_t kMaxElements = int64_t{1} << 24;  // index tracking stays cheap

bool is_reshape_like(const Node& n) {
  return n.domain.empty() && (n.op_type == "Reshape" || n.op_type == "Flatten" || n.op_type == "Squeeze" ||
                              n.op_type == "Unsqueeze" || n.op_type == "Identity");
}
bool is_movement(const Node& n) {
  return is_reshape_like(n) ||
         (n.domain.empty() && (n.op_type == "Transpose" || n.op_type == "Gather" || n.op_type == "Slice" ||
                               n.op_type == "Split"));
}

// A tensor of source-element indices (row-major), as it flows through the data-movement chain.
struct Idx {
  Shape shape;
  std::vector<int32_t> at;
};

std::vector<int64_t> strides_of(const Shape& s) {
  std::vector<int64_t> st(s.size(), 1);
  for (int i = static_cast<int>(s.size()) - 2; i >= 0; --i) st[i] = st[i + 1] * s[i + 1];
  return st;
}

// out[o] = in[src(o)] for a multi-index map given per output dimension.
template <class Fn>
Idx remap(const Idx& in, const Shape& out_shape, Fn src_index) {
  Idx out{out_shape, std::vector<int32_t>(static_cast<size_t>(shape_numel(out_shape)))};
  std::vector<int64_t> pos(out_shape.size(), 0);
  for (size_t o = 0; o < out.at.size(); ++o) {
    out.at[o] = in.at[static_cast<size_t>(src_index(pos))];
    for (int d = static_cast<int>(pos.size()) - 1; d >= 0; --d) {
      if (++pos[d] < out_shape[d]) break;
      pos[d] = 0;
    }
  }
  return out;
}

int64_t norm_axis(int64_t a, size_t rank) { return a < 0 ? a + static_cast<int64_t>(rank) : a; }

// The outputs of one movement node on index tensors; nullopt when an operand is not constant or
// a case is not handled (the pass then declines).
std::optional<std::vector<Idx>> step(const Graph& g, const Node& n, const Idx& in) {
  const size_t r = in.shape.size();
  std::vector<Idx> outs;
  for (ValueId o : n.outputs()) {
    if (o == kNoValue) return std::nullopt;
    const Value& ov = g.value(o);
    if (!ov.shape_known) return std::nullopt;
    outs.push_back({ov.shape, {}});
  }
  if (is_reshape_like(n)) {
    if (shape_numel(outs[0].shape) != static_cast<int64_t>(in.at.size())) return std::nullopt;
    outs[0].at = in.at;
    return outs;
  }
  const std::vector<int64_t> ist = strides_of(in.shape);
  if (n.op_type == "Transpose") {
    std::vector<int64_t> perm = n.attrs.get_ints("perm");
    if (perm.empty()) {
      perm.resize(r);
      std::iota(perm.rbegin(), perm.rend(), 0);
    }
    if (perm.size() != r) return std::nullopt;
    outs[0] = remap(in, outs[0].shape, [&](const std::vector<int64_t>& p) {
      int64_t s = 0;
      for (size_t d = 0; d < r; ++d) s += p[d] * ist[perm[d]];
      return s;
    });
    return outs;
  }
  if (n.op_type == "Gather") {
    const auto idx = constant_ints(g, n.input(1));
    if (!idx) return std::nullopt;
    const int64_t axis = norm_axis(n.attrs.get_int("axis", 0), r);
    const size_t ir = g.value(n.input(1)).constant->shape().size();
    if (axis < 0 || axis >= static_cast<int64_t>(r)) return std::nullopt;
    std::vector<int64_t> ix = *idx;
    for (int64_t& i : ix) {
      if (i < 0) i += in.shape[axis];
      if (i < 0 || i >= in.shape[axis]) return std::nullopt;
    }
    if (outs[0].shape.size() != r - 1 + ir) return std::nullopt;
    const Shape ishape = g.value(n.input(1)).constant->shape();
    const std::vector<int64_t> xst = strides_of(ishape);
    outs[0] = remap(in, outs[0].shape, [&](const std::vector<int64_t>& p) {
      // out[p] = in[p[:axis], idx[p[axis:axis+ir]], p[axis+ir:]]
      int64_t s = 0, k = 0;
      for (int64_t d = 0; d < axis; ++d) s += p[d] * ist[d];
      for (size_t d = 0; d < ir; ++d) k += p[axis + d] * xst[d];
      s += ix[static_cast<size_t>(k)] * ist[axis];
      for (size_t d = axis + 1; d < r; ++d) s += p[d + ir - 1] * ist[d];
      return s;
    });
    return outs;
  }
  if (n.op_type == "Slice") {
    const auto starts = constant_ints(g, n.input(1)), ends = constant_ints(g, n.input(2));
    std::optional<std::vector<int64_t>> axes = std::vector<int64_t>(), steps = std::vector<int64_t>();
    if (n.inputs().size() > 3 && n.input(3) != kNoValue) axes = constant_ints(g, n.input(3));
    if (n.inputs().size() > 4 && n.input(4) != kNoValue) steps = constant_ints(g, n.input(4));
    if (!starts || !ends || !axes || !steps) return std::nullopt;
    std::vector<int64_t> start(r, 0), stepv(r, 1);
    for (size_t i = 0; i < starts->size(); ++i) {
      const int64_t a = axes->empty() ? static_cast<int64_t>(i) : norm_axis((*axes)[i], r);
      const int64_t sp = steps->empty() ? 1 : (*steps)[i];
      if (a < 0 || a >= static_cast<int64_t>(r) || sp <= 0) return std::nullopt;
      int64_t s = (*starts)[i];
      if (s < 0) s += in.shape[a];
      start[a] = std::clamp<int64_t>(s, 0, in.shape[a]);
      stepv[a] = sp;
    }
    outs[0] = remap(in, outs[0].shape, [&](const std::vector<int64_t>& p) {
      int64_t s = 0;
      for (size_t d = 0; d < r; ++d) s += (start[d] + p[d] * stepv[d]) * ist[d];
      return s;
    });
    return outs;
  }
  if (n.op_type == "Split") {
    const int64_t axis = norm_axis(n.attrs.get_int("axis", 0), r);
    if (axis < 0 || axis >= static_cast<int64_t>(r)) return std::nullopt;
    int64_t offset = 0;
    for (Idx& o : outs) {
      if (o.shape.size() != r) return std::nullopt;
      const int64_t off = offset;
      o = remap(in, o.shape, [&](const std::vector<int64_t>& p) {
        int64_t s = 0;
        for (size_t d = 0; d < r; ++d) s += (p[d] + (static_cast<int64_t>(d) == axis ? off : 0)) * ist[d];
        return s;
      });
      offset += o.shape[axis];
    }
    return outs;
  }
  return std::nullopt;
}

// The source of the shuffle that Transpose `t` belongs to: back through single-reader reshapes
// to the first rank-4 value.
std::optional<ValueId> source_of(const Graph& g, const Node& t) {
  ValueId v = t.input(0);
  for (int hops = 0; hops < 4; ++hops) {
    const Value& val = g.value(v);
    if (!val.shape_known) return std::nullopt;
    if (val.shape.size() == 4) return v;
    const Node* p = g.producer_of(v);
    if (p == nullptr || !is_reshape_like(*p) || val.consumers().size() != 1 || g.is_graph_output(v) ||
        has_qparams(g, v))
      return std::nullopt;
    v = p->input(0);
  }
  return std::nullopt;
}

struct Plan {
  ValueId source = kNoValue;
  std::map<ValueId, std::vector<int64_t>> gathers;  // rank-4 outputs of the chain -> channels
};

std::optional<Plan> plan_fold(const Graph& g, NodeId tid) {
  const Node& t = g.node(tid);
  if (t.op_type != "Transpose" || !t.domain.empty()) return std::nullopt;
  const auto src = source_of(g, t);
  if (!src) return std::nullopt;
  const Value& sv = g.value(*src);
  const Shape xs = sv.shape;
  if (sv.dtype != DType::kF32 || shape_numel(xs) > kMaxElements || shape_numel(xs) == 0) return std::nullopt;
  // The region: movement nodes reachable from the source, walked depth first (each reads one
  // data input, so a node's input indices are known when it is reached).
  std::map<ValueId, Idx> known;
  Idx x0{xs, std::vector<int32_t>(static_cast<size_t>(shape_numel(xs)))};
  std::iota(x0.at.begin(), x0.at.end(), 0);
  known[*src] = std::move(x0);
  Plan plan;
  plan.source = *src;
  std::set<NodeId> done;
  std::vector<ValueId> frontier{*src};
  bool saw_transpose = false;
  while (!frontier.empty()) {
    const ValueId v = frontier.back();
    frontier.pop_back();
    const Value& val = g.value(v);
    bool needs_gather = g.is_graph_output(v) && v != *src;
    for (NodeId c : val.consumers()) {
      const Node& n = g.node(c);
      if (!is_movement(n) || n.input(0) != v) {
        needs_gather = true;
        continue;
      }
      if (v == *src && !is_reshape_like(n) && n.op_type != "Transpose") {
        // The source's own Splits/Slices are not part of a shuffle: leave them to the engine.
        continue;
      }
      if (!done.insert(c).second) continue;
      if (done.size() > kMaxRegionNodes) return std::nullopt;
      for (size_t i = 1; i < n.inputs().size(); ++i)
        if (n.input(i) != kNoValue && !g.value(n.input(i)).is_constant()) return std::nullopt;
      auto outs = step(g, n, known.at(v));
      if (!outs) return std::nullopt;
      saw_transpose = saw_transpose || n.op_type == "Transpose";
      for (size_t i = 0; i < outs->size(); ++i) {
        const ValueId o = n.output(i);
        if (has_qparams(g, o)) return std::nullopt;
        known[o] = std::move((*outs)[i]);
        frontier.push_back(o);
      }
    }
    if (!needs_gather || v == *src) continue;
    // A value read outside the chain must be a channel selection of the source.
    const Idx& ix = known.at(v);
    if (ix.shape.size() != 4 || ix.shape[0] != xs[0] || ix.shape[2] != xs[2] || ix.shape[3] != xs[3])
      return std::nullopt;
    const int64_t hw = xs[2] * xs[3], c_out = ix.shape[1];
    std::vector<int64_t> channels(static_cast<size_t>(c_out));
    for (int64_t c = 0; c < c_out; ++c) {
      const int64_t first = ix.at[static_cast<size_t>(c * hw)];
      if (first % hw != 0 || first / hw >= xs[1]) return std::nullopt;
      channels[c] = first / hw;
    }
    for (int64_t n = 0; n < xs[0]; ++n)
      for (int64_t c = 0; c < c_out; ++c)
        for (int64_t p = 0; p < hw; ++p)
          if (ix.at[static_cast<size_t>((n * c_out + c) * hw + p)] != (n * xs[1] + channels[c]) * hw + p)
            return std::nullopt;
    plan.gathers[v] = std::move(channels);
  }
  if (!saw_transpose || plan.gathers.empty() || !done.count(tid)) return std::nullopt;
  return plan;
}

}  // namespace

bool FoldChannelShuffle::match(const Graph& g, NodeId n) const { return plan_fold(g, n).has_value(); }

Expected<bool> FoldChannelShuffle::apply(Graph& g, NodeId id) {
  const auto plan = plan_fold(g, id);
  if (!plan) return false;
  for (const auto& [v, channels] : plan->gathers) {
    // The old producer writes a fresh (soon unread) value; the Gather takes over `v` and its name.
    const NodeId producer = g.value(v).producer();
    const Node& pn = g.node(producer);
    size_t slot = 0;
    while (pn.output(slot) != v) ++slot;
    const Value& val = g.value(v);
    const ValueId old = g.add_value(g.unique_name(val.name + "_unfolded"), val.dtype, val.shape, true);
    g.set_node_output(producer, slot, old);
    Tensor idx = Tensor::empty(DType::kI64, {static_cast<int64_t>(channels.size())});
    std::copy(channels.begin(), channels.end(), idx.data<int64_t>());
    const ValueId iv = g.add_constant(g.unique_name(g.value(v).name + "_channels"), std::move(idx));
    Attributes a;
    a.set("axis", int64_t{1});
    g.add_node("Gather", g.unique_name(g.node(producer).name + "_channel_gather"), {plan->source, iv}, {v}, a);
  }
  return true;
}

}  // namespace yq::ir
