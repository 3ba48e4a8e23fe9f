// SPDX-License-Identifier: Apache-2.0
#include "runtime/strided_view.h"

namespace yq::runtime {

View whole_view(int slot, const Shape& shape, const int64_t* strides) {
  if (shape.size() > static_cast<size_t>(kMaxViewRank)) return {};
  ViewPiece p;
  p.slot = slot;
  p.rank = static_cast<int>(shape.size());
  for (int d = 0; d < p.rank; ++d) {
    p.dims[d] = shape[d];
    p.strides[d] = strides[d];
  }
  return {p};
}

View concat_view(const std::vector<View>& inputs, const std::vector<Shape>& shapes, int axis) {
  View out;
  int64_t at = 0;
  for (size_t k = 0; k < inputs.size(); ++k) {
    for (ViewPiece p : inputs[k]) {
      p.pos[axis] += at;
      out.push_back(p);
    }
    at += shapes[k][axis];
  }
  return out;
}

View transpose_view(const View& v, const std::vector<int64_t>& perm) {
  View out;
  for (const ViewPiece& p : v) {
    ViewPiece q = p;
    for (int d = 0; d < p.rank; ++d) {
      q.pos[d] = p.pos[perm[d]];
      q.dims[d] = p.dims[perm[d]];
      q.strides[d] = p.strides[perm[d]];
    }
    out.push_back(q);
  }
  return out;
}

namespace {

// One piece through the reshape, or false. Walks both shapes in groups of equal product; size-1
// dims carry nothing (output ones get extent 1 at position 0).
bool reshape_piece(const ViewPiece& p, const Shape& from, const Shape& to, ViewPiece* q) {
  q->slot = p.slot;
  q->offset = p.offset;
  q->sigmoid = p.sigmoid;
  q->rank = static_cast<int>(to.size());
  size_t i = 0, j = 0;
  auto unit_out = [&](size_t k) {
    q->pos[k] = 0;
    q->dims[k] = 1;
    q->strides[k] = 1;
  };
  for (;;) {
    while (i < from.size() && from[i] == 1) ++i;
    while (j < to.size() && to[j] == 1) unit_out(j++);
    if (i == from.size() || j == to.size()) return i == from.size() && j == to.size();
    size_t i2 = i + 1, j2 = j + 1;
    int64_t pi = from[i], po = to[j];
    while (pi != po) {
      if (pi < po) {
        if (i2 == from.size()) return false;
        pi *= from[i2++];
      } else {
        if (j2 == to.size()) return false;
        po *= to[j2++];
      }
    }
    if (i2 - i == 1 && j2 - j == 1) {  // the same dim on both sides: any extent carries over
      q->pos[j] = p.pos[i];
      q->dims[j] = p.dims[i];
      q->strides[j] = p.strides[i];
    } else {
      // Merged or split dims: only a piece covering them whole, contiguous relative to itself.
      int prev = -1;
      for (size_t k = i; k < i2; ++k) {
        if (p.pos[k] != 0 || p.dims[k] != from[k]) return false;
        if (from[k] == 1) continue;
        if (prev >= 0 && p.strides[prev] != p.strides[k] * from[k]) return false;
        prev = static_cast<int>(k);
      }
      int64_t st = p.strides[prev];
      for (size_t k = j2; k-- > j;) {
        q->pos[k] = 0;
        q->dims[k] = to[k];
        q->strides[k] = st;
        st *= to[k];
      }
    }
    i = i2;
    j = j2;
  }
}

}  // namespace

std::optional<View> reshape_view(const View& v, const Shape& from, const Shape& to) {
  if (to.size() > static_cast<size_t>(kMaxViewRank)) return std::nullopt;
  for (int64_t d : from)
    if (d <= 0) return std::nullopt;  // empty values are not worth a view
  for (int64_t d : to)
    if (d <= 0) return std::nullopt;
  View out;
  for (const ViewPiece& p : v) {
    ViewPiece q;
    if (!reshape_piece(p, from, to, &q)) return std::nullopt;
    out.push_back(q);
  }
  return out;
}

}  // namespace yq::runtime
