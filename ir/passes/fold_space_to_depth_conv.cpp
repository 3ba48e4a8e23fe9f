// SPDX-License-Identifier: Apache-2.0
#include "ir/passes/fold_space_to_depth_conv.h"

#include <array>
#include <optional>

#include "ir/passes/pattern_utils.h"

namespace yq::ir {
namespace {

// An end at least this large means "to the end of the axis" when the axis length is unknown
// (exporters write INT64_MAX or INT32_MAX).
constexpr int64_t kOpenEnd = int64_t{1} << 30;

struct Phase {
  ValueId source = kNoValue;
  int dy = -1, dx = -1;  // start row / column of the 2x2 phase
};

// Follows `v` back through Slices to their common source and records what they take on axes 2
// and 3; every other axis must be untouched. nullopt when it is not one 2x2 phase.
std::optional<Phase> phase_of(const Graph& g, ValueId v) {
  Phase ph;
  std::array<int, 4> start{0, 0, 0, 0}, step{1, 1, 1, 1};
  std::array<bool, 4> sliced{false, false, false, false};
  int hops = 0;
  while (true) {
    const Node* n = g.producer_of(v);
    if (n == nullptr || n->op_type != "Slice" || !n->domain.empty() || n->inputs().size() < 5) break;
    if (++hops > 4 || g.value(v).consumers().size() != 1 || g.is_graph_output(v)) return std::nullopt;
    const auto starts = constant_ints(g, n->input(1)), ends = constant_ints(g, n->input(2));
    const auto axes = constant_ints(g, n->input(3)), steps = constant_ints(g, n->input(4));
    if (!starts || !ends || !axes || !steps || starts->size() != axes->size() || ends->size() != axes->size() ||
        steps->size() != axes->size())
      return std::nullopt;
    const Value& src = g.value(n->input(0));
    for (size_t i = 0; i < axes->size(); ++i) {
      int64_t a = (*axes)[i];
      if (a < 0) a += 4;
      if (a != 2 && a != 3) return std::nullopt;
      if (sliced[a] || (*steps)[i] != 2 || ((*starts)[i] != 0 && (*starts)[i] != 1)) return std::nullopt;
      const int64_t len = src.shape_known && src.shape.size() == 4 ? src.shape[a] : -1;
      if (len >= 0 ? (*ends)[i] < len : (*ends)[i] < kOpenEnd) return std::nullopt;
      sliced[a] = true;
      start[a] = static_cast<int>((*starts)[i]);
      step[a] = 2;
    }
    v = n->input(0);
  }
  if (hops == 0 || !sliced[2] || !sliced[3]) return std::nullopt;
  const Value& src = g.value(v);
  // Odd H or W would give phases of different sizes (the Concat would be invalid anyway).
  if (src.shape_known && (src.shape.size() != 4 || src.shape[2] % 2 != 0 || src.shape[3] % 2 != 0))
    return std::nullopt;
  ph.source = v;
  ph.dy = start[2];
  ph.dx = start[3];
  return ph;
}

struct Match {
  ValueId source = kNoValue;
  std::array<int, 4> position{};  // Concat position of phase dy*2+dx
};

std::optional<Match> match_focus(const Graph& g, const Node& conv) {
  if (!is_onnx_conv(conv) || !has_constant_conv_params(g, conv)) return std::nullopt;
  if (conv.attrs.get_int("group", 1) != 1) return std::nullopt;
  const std::string pad_mode = conv.attrs.get_string("auto_pad", "NOTSET");
  if (pad_mode != "NOTSET" && pad_mode != "VALID") return std::nullopt;
  for (int64_t d : conv.attrs.get_ints("dilations", {1, 1}))
    if (d != 1) return std::nullopt;
  const ValueId x = conv.input(0);
  const Node* cat = g.producer_of(x);
  if (cat == nullptr || cat->op_type != "Concat" || !cat->domain.empty() || cat->inputs().size() != 4) return std::nullopt;
  if (g.value(x).consumers().size() != 1 || g.is_graph_output(x) || has_qparams(g, x)) return std::nullopt;
  int64_t axis = cat->attrs.get_int("axis", 0);
  if (axis != 1 && axis != -3) return std::nullopt;
  Match m;
  m.position.fill(-1);
  for (size_t p = 0; p < 4; ++p) {
    const auto ph = phase_of(g, cat->input(p));
    if (!ph || (m.source != kNoValue && ph->source != m.source)) return std::nullopt;
    m.source = ph->source;
    int& slot = m.position[ph->dy * 2 + ph->dx];
    if (slot >= 0) return std::nullopt;  // a phase taken twice
    slot = static_cast<int>(p);
  }
  const Tensor& w = *constant_f32(g, conv.input(1));
  if (w.rank() != 4 || w.dim(1) % 4 != 0) return std::nullopt;
  const Value& src = g.value(m.source);
  if (src.shape_known && src.shape[1] * 4 != w.dim(1)) return std::nullopt;
  return m;
}

}  // namespace

bool FoldSpaceToDepthConv::match(const Graph& g, NodeId n) const { return match_focus(g, g.node(n)).has_value(); }

Expected<bool> FoldSpaceToDepthConv::apply(Graph& g, NodeId id) {
  const auto m = match_focus(g, g.node(id));
  if (!m) return false;
  const Node& conv = g.node(id);
  const Tensor& w = *constant_f32(g, conv.input(1));
  const int64_t co = w.dim(0), c = w.dim(1) / 4, kh = w.dim(2), kw = w.dim(3);
  std::vector<double> w2(static_cast<size_t>(co * c * 4 * kh * kw));
  const float* wp = w.data<float>();
  for (int64_t o = 0; o < co; ++o)
    for (int64_t ci = 0; ci < c; ++ci)
      for (int dy = 0; dy < 2; ++dy)
        for (int dx = 0; dx < 2; ++dx) {
          const int64_t in_ch = m->position[dy * 2 + dx] * c + ci;
          for (int64_t ky = 0; ky < kh; ++ky)
            for (int64_t kx = 0; kx < kw; ++kx)
              w2[(((o * c + ci) * 2 * kh) + 2 * ky + dy) * 2 * kw + 2 * kx + dx] =
                  wp[((o * w.dim(1) + in_ch) * kh + ky) * kw + kx];
        }
  std::vector<int64_t> strides = conv.attrs.get_ints("strides", {1, 1});
  std::vector<int64_t> pads = conv.attrs.get_ints("pads", {0, 0, 0, 0});
  for (int64_t& s : strides) s *= 2;
  for (int64_t& p : pads) p *= 2;
  const ValueId w_id = add_f32_constant(g, conv.name + "_W_s2d", w2, {co, c, 2 * kh, 2 * kw});
  const ValueId source = m->source;
  Node& nc = g.node(id);
  nc.attrs.set("kernel_shape", std::vector<int64_t>{2 * kh, 2 * kw});
  nc.attrs.set("strides", strides);
  nc.attrs.set("pads", pads);
  g.set_node_input(id, 1, w_id);
  g.set_node_input(id, 0, source);
  return true;
}

}  // namespace yq::ir
